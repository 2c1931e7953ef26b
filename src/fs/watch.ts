// client.fs.watch(path): the program hears the file server's callback breaks for a file or
// directory — what no other AFS client offers. Each break is reported, then the promise is taken
// again (FetchStatus) so later changes are heard too; a promise about to expire is renewed. While
// a watcher exists the endpoint stays ref()ed, so a script waiting on one does not exit.

import type { Cell } from '../afs/cell.js';
import type { BreakReason } from '../afs/vcache.js';
import { AfsError } from '../rpc/errors.js';
import type { AFSFid } from '../rpc/types.js';
import type { FsContext } from './context.js';

export interface WatchEvent {
  /** 'rename': an entry appeared in or went from a watched directory; 'change': a file changed. */
  eventType: 'change' | 'rename';
  /** As node:fs reports it: the file's own name, or the name of the entry in the directory. */
  filename: string;
  fid: AFSFid;
  /** Why the promise broke: the object itself, its whole volume, or the server reset its state. */
  reason: BreakReason;
  /** The data version after the change, when the status could be fetched again. */
  dataVersion?: bigint;
}

/** Renew this long before the promise expires. */
const RENEW_BEFORE_MS = 60_000;

export async function* watchFid(
  ctx: FsContext,
  cell: Cell,
  fid: AFSFid,
  filename: string,
  signal?: AbortSignal,
): AsyncGenerator<WatchEvent> {
  const cache = ctx.files.cache;
  if (!cache)
    throw new AfsError('ENOTSUP', 'ENOTSUP: watch needs the cache (cacheSize must not be false)', {
      syscall: 'watch',
      path: filename,
    });
  const queue: WatchEvent[] = [];
  let wake: (() => void) | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  const release = ctx.hold();
  const unsubscribe = cache.onBreak(cell.name, fid, (ev) => {
    queue.push({ eventType: 'change', filename, fid: ev.fid, reason: ev.reason });
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  const promise = async () => {
    // Take (or retake) the promise; schedule its renewal.
    const r = await ctx.files.fetchStatus(cell, fid, { syscall: 'watch', path: filename, signal });
    clearTimeout(renewTimer);
    const e = cache.peek(cell.name, fid);
    if (e && e.cbExpiresAt > 0) {
      renewTimer = setTimeout(
        () => {
          cache.breakFid(cell.name, fid); // let the loop below take a fresh promise
        },
        Math.max(e.cbExpiresAt - Date.now() - RENEW_BEFORE_MS, 1000),
      );
      renewTimer.unref();
    }
    return r.status;
  };
  try {
    await promise();
    for (;;) {
      while (queue.length === 0) {
        if (signal?.aborted) return;
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
      const ev = queue.shift()!;
      if (signal?.aborted) return;
      try {
        ev.dataVersion = (await promise()).dataVersion;
      } catch (e) {
        if (signal?.aborted) return;
        // The object may be gone (ENOENT after a removal): report the change, then end.
        yield ev;
        throw e;
      }
      queue.length = 0; // breaks that arrived while re-fetching describe the same change
      yield ev;
    }
  } finally {
    clearTimeout(renewTimer);
    signal?.removeEventListener('abort', onAbort);
    unsubscribe();
    release();
  }
}
