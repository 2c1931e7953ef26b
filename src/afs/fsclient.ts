// File-server data transfer with the 64-bit RPCs and their 32-bit fallbacks: a server that
// answers RXGEN_OPCODE to FetchData64/StoreData64 is remembered and gets FetchData/StoreData, but
// never an offset or end at 2^31 or beyond (OpenAFS reads those fields as signed).
// Whole-file reads run several FetchData64 calls at once over the connection's channels.

import { fetchRpc, type RpcOptions, type RpcTarget, storeRpc } from '../rpc/client.js';
import { AfsError } from '../rpc/errors.js';
import { FS } from '../rpc/fs.js';
import type { AFSCallBack, AFSFetchStatus, AFSFid, AFSStoreStatus, AFSVolSync } from '../rpc/types.js';
import type { RxEndpoint } from '../rx/endpoint.js';

export const FS_PORT = 7000;
export const FS_SERVICE_ID = 1;
const RXGEN_OPCODE = -455;
const MAX_32 = 0x7fffffff;

/** Servers known to lack the 64-bit RPCs, by "host:port". */
const no64 = new Set<string>();

export function markNo64(t: RpcTarget): void {
  no64.add(`${t.host}:${t.port}`);
}

function lacks64(t: RpcTarget): boolean {
  return no64.has(`${t.host}:${t.port}`);
}

function tooFarFor32(op: string, end: number, opts: RpcOptions): AfsError {
  return new AfsError('EFBIG', `EFBIG: ${op} beyond 2 GiB needs the 64-bit RPCs, which the server lacks`, {
    afsName: 'RXGEN_OPCODE',
    afsCode: RXGEN_OPCODE,
    syscall: opts.syscall,
    path: opts.path,
  });
}

export interface FetchResult {
  /** Bytes the server sent (fewer than asked at end of file). */
  length: number;
  status: AFSFetchStatus;
  callback: AFSCallBack;
  volSync: AFSVolSync;
}

/** One FetchData64 (or FetchData) call: bytes go to `sink` as they arrive. */
export async function fetchData(
  ep: RxEndpoint,
  t: RpcTarget,
  fid: AFSFid,
  pos: number,
  length: number,
  sink: (chunk: Buffer) => void | Promise<void>,
  opts: RpcOptions = {},
): Promise<FetchResult> {
  if (!lacks64(t)) {
    try {
      const r = await fetchRpc(ep, t, FS.FetchData64, { fid, pos, length }, sink, {
        ...opts,
        maxLength: length,
      });
      return { length: r.length, ...r.result };
    } catch (e) {
      if (!(e instanceof AfsError && e.afsCode === RXGEN_OPCODE)) throw e;
      markNo64(t);
    }
  }
  if (pos + length > MAX_32) {
    if (pos >= MAX_32) throw tooFarFor32('FetchData', pos + length, opts);
    length = MAX_32 - pos;
  }
  const r = await fetchRpc(ep, t, FS.FetchData, { fid, pos, length }, sink, { ...opts, maxLength: length });
  return { length: r.length, ...r.result };
}

export interface StoreResult {
  status: AFSFetchStatus;
  volSync: AFSVolSync;
}

/** One StoreData64 (or StoreData) call writing `length` bytes at `pos` and setting the file length. */
export async function storeData(
  ep: RxEndpoint,
  t: RpcTarget,
  fid: AFSFid,
  storeStatus: AFSStoreStatus,
  pos: number,
  data: Buffer | AsyncIterable<Buffer>,
  length: number,
  fileLength: number,
  opts: RpcOptions = {},
): Promise<StoreResult> {
  if (!lacks64(t)) {
    try {
      return await storeRpc(
        ep,
        t,
        FS.StoreData64,
        { fid, storeStatus, pos, length, fileLength },
        data,
        length,
        opts,
      );
    } catch (e) {
      if (!(e instanceof AfsError && e.afsCode === RXGEN_OPCODE)) throw e;
      // Only a Buffer can be sent again; a consumed stream cannot.
      if (!Buffer.isBuffer(data)) throw e;
      markNo64(t);
    }
  }
  if (pos + length > MAX_32 || fileLength > MAX_32)
    throw tooFarFor32('StoreData', Math.max(pos + length, fileLength), opts);
  return storeRpc(ep, t, FS.StoreData, { fid, storeStatus, pos, length, fileLength }, data, length, opts);
}

export interface ParallelFetchOptions extends RpcOptions {
  /** Bytes per call (default 4 MiB). */
  chunkSize?: number;
  /** Calls in flight at once (default 4: one per channel of a connection). */
  parallel?: number;
}

/**
 * Read [pos, pos+length) with several calls in flight; `sink` sees the bytes in order. Stops early
 * at end of file (a call that returns fewer bytes than asked). Returns the last call's result.
 */
export async function fetchRange(
  ep: RxEndpoint,
  t: RpcTarget,
  fid: AFSFid,
  pos: number,
  length: number,
  sink: (chunk: Buffer) => void | Promise<void>,
  opts: ParallelFetchOptions = {},
): Promise<FetchResult & { total: number; dvChanged: boolean }> {
  const chunk = opts.chunkSize ?? 4 << 20;
  const parallel = Math.max(1, opts.parallel ?? 4);
  // The first call tells us the file's length; the rest are sized to it.
  let total = 0;
  const n0 = Math.min(chunk, length);
  const first = await fetchData(
    ep,
    t,
    fid,
    pos,
    n0,
    (c) => {
      total += c.length;
      return sink(c);
    },
    opts,
  );
  if (first.length < n0) return { ...first, total, dvChanged: false };
  length = Math.min(length, Math.max(first.status.length - pos, n0));
  let next = n0;
  if (next >= length) return { ...first, total, dvChanged: false };
  // Several calls at once; each buffers its chunk, delivered strictly in order.
  type Slot = { asked: number; pieces: Buffer[]; done: Promise<FetchResult> };
  const slots: Slot[] = [];
  const launch = (): Slot | undefined => {
    if (next >= length) return undefined;
    const off = next;
    const n = Math.min(chunk, length - off);
    next += n;
    const pieces: Buffer[] = [];
    const slot: Slot = {
      asked: n,
      pieces,
      done: fetchData(ep, t, fid, pos + off, n, (c) => void pieces.push(c), opts),
    };
    // Avoid unhandled rejections for slots we abandon after an earlier failure.
    slot.done.catch(() => {});
    return slot;
  };
  for (let i = 0; i < parallel; i++) {
    const s = launch();
    if (s) slots.push(s);
  }
  let last: FetchResult = first;
  // Calls made one after another may straddle a change to the file: callers must not mix versions.
  let dvChanged = false;
  while (slots.length) {
    const s = slots.shift()!;
    last = await s.done;
    if (last.status.dataVersion !== first.status.dataVersion) dvChanged = true;
    for (const p of s.pieces) {
      total += p.length;
      await sink(p);
    }
    if (last.length < s.asked) break; // end of file: later slots hold nothing
    const n = launch();
    if (n) slots.push(n);
  }
  return { ...last, total, dvChanged };
}
