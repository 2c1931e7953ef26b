// tsafs mount <mountpoint> [--foreground]: the cell's /afs served over FUSE to every program, with
// tsafs's cache and callbacks (root only: mount(8) takes our /dev/fuse descriptor). In the
// background by default, like afsd; --foreground stays attached. SIGINT/SIGTERM unmount cleanly;
// a dead mount left by a killed tsafs on that point is recovered.

import { spawn } from 'node:child_process';
import { AfsFuse } from '../mount/afs-fuse.js';
import { parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { UsageError } from './output.js';

const MOUNT_OPTIONS = {
  foreground: {
    type: 'boolean',
    short: 'f',
    describe: 'serve in this process until unmounted (default: in the background)',
  },
  'cache-timeout': {
    type: 'string',
    arg: '<s>',
    describe: 'how long the kernel keeps names and attributes (default 60; breaks invalidate them at once)',
  },
} satisfies OptionTable;

export const command: Command = {
  name: 'mount',
  summary: 'serve /afs at a mount point over FUSE (root; --foreground: stay attached)',
  usage: 'usage: tsafs mount <mountpoint> [--foreground] [--cache-timeout <s>]',
  options: MOUNT_OPTIONS,
  operands: ['<mountpoint>  an empty local directory (a dead tsafs mount there is recovered)'],
  examples: [
    'tsafs mount /mnt/afs   # every program sees the cells under /mnt/afs, with this identity',
    'umount /mnt/afs        # or SIGINT/SIGTERM to the tsafs process',
  ],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, MOUNT_OPTIONS, this.usage);
    if (positionals.length !== 1) throw new UsageError(this.usage);
    const mountpoint = positionals[0]!;
    const timeout = values['cache-timeout'] === undefined ? undefined : Number(values['cache-timeout']);
    if (timeout !== undefined && !(timeout >= 0)) throw new UsageError(this.usage);
    if (!values.foreground) return background(ctx.stderr);
    const fuse = new AfsFuse(ctx.client, mountpoint, { cacheTimeout: timeout });
    await fuse.start();
    process.send?.('mounted');
    const stop = () => void fuse.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await fuse.whenEnded();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await fuse.close();
    }
    return undefined;
  },
};

/** Starts this same command line with --foreground, detached; returns once it has mounted. */
function background(stderr: NodeJS.WritableStream): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1), '--foreground'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  return new Promise((resolve) => {
    child.once('message', () => {
      child.stderr?.destroy();
      child.disconnect();
      child.unref();
      resolve(0);
    });
    child.once('exit', (code) => {
      stderr.write(err);
      resolve(code || 1);
    });
  });
}
