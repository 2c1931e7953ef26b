// An advisory AFS lock (SetLock). The file server drops a lock 300 s after SetLock or the last
// ExtendLock (AFS_LOCKWAIT), so a held lock is extended every 60 s; it is released by release(),
// by its AbortSignal, or when the client closes.

import type { Cell } from '../afs/cell.js';
import { FS } from '../rpc/fs.js';
import type { AFSFid } from '../rpc/types.js';
import type { FsContext } from './context.js';

export const LOCK_EXTEND_MS = 60_000;

export class AfsLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private readonly untrack: () => void;
  private readonly onAbort = () => void this.release();
  /** Extension failures (the lock may be lost); the last one is kept for inspection. */
  lastError: unknown;
  extensions = 0;

  constructor(
    private readonly ctx: FsContext,
    private readonly cell: Cell,
    readonly fid: AFSFid,
    readonly path: string,
    private readonly signal?: AbortSignal,
    extendMs = LOCK_EXTEND_MS,
  ) {
    this.untrack = ctx.track(this);
    this.timer = setInterval(() => void this.extend(), extendMs);
    this.timer.unref();
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get held(): boolean {
    return !this.released;
  }

  private async extend(): Promise<void> {
    if (this.released) return;
    try {
      await this.ctx.files.call(
        this.cell,
        this.fid.volume,
        FS.ExtendLock,
        { fid: this.fid },
        { syscall: 'lock', path: this.path },
      );
      this.extensions++;
    } catch (e) {
      this.lastError = e;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.untrack();
    await this.ctx.files.call(
      this.cell,
      this.fid.volume,
      FS.ReleaseLock,
      { fid: this.fid },
      { syscall: 'unlock', path: this.path },
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
