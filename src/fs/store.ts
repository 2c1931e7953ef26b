// Storing into an AFS file without losing bytes. StoreData64's FileLength is the length the file has
// afterwards, and a value below the server's length truncates the file (OpenAFS 1.8 does so; a test
// shows it). So the length passed is taken, just before the call, from the status the callback
// promise vouches for (our own replies and other clients' breaks keep it current), and within one
// client the stores into one file run one at a time: two calls in flight could otherwise each pass
// a length that does not yet count the other's bytes.

import type { OpOptions } from '../afs/fs-operation.js';
import type { AFSFetchStatus, AFSFid } from '../rpc/types.js';
import { storeStatus } from '../rpc/types.js';
import type { FsContext } from './context.js';

/** The most bytes one StoreData64 call carries. */
export const STORE_CHUNK = 64 << 20;

const queues = new WeakMap<FsContext, Map<string, Promise<unknown>>>();

/** Run `fn` after every earlier store into the same file through the same client has settled. */
function inOrder<T>(ctx: FsContext, cell: string, fid: AFSFid, fn: () => Promise<T>): Promise<T> {
  let byFile = queues.get(ctx);
  if (!byFile) {
    byFile = new Map();
    queues.set(ctx, byFile);
  }
  const key = `${cell}:${fid.volume}.${fid.vnode}.${fid.unique}`;
  const run = (byFile.get(key) ?? Promise.resolve()).then(fn, fn);
  const tail = run.then(
    () => {},
    () => {},
  );
  byFile.set(key, tail);
  void tail.then(() => {
    if (byFile.get(key) === tail) byFile.delete(key);
  });
  return run;
}

export interface Stored {
  /** Where the bytes went (the end of the file for an append). */
  pos: number;
  status: AFSFetchStatus;
}

const now = () => Math.floor(Date.now() / 1000);

/** Store `data` at `at` ('end': the file's current end, as O_APPEND does), keeping every other byte. */
export function storeRange(
  ctx: FsContext,
  cellName: string,
  fid: AFSFid,
  at: number | 'end',
  data: Buffer,
  o: OpOptions,
): Promise<Stored> {
  return inOrder(ctx, cellName, fid, async () => {
    const cell = await ctx.cell(cellName);
    let { status } = await ctx.files.fetchStatus(cell, fid, o);
    const pos = at === 'end' ? status.length : at;
    let off = 0;
    do {
      const n = Math.min(STORE_CHUNK, data.length - off);
      const end = pos + off + n;
      const r = await ctx.files.storeData(
        cell,
        fid,
        storeStatus({ modTime: now() }),
        pos + off,
        data.subarray(off, off + n),
        Math.max(status.length, end),
        o,
      );
      status = r.status;
      off += n;
    } while (off < data.length);
    return { pos, status };
  });
}

/** Set the file's length (ftruncate): a store of no bytes at the new length (kAFS's setattr). */
export function storeLength(
  ctx: FsContext,
  cellName: string,
  fid: AFSFid,
  length: number,
  o: OpOptions,
): Promise<AFSFetchStatus> {
  return inOrder(ctx, cellName, fid, async () => {
    const cell = await ctx.cell(cellName);
    const r = await ctx.files.storeData(
      cell,
      fid,
      storeStatus({ modTime: now() }),
      length,
      Buffer.alloc(0),
      length,
      o,
    );
    return r.status;
  });
}

/**
 * Ask the file server to fsync the file (AFS_FSYNC on a store of no bytes at its end), keeping its
 * length and modification time: what was already stored reaches the server's disk.
 */
export function storeSync(
  ctx: FsContext,
  cellName: string,
  fid: AFSFid,
  o: OpOptions,
): Promise<AFSFetchStatus> {
  return inOrder(ctx, cellName, fid, async () => {
    const cell = await ctx.cell(cellName);
    const { status } = await ctx.files.fetchStatus(cell, fid, o);
    const r = await ctx.files.storeData(
      cell,
      fid,
      storeStatus({ modTime: status.clientModTime, fsync: true }),
      status.length,
      Buffer.alloc(0),
      status.length,
      o,
    );
    return r.status;
  });
}
