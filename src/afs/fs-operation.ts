// One FS operation on a FID (kAFS fs_operation.c): find the FID's volume record in its cell, rotate
// over its servers, run the RPC, map failures to typed errors, and keep the cache in step: reads
// are answered from it while a callback promise holds; every reply's statuses update it; a
// callback counts only if nothing broke between sending the request and installing the reply.

import { callRpc, type RpcOptions } from '../rpc/client.js';
import type { AnyRpcDef, ArgsIn, ResultOf } from '../rpc/define.js';
import { AfsError, RXGEN_OPCODE } from '../rpc/errors.js';
import { FS, LOCK_READ, LOCK_WRITE } from '../rpc/fs.js';
import type { AFSCallBack, AFSFetchStatus, AFSFid, AFSStoreStatus } from '../rpc/types.js';
import type { CallTimeouts } from '../rx/call.js';
import type { RxEndpoint } from '../rx/endpoint.js';
import type { SecurityClass } from '../rx/security/types.js';
import type { Cell } from './cell.js';
import {
  DataVersionChangedError,
  type FetchResult,
  fetchRange,
  storeData,
  type VersionPin,
} from './fsclient.js';
import { type Attempt, type RotateOptions, rotate, withVolume } from './rotate.js';
import { CHUNK_SIZE, type VnodeCache } from './vcache.js';

export interface OpOptions {
  signal?: AbortSignal;
  syscall?: string;
  path?: string;
}

const fidKey = (f: AFSFid) => `${f.volume}.${f.vnode}.${f.unique}`;

export class FileService {
  /** The server that granted each lock we hold, by "cell/fid". */
  private readonly lockServers = new Map<string, string>();

  constructor(
    readonly ep: RxEndpoint,
    /** The security class (identity) used with a cell's file servers. */
    readonly securityFor: (cell: string) => SecurityClass | undefined,
    /** Aborted when the client closes: every call in flight ends. */
    private readonly baseSignal?: AbortSignal,
    /** Statuses and data kept true by callbacks; absent = every read asks the server. */
    readonly cache?: VnodeCache,
    /** Maps a failure for a cell (a dead token becomes "run tsafs login" and is not used again). */
    private readonly onFailure?: (cell: string, e: unknown) => unknown,
    /** Rx timeouts of file-server calls, over rotation's defaults. */
    private readonly timeouts?: Partial<CallTimeouts>,
  ) {}

  private guard<T>(cell: Cell, p: Promise<T>): Promise<T> {
    if (!this.onFailure) return p;
    return p.catch((e: unknown) => {
      throw this.onFailure!(cell.name, e) ?? e;
    });
  }

  private signal(o: OpOptions): AbortSignal | undefined {
    if (!this.baseSignal) return o.signal;
    return o.signal ? AbortSignal.any([this.baseSignal, o.signal]) : this.baseSignal;
  }

  private rotateOpts(o: OpOptions, volumeName: string, cell: string): RotateOptions {
    return {
      security: this.securityFor(cell),
      signal: this.signal(o),
      syscall: o.syscall,
      path: o.path,
      timeouts: this.timeouts,
      readOnly: volumeName.endsWith('.readonly') || volumeName.endsWith('.backup'),
    };
  }

  private rpcOpts(a: Attempt, o: OpOptions): RpcOptions {
    return { timeouts: a.timeouts, signal: this.signal(o), syscall: o.syscall, path: o.path };
  }

  private serverKey(cell: Cell, a: Attempt): string {
    return `${cell.name}/${a.server.uuid}`;
  }

  /** Record what a reply says about the objects an RPC touched (statuses, new FIDs, callbacks). */
  private absorb(
    cell: Cell,
    args: Record<string, unknown>,
    r: Record<string, unknown>,
    server: string,
    sentAt: number,
  ): void {
    const c = this.cache;
    if (!c) return;
    const st = (k: string) => r[k] as AFSFetchStatus | undefined;
    const fid = (k: string) => args[k] as AFSFid | undefined;
    const status = st('status');
    if (r.fid && status) {
      // CreateFile / MakeDir / Symlink: a new object; files and directories come with a callback.
      const nf = r.fid as AFSFid;
      const cb = r.callback as AFSCallBack | undefined;
      if (cb) {
        const snap = c.snapshot(cell.name, nf, server);
        snap.sentAt = sentAt;
        c.install(cell.name, nf, status, cb, snap);
      } else c.update(cell.name, nf, status);
    } else if (status && fid('fid')) {
      c.update(cell.name, fid('fid')!, status);
    } else if (status && fid('existingFid')) {
      c.update(cell.name, fid('existingFid')!, status);
    }
    const pairs: [string, string][] = [
      ['dirStatus', 'dirFid'],
      ['oldDirStatus', 'oldDirFid'],
      ['newDirStatus', 'newDirFid'],
    ];
    for (const [sk, fk] of pairs) {
      const s = st(sk);
      const f = fid(fk);
      if (s && f) c.update(cell.name, f, s);
    }
  }

