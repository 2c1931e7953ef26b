// File-server data transfer with the 64-bit RPCs and their 32-bit fallbacks: a server that
// answers RXGEN_OPCODE to FetchData64/StoreData64 is remembered and gets FetchData/StoreData, but
// never an offset or end at 2^31 or beyond (OpenAFS reads those fields as signed).
// Whole-file reads run several FetchData64 calls at once over the connection's channels. Bytes of
// a call are handed on only once its reply has shown their data version, so one read never mixes
// the bytes of two versions (a dead call's bytes, whose version is unknown, are never delivered).

import { fetchRpc, type RpcOptions, type RpcTarget, storeRpc } from '../rpc/client.js';
import { AfsError, RXGEN_OPCODE } from '../rpc/errors.js';
import { FS } from '../rpc/fs.js';
import type { AFSCallBack, AFSFetchStatus, AFSFid, AFSStoreStatus, AFSVolSync } from '../rpc/types.js';
import type { RxEndpoint } from '../rx/endpoint.js';

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
 * The data version of the bytes a read has delivered so far, shared by the attempts of one read:
 * unset until the first bytes are handed on, then every later reply must carry the same version.
 */
export interface VersionPin {
  dataVersion?: bigint;
}

/** A reply carried another data version than the bytes already delivered: the file changed. */
export class DataVersionChangedError extends AfsError {
  constructor(
    readonly expected: bigint,
    readonly got: bigint,
    opts: { syscall?: string; path?: string; server?: string } = {},
  ) {
    super(
      'ESTALE',
      `ESTALE: the file changed while being read (data version ${expected}, then ${got} ` +
        `from ${opts.server ?? 'the server'})` +
        (opts.syscall ? `, ${opts.syscall}` : '') +
        (opts.path ? ` '${opts.path}'` : ''),
      { syscall: opts.syscall, path: opts.path },
    );
  }
}

/**
 * Read [pos, pos+length) with several calls in flight; `sink` sees the bytes in order. Stops early
 * at end of file (a call that returns fewer bytes than asked). Returns the last call's result.
 * Each call's bytes are held until its reply is in and its data version equals `pin`'s (set by
 * the first reply when unset); a different version throws DataVersionChangedError undelivered.
 */
export async function fetchRange(
  ep: RxEndpoint,
  t: RpcTarget,
  fid: AFSFid,
  pos: number,
  length: number,
  sink: (chunk: Buffer) => void | Promise<void>,
  opts: ParallelFetchOptions & { pin?: VersionPin } = {},
): Promise<FetchResult & { total: number }> {
  const chunk = opts.chunkSize ?? 4 << 20;
  const parallel = Math.max(1, opts.parallel ?? 4);
  const pin = opts.pin ?? {};
  let total = 0;
  const deliver = async (r: FetchResult, pieces: Buffer[]) => {
    const dv = r.status.dataVersion;
    if (pin.dataVersion === undefined) pin.dataVersion = dv;
    else if (pin.dataVersion !== dv)
      throw new DataVersionChangedError(pin.dataVersion, dv, {
        syscall: opts.syscall,
        path: opts.path,
        server: `${t.host}:${t.port}`,
      });
    for (const p of pieces) {
      total += p.length;
      await sink(p);
    }
  };
  // The first call tells us the file's length; the rest are sized to it.
  const n0 = Math.min(chunk, length);
  const firstPieces: Buffer[] = [];
  const first = await fetchData(ep, t, fid, pos, n0, (c) => void firstPieces.push(c), opts);
  await deliver(first, firstPieces);
  if (first.length < n0) return { ...first, total };
  length = Math.min(length, Math.max(first.status.length - pos, n0));
  let next = n0;
  if (next >= length) return { ...first, total };
  // Calls still in flight when one fails are cancelled with it.
  const stop = new AbortController();
  const slotOpts = {
    ...opts,
    signal: opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal,
  };
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
      done: fetchData(ep, t, fid, pos + off, n, (c) => void pieces.push(c), slotOpts),
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
  try {
    while (slots.length) {
      const s = slots.shift()!;
      last = await s.done;
      await deliver(last, s.pieces);
      if (last.length < s.asked) break; // end of file: later slots hold nothing
      const n = launch();
      if (n) slots.push(n);
    }
  } finally {
    if (slots.length) stop.abort(new Error('an earlier part of the read ended it'));
  }
  return { ...last, total };
}
