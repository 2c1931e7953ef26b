// One FUSE connection: /dev/fuse opened by us, mounted by mount(8) with the open descriptor
// (`-o fd=N`, root only: without root, fusermount3 would hand the descriptor back over a Unix
// socket with SCM_RIGHTS, which Node cannot receive), requests read by a worker thread, replies
// written from the main thread. Notifications go through the thread pool, never the main thread:
// the kernel may hold a directory lock that only our pending reply releases.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, write, writeFileSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AfsError } from '../rpc/errors.js';
import { READ_BUFFER_SIZE } from './fuse-abi.js';

export interface FuseDeviceOptions {
  /** Let users other than the mounter in (default true; needs root, as mounting does). */
  allowOther?: boolean;
  /** The file-system name shown in /proc/mounts (default "tsafs"). */
  source?: string;
}

/** `mountpoint` is a FUSE mount whose server is gone ("Transport endpoint is not connected"). */
export async function isDeadMount(mountpoint: string): Promise<boolean> {
  try {
    await stat(mountpoint);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOTCONN';
  }
}

/** The kernel's device number of the newest tsafs FUSE mount on `mountpoint`, from mountinfo. */
function connectionOf(mountpoint: string): string | undefined {
  let found: string | undefined;
  try {
    const want = resolve(mountpoint).replace(
      /[ \t\n\\]/g,
      (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`,
    );
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      const sep = f.indexOf('-');
      if (f[4] !== want || f[sep + 1] !== 'fuse.tsafs') continue;
      const [ma, mi] = (f[2] ?? '').split(':').map(Number);
      if (ma !== undefined && mi !== undefined) found = String(ma * 2 ** 20 + mi);
    }
  } catch {
    // Not fatal: close() falls back to a lazy unmount.
  }
  return found;
}

/**
 * Runs mount(8)/umount(8) without blocking the event loop: they may look at the mount point, which
 * only this thread can answer. -c: no canonicalisation (no stat of the path at all).
 */
function run(cmd: string, args: string[], fd?: number): Promise<{ ok: boolean; err: string }> {
  const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'ignore', 'pipe'];
  if (fd !== undefined) stdio.push(fd);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio, timeout: 10_000 });
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', (e) => resolve({ ok: false, err: e.message }));
    child.on('close', (code) => resolve({ ok: code === 0, err: err.trim() }));
  });
}

export class FuseDevice {
  private readonly fd: number;
  private worker?: Worker;
  private connection: string | undefined;
  private ended = false;
  private readonly endWaiters: (() => void)[] = [];
  readonly mountpoint: string;

  private constructor(mountpoint: string, fd: number) {
    this.mountpoint = mountpoint;
    this.fd = fd;
  }

  /**
   * Mounts a new FUSE file system at `mountpoint` (recovering a dead mount left there by a killed
   * server) and starts reading requests; `onRequest` gets each one whole.
   */
  static async mount(
    mountpoint: string,
    onRequest: (req: Buffer) => void,
    o: FuseDeviceOptions = {},
  ): Promise<FuseDevice> {
    if (await isDeadMount(mountpoint)) await run('umount', ['-c', '-l', mountpoint]);
    let fd: number;
    try {
      fd = openSync('/dev/fuse', 'r+');
    } catch (e) {
      throw new AfsError('EACCES', `EACCES: cannot open /dev/fuse (${(e as Error).message})`, {
        syscall: 'mount',
        path: mountpoint,
      });
    }
    const dev = new FuseDevice(mountpoint, fd);
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const opts = ['fd=3', 'rootmode=40000', `user_id=${uid}`, `group_id=${gid}`];
    if (o.allowOther ?? true) opts.push('allow_other');
    // The reader starts first (it waits for the mount): the kernel sends INIT at once.
    dev.startReader(onRequest);
    // -i: no /sbin/mount.fuse helper (it would take the source for a program to run).
    const r = await run(
      'mount',
      ['-i', '-c', '-t', 'fuse.tsafs', '-o', opts.join(','), o.source ?? 'tsafs', mountpoint],
      fd,
    );
    if (!r.ok) {
      await dev.worker?.terminate();
      dev.finish();
      closeSync(fd);
      throw new AfsError(
        'EPERM',
        `EPERM: mount ${mountpoint} failed: ${r.err || 'mount(8) refused'} (mounting needs root)`,
        { syscall: 'mount', path: mountpoint },
      );
    }
    // The fusectl connection (named by the mount's device number) is the way to abort it later.
    dev.connection = connectionOf(mountpoint);
    return dev;
  }

  private startReader(onRequest: (req: Buffer) => void): void {
    const w = new Worker(new URL('./fuse-reader.js', import.meta.url), {
      workerData: { fd: this.fd, bufferSize: READ_BUFFER_SIZE },
    });
    this.worker = w;
    w.on('message', (m: { n?: number; ab?: ArrayBuffer; end?: string }) => {
      if (m.ab) onRequest(Buffer.from(m.ab, 0, m.n));
      else this.finish();
    });
    w.on('error', () => this.finish());
    w.on('exit', () => this.finish());
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.endWaiters.splice(0)) w();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Resolves when the kernel ends the session (unmounted from outside, or aborted). */
  whenEnded(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((r) => this.endWaiters.push(r));
  }

  /** A reply: written at once; a reply to a request the kernel gave up on (ENOENT) is dropped. */
  reply(b: Buffer): void {
    if (this.ended) return;
    try {
      writeSync(this.fd, b);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENODEV' && code !== 'EBADF') throw e;
    }
  }

  /** A notification, written from the thread pool so the main thread never waits on the kernel. */
  notify(b: Buffer): void {
    if (this.ended) return;
    write(this.fd, b, () => {
      // ENOENT: the inode or entry is no longer known to the kernel; nothing to invalidate.
    });
  }

  /** Unmounts (lazily when busy: open files keep working until closed) and ends the session. */
  async close(): Promise<void> {
    if (!this.ended) {
      // Abort first: requests still queued (an open file, a process waiting on us) then fail at
      // once instead of holding umount or the reader; then detach the mount point.
      if (this.connection) await this.abortConnection(this.connection);
      await run('umount', ['-c', '-l', this.mountpoint]);
      await Promise.race([this.whenEnded(), new Promise((r) => setTimeout(r, 2000).unref())]);
      // A reader still blocked in read(2) cannot be interrupted: let it go with the process.
      this.worker?.unref();
      this.finish();
    }
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  /** Aborts the kernel connection through fusectl, waking the reader with ENODEV. */
  private async abortConnection(id: string): Promise<void> {
    const dir = '/sys/fs/fuse/connections';
    try {
      if (readdirSync(dir).length === 0) await run('mount', ['-t', 'fusectl', 'fusectl', dir]);
      writeFileSync(`${dir}/${id}/abort`, '1');
    } catch {
      // Without fusectl the lazy unmount still ends the session once the last file is closed.
    }
  }
}