  /** Run any RPC against the servers of the FID's volume. */
  call<D extends AnyRpcDef>(
    cell: Cell,
    volumeId: number,
    def: D,
    args: ArgsIn<D>,
    o: OpOptions = {},
  ): Promise<ResultOf<D>> {
    // A lock lives on the server that granted it: extending or releasing it goes there only.
    const isLock = def === FS.SetLock || def === FS.ExtendLock || def === FS.ReleaseLock;
    const lockKey = isLock ? `${cell.name}/${fidKey((args as { fid: AFSFid }).fid)}` : '';
    const pinServer = isLock && def !== FS.SetLock ? this.lockServers.get(lockKey) : undefined;
    return this.guard(
      cell,
      withVolume(cell, volumeId, (v) =>
        rotate(
          v,
          async (a) => {
            const sentAt = Date.now();
            const r = await callRpc(this.ep, a.target, def, args, this.rpcOpts(a, o));
            if (def === FS.SetLock) this.lockServers.set(lockKey, a.server.uuid);
            else if (def === FS.ReleaseLock) this.lockServers.delete(lockKey);
            this.absorb(
              cell,
              args as Record<string, unknown>,
              r as Record<string, unknown>,
              this.serverKey(cell, a),
              sentAt,
            );
            return r;
          },
          { ...this.rotateOpts(o, v.name, cell.name), pinServer },
        ),
      ),
    );
  }

  /** FetchStatus, answered from the cache while a callback promise holds. */
  async fetchStatus(cell: Cell, fid: AFSFid, o: OpOptions = {}): Promise<{ status: AFSFetchStatus }> {
    const cached = this.cache?.validStatus(cell.name, fid);
    if (cached) return { status: cached };
    return this.guard(
      cell,
      withVolume(cell, fid.volume, (v) =>
        rotate(
          v,
          async (a) => {
            const snap = this.cache?.snapshot(cell.name, fid, this.serverKey(cell, a));
            const r = await callRpc(this.ep, a.target, FS.FetchStatus, { fid }, this.rpcOpts(a, o));
            this.cache?.install(cell.name, fid, r.status, r.callback, snap);
            return { status: r.status };
          },
          this.rotateOpts(o, v.name, cell.name),
        ),
      ),
    );
  }

  /**
   * Read [pos, pos+length) streaming to sink. Whole cached chunks of a file whose promise holds
   * are served with no RPC; otherwise the range is fetched (parallel calls for large ranges) and
   * the chunks it covers are cached under the data version the reply carried.
   */
  async fetchData(
    cell: Cell,
    fid: AFSFid,
    pos: number,
    length: number,
    sink: (c: Buffer) => void | Promise<void>,
    o: OpOptions & { parallel?: number; chunkSize?: number } = {},
  ): Promise<FetchResult & { total: number }> {
    const c = this.cache;
    const st = c?.validStatus(cell.name, fid);
    if (c && st) {
      const hit = await this.fromCache(cell.name, fid, st, pos, length);
      if (hit) {
        for (const b of hit.parts) await sink(b);
        return {
          length: hit.total,
          total: hit.total,
          status: st,
          callback: { version: 1, expirationTime: 0, type: 0 },
          volSync: emptySync,
        };
      }
    }
    // One read, however many attempts: an attempt after a failure resumes at the first byte not
    // yet delivered, and only from a reply of the same data version as the bytes delivered.
    const pin: VersionPin = {};
    let delivered = 0;
    // Collect whole chunks as they pass, when the read starts on a chunk boundary.
    const collect = c && pos % CHUNK_SIZE === 0 ? new ChunkCollector(pos / CHUNK_SIZE) : undefined;
    const deliver = (b: Buffer) => {
      delivered += b.length;
      collect?.add(b);
      return sink(b);
    };
    return this.guard(
      cell,
      withVolume(cell, fid.volume, (v) =>
        rotate(
          v,
          async (a) => {
            for (let restarts = 0; ; restarts++) {
              const snap = c?.snapshot(cell.name, fid, this.serverKey(cell, a));
              let r: FetchResult & { total: number };
              try {
                r = await fetchRange(this.ep, a.target, fid, pos + delivered, length - delivered, deliver, {
                  ...this.rpcOpts(a, o),
                  parallel: o.parallel,
                  chunkSize: o.chunkSize,
                  pin,
                });
              } catch (e) {
                // Nothing handed on yet: the read can start over at the new version.
                if (e instanceof DataVersionChangedError && delivered === 0 && restarts < 3) {
                  pin.dataVersion = undefined;
                  continue;
                }
                throw e;
              }
              if (c) {
                c.install(cell.name, fid, r.status, r.callback, snap);
                if (collect) {
                  const atEof = pos + delivered >= r.status.length;
                  for (const [idx, buf] of collect.finish(atEof))
                    c.putChunk(cell.name, fid, r.status.dataVersion, idx, buf);
                }
              }
              return { ...r, total: delivered };
            }
          },
          this.rotateOpts(o, v.name, cell.name),
        ),
      ),
    );
  }

