// One FS operation on a FID (kAFS fs_operation.c): find the FID's volume record in its cell, rotate
// over its servers, run the RPC, map failures to typed errors. Every file-API call goes through here.

import { callRpc, type RpcOptions } from '../rpc/client.js';
import type { AnyRpcDef, ArgsIn, ResultOf } from '../rpc/define.js';
import { AfsError } from '../rpc/errors.js';
import { FS, LOCK_READ, LOCK_WRITE } from '../rpc/fs.js';
import type { AFSFetchStatus, AFSFid, AFSStoreStatus } from '../rpc/types.js';
import type { RxEndpoint } from '../rx/endpoint.js';
import type { SecurityClass } from '../rx/security/types.js';
import type { Cell } from './cell.js';
import { type FetchResult, fetchRange, storeData } from './fsclient.js';
import { type Attempt, type RotateOptions, rotate, withVolume } from './rotate.js';

export interface OpOptions {
  signal?: AbortSignal;
  syscall?: string;
  path?: string;
}

const RXGEN_OPCODE = -455;

export class FileService {
  constructor(
    readonly ep: RxEndpoint,
    /** The security class (identity) used with a cell's file servers. */
    readonly securityFor: (cell: string) => SecurityClass | undefined,
    /** Aborted when the client closes: every call in flight ends. */
    private readonly baseSignal?: AbortSignal,
  ) {}

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
      readOnly: volumeName.endsWith('.readonly') || volumeName.endsWith('.backup'),
    };
  }

  private rpcOpts(a: Attempt, o: OpOptions): RpcOptions {
    return { timeouts: a.timeouts, signal: this.signal(o), syscall: o.syscall, path: o.path };
  }

  /** Run any RPC against the servers of the FID's volume. */
  call<D extends AnyRpcDef>(
    cell: Cell,
    volumeId: number,
    def: D,
    args: ArgsIn<D>,
    o: OpOptions = {},
  ): Promise<ResultOf<D>> {
    return withVolume(cell, volumeId, (v) =>
      rotate(
        v,
        (a) => callRpc(this.ep, a.target, def, args, this.rpcOpts(a, o)),
        this.rotateOpts(o, v.name, cell.name),
      ),
    );
  }

  fetchStatus(cell: Cell, fid: AFSFid, o: OpOptions = {}) {
    return this.call(cell, fid.volume, FS.FetchStatus, { fid }, o);
  }

  /** Read [pos, pos+length) streaming to sink (parallel calls for large ranges). */
  fetchData(
    cell: Cell,
    fid: AFSFid,
    pos: number,
    length: number,
    sink: (c: Buffer) => void | Promise<void>,
    o: OpOptions & { parallel?: number; chunkSize?: number } = {},
  ): Promise<FetchResult & { total: number }> {
    return withVolume(cell, fid.volume, (v) =>
      rotate(
        v,
        (a) =>
          fetchRange(this.ep, a.target, fid, pos, length, sink, {
            ...this.rpcOpts(a, o),
            parallel: o.parallel,
            chunkSize: o.chunkSize,
          }),
        this.rotateOpts(o, v.name, cell.name),
      ),
    );
  }

  /** The whole content of a small object (directory, symlink), refusing anything over `max` bytes. */
  async fetchWhole(
    cell: Cell,
    fid: AFSFid,
    max: number,
    o: OpOptions = {},
  ): Promise<{ data: Buffer; status: AFSFetchStatus }> {
    // A sink-retrying rotation could deliver a prefix twice: collect per attempt.
    return withVolume(cell, fid.volume, (v) =>
      rotate(
        v,
        async (a) => {
          const parts: Buffer[] = [];
          let n = 0;
          const r = await fetchRange(
            this.ep,
            a.target,
            fid,
            0,
            max + 1,
            (c) => {
              n += c.length;
              if (n > max)
                throw new AfsError('EFBIG', `EFBIG: object larger than ${max} bytes`, {
                  path: o.path,
                  syscall: o.syscall,
                });
              parts.push(c);
            },
            { ...this.rpcOpts(a, o), parallel: 1, chunkSize: max + 1 },
          );
          return { data: parts.length === 1 ? parts[0]! : Buffer.concat(parts), status: r.status };
        },
        this.rotateOpts(o, v.name, cell.name),
      ),
    );
  }

  storeData(
    cell: Cell,
    fid: AFSFid,
    storeStatus: AFSStoreStatus,
    pos: number,
    data: Buffer,
    fileLength: number,
    o: OpOptions = {},
  ) {
    return withVolume(cell, fid.volume, (v) =>
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
    );
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

  /** InlineBulkStatus of up to 50 FIDs of one volume; BulkStatus where the server lacks it. */
  async bulkStatus(
    cell: Cell,
    volumeId: number,
    fids: AFSFid[],
    o: OpOptions = {},
  ): Promise<AFSFetchStatus[]> {
    try {
      return (await this.call(cell, volumeId, FS.InlineBulkStatus, { fids }, o)).statuses;
    } catch (e) {
      if (!(e instanceof AfsError && e.afsCode === RXGEN_OPCODE)) throw e;
      return (await this.call(cell, volumeId, FS.BulkStatus, { fids }, o)).statuses;
    }
  }

  setLock(cell: Cell, fid: AFSFid, exclusive: boolean, o: OpOptions = {}) {
    return this.call(cell, fid.volume, FS.SetLock, { fid, type: exclusive ? LOCK_WRITE : LOCK_READ }, o);
  }
}
