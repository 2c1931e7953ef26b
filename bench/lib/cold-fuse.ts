// A freshly started afsd.fuse on a mount point of its own with an empty cache directory: the
// "cold" reference for a fresh tsafs client (the cell's /afs mount is warm from earlier use).
// afsd.fuse binds an ephemeral callback port, so it runs beside the cell's instance; it
// daemonizes itself and exits when its mount is unmounted.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BenchSetupError } from './cell.js';
import { runProcess } from './proc.js';

export interface ColdMount {
  /** The mount point (the cell is at <mountDir>/<cell>). */
  mountDir: string;
  stop(): Promise<void>;
}

function mounted(dir: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === dir);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start afsd.fuse with an empty cache under `base`; resolves once it has mounted. */
export async function startColdFuse(base: string, confDir: string): Promise<ColdMount> {
  const mnt = join(base, 'mnt');
  const cache = join(base, 'cache');
  mkdirSync(mnt, { recursive: true });
  mkdirSync(cache, { recursive: true });
  // The options the cell's own instance runs with (scripts/lib/cell-common.sh), its own cache and mount.
  const args = ['-dynroot', '-fakestat', '-confdir', confDir, '-cachedir', cache, '-blocks', '200000'];
  args.push('-files', '8192', '-chunksize', '20', '-stat', '20000', '-mountdir', mnt, '-nosettime');
  spawn('/usr/sbin/afsd.fuse', args, { stdio: 'ignore' }).unref();
  const stop = async () => {
    if (mounted(mnt)) await runProcess('fusermount', ['-u', mnt], { timeoutMs: 30_000 });
    for (let i = 0; i < 100 && mounted(mnt); i++) await sleep(100);
    // The daemon may still be writing its cache for a moment after the unmount.
    await sleep(1000);
    try {
      rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      // left in the bench's scratch directory, which the driver removes at the end
    }
  };
  const until = Date.now() + 60_000;
  while (!mounted(mnt)) {
    if (Date.now() > until) {
      await stop();
      throw new BenchSetupError('a second afsd.fuse did not mount within 60 s');
    }
    await sleep(100);
  }
  return { mountDir: mnt, stop };
}