  private async fromCache(
    cell: string,
    fid: AFSFid,
    st: AFSFetchStatus,
    pos: number,
    length: number,
  ): Promise<{ parts: Buffer[]; total: number } | undefined> {
    const c = this.cache!;
    const end = Math.min(pos + length, st.length);
    if (pos >= end) return st.length <= pos ? { parts: [], total: 0 } : undefined;
    const parts: Buffer[] = [];
    for (let idx = Math.floor(pos / CHUNK_SIZE); idx * CHUNK_SIZE < end; idx++) {
      const b = await c.getChunkAsync(cell, fid, st.dataVersion, idx);
      if (!b) return undefined;
      const from = Math.max(pos - idx * CHUNK_SIZE, 0);
      const to = Math.min(end - idx * CHUNK_SIZE, b.length);
      if (to < from || (to === b.length && b.length < CHUNK_SIZE && idx * CHUNK_SIZE + b.length < end))
        return undefined;
      parts.push(b.subarray(from, to));
    }
    return { parts, total: end - pos };
  }

  /** The whole content of a small object (directory, symlink), refusing anything over `max` bytes. */
  async fetchWhole(
    cell: Cell,
    fid: AFSFid,
    max: number,
    o: OpOptions = {},
  ): Promise<{ data: Buffer; status: AFSFetchStatus }> {
    const c = this.cache;
    const st = c?.validStatus(cell.name, fid);
    if (c && st) {
      const blob = await c.getChunkAsync(cell.name, fid, st.dataVersion, 'blob');
      if (blob) return { data: blob, status: st };
    }
    return this.guard(
      cell,
      withVolume(cell, fid.volume, (v) =>
        rotate(
          v,
          async (a) => {
            // Collected per attempt: a retried rotation must not deliver a prefix twice.
            const parts: Buffer[] = [];
            let n = 0;
            const snap = c?.snapshot(cell.name, fid, this.serverKey(cell, a));
            const r = await fetchRange(
              this.ep,
              a.target,
              fid,
              0,
              max + 1,
              (b) => {
                n += b.length;
                if (n > max) {
                  throw new AfsError('EFBIG', `EFBIG: object larger than ${max} bytes`, {
                    path: o.path,
                    syscall: o.syscall,
                  });
                }
                parts.push(b);
              },
              { ...this.rpcOpts(a, o), parallel: 1, chunkSize: max + 1 },
            );
            const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
            if (c) {
              c.install(cell.name, fid, r.status, r.callback, snap);
              c.putChunk(cell.name, fid, r.status.dataVersion, 'blob', data);
            }
            return { data, status: r.status };
          },
          this.rotateOpts(o, v.name, cell.name),
        ),
      ),
    );
  }

  async storeData(
    cell: Cell,
    fid: AFSFid,
    storeStatus: AFSStoreStatus,
    pos: number,
    data: Buffer,
    fileLength: number,
    o: OpOptions = {},
  ) {
    const r = await this.guard(
      cell,
      withVolume(cell, fid.volume, (v) =>
        rotate(
          v,
          (a) =>
            storeData(
              this.ep,
              a.target,
              fid,
              storeStatus,
              pos,
              data,
              data.length,
              fileLength,
              this.rpcOpts(a, o),
            ),
          this.rotateOpts(o, v.name, cell.name),
        ),
      ),
    );
    // Our own write: the reply's status is the new truth; our promise on the file stays.
    this.cache?.update(cell.name, fid, r.status);
    if (this.cache && pos === 0 && data.length === fileLength && data.length <= this.cache.maxDataBytes / 4) {
      // A whole-file write: its bytes are the new version's content.
      for (let off = 0, idx = 0; off < data.length || idx === 0; off += CHUNK_SIZE, idx++) {
        this.cache.putChunk(
          cell.name,
          fid,
          r.status.dataVersion,
          idx,
          Buffer.from(data.subarray(off, off + CHUNK_SIZE)),
        );
        if (data.length === 0) break;
      }
    }
    return r;
  }

  /** StoreACL (164), falling back to the old opcode 134 that OpenAFS 1.8 has. */
  async storeAcl(cell: Cell, fid: AFSFid, acl: Buffer, o: OpOptions = {}) {
    try {
      return await this.call(cell, fid.volume, FS.StoreACL, { fid, acl }, o);
    } catch (e) {
      if (!(e instanceof AfsError && e.afsCode === RXGEN_OPCODE)) throw e;
      return this.call(cell, fid.volume, FS.OldStoreACL, { fid, acl }, o);
    }
  }

  /**
   * Statuses of up to 50 FIDs of one volume: cached ones from the cache, the rest with one
   * InlineBulkStatus (BulkStatus where the server lacks it), whose callbacks are installed.
   */
  async bulkStatus(
    cell: Cell,
    volumeId: number,
    fids: AFSFid[],
    o: OpOptions = {},
  ): Promise<AFSFetchStatus[]> {
    const c = this.cache;
    const out: (AFSFetchStatus | undefined)[] = fids.map((f) => c?.validStatus(cell.name, f));
    const missing = fids.filter((_, i) => out[i] === undefined);
    if (missing.length === 0) return out as AFSFetchStatus[];
    const fetched = await this.guard(
      cell,
      withVolume(cell, volumeId, (v) =>
        rotate(
          v,
          async (a) => {
            const server = this.serverKey(cell, a);
            const snaps = c ? missing.map((f) => c.snapshot(cell.name, f, server)) : [];
            let r: { statuses: AFSFetchStatus[]; callbacks: AFSCallBack[] };
            try {
              r = await callRpc(
                this.ep,
                a.target,
                FS.InlineBulkStatus,
                { fids: missing },
                this.rpcOpts(a, o),
              );
            } catch (e) {
              if (!(e instanceof AfsError && e.afsCode === RXGEN_OPCODE)) throw e;
              r = await callRpc(this.ep, a.target, FS.BulkStatus, { fids: missing }, this.rpcOpts(a, o));
            }
            if (c) {
              r.statuses.forEach((s, i) => {
                if (s.errorCode === 0 && i < missing.length)
                  c.install(cell.name, missing[i]!, s, r.callbacks[i], snaps[i]);
              });
            }
            return r.statuses;
          },
          this.rotateOpts(o, v.name, cell.name),
        ),
      ),
    );
    let k = 0;
    return out.map((s) => s ?? fetched[k++]!) as AFSFetchStatus[];
  }

  setLock(cell: Cell, fid: AFSFid, exclusive: boolean, o: OpOptions = {}) {
    return this.call(cell, fid.volume, FS.SetLock, { fid, type: exclusive ? LOCK_WRITE : LOCK_READ }, o);
  }
}

const emptySync = { spare1: 0, spare2: 0, spare3: 0, spare4: 0, spare5: 0, spare6: 0 };

/** Gathers streamed bytes into whole cache chunks. */
class ChunkCollector {
  private cur: Buffer[] = [];
  private curLen = 0;
  private readonly done: [number, Buffer][] = [];
  constructor(private idx: number) {}
  add(b: Buffer): void {
    let off = 0;
    while (off < b.length) {
      const n = Math.min(CHUNK_SIZE - this.curLen, b.length - off);
      this.cur.push(b.subarray(off, off + n));
      this.curLen += n;
      off += n;
      if (this.curLen === CHUNK_SIZE) {
        this.done.push([this.idx++, Buffer.concat(this.cur)]);
        this.cur = [];
        this.curLen = 0;
      }
    }
  }
  /** Whole chunks, plus the partial last one when the read reached the end of the file. */
  finish(atEof: boolean): [number, Buffer][] {
    if (atEof && this.curLen > 0) this.done.push([this.idx, Buffer.concat(this.cur)]);
    return this.done;
  }
}
