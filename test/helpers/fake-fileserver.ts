// An in-process file server for the paths a real OpenAFS server cannot show: one that lacks the
// 64-bit data RPCs (answers RXGEN_OPCODE to FetchData64/StoreData64) or the new StoreACL (164).
// It decodes and encodes with the real FS definitions (decodeCall/encodeResult, as serveRpc does),
// but dispatches itself because split stores carry their bulk data after the arguments, which
// serveRpc's handlers do not receive. It keeps file bytes in memory and logs every RPC by name.
import { decodeCall, encodeResult, RXGEN_OPCODE, serverAbortCode } from '../../src/rpc/define.js';
import { FS, fsService } from '../../src/rpc/fs.js';
import type { AFSFetchStatus, AFSFid } from '../../src/rpc/types.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { XdrWriter } from '../../src/xdr/codec.js';

export interface FakeFileServerOptions {
  /** Answer RXGEN_OPCODE to FetchData64 and StoreData64 (a pre-1.4 server). */
  no64?: boolean;
  /** Answer RXGEN_OPCODE to StoreACL 164 (OpenAFS 1.8 has only OldStoreACL 134). */
  noStoreAcl164?: boolean;
}

/** A file server refusal the fake can be told to send for one FID. */
export class FakeAbort extends Error {
  constructor(readonly abortCode: number) {
    super(`abort ${abortCode}`);
  }
}

const key = (f: AFSFid) => `${f.volume}.${f.vnode}.${f.unique}`;

export class FakeFileServer {
  /** RPC names in arrival order, e.g. "FS.FetchData64". */
  readonly calls: string[] = [];
  /** Arguments of the data RPCs as received (offsets as the wire carried them). */
  readonly dataArgs: { rpc: string; pos: number; length: number; fileLength?: number }[] = [];
  readonly files = new Map<string, Buffer>();
  readonly acls = new Map<string, Buffer>();

  private constructor(
    readonly ep: RxEndpoint,
    readonly options: FakeFileServerOptions,
  ) {}

  static async start(options: FakeFileServerOptions = {}): Promise<FakeFileServer> {
    const ep = await RxEndpoint.open({ host: '127.0.0.1', port: 0 });
    const s = new FakeFileServer(ep, options);
    ep.serve(1, (call) => void s.handle(call));
    return s;
  }

  get target() {
    return { host: '127.0.0.1', port: this.ep.address.port, serviceId: 1 };
  }

  status(fid: AFSFid): AFSFetchStatus {
    const len = this.files.get(key(fid))?.length ?? 0;
    return {
      interfaceVersion: 1,
      fileType: 1,
      linkCount: 1,
      length: len,
      dataVersion: 1n,
      author: 0,
      owner: 0,
      callerAccess: 0x7f,
      anonymousAccess: 0x7f,
      mode: 0o644,
      parentVnode: 1,
      parentUnique: 1,
      segSize: 0,
      clientModTime: 0,
      serverModTime: 0,
      group: 0,
      syncCounter: 0,
      lockCount: 0,
      errorCode: 0,
    };
  }

  private readonly volSync = { spare1: 0, spare2: 0, spare3: 0, spare4: 0, spare5: 0, spare6: 0 };

  private async handle(call: Parameters<Parameters<RxEndpoint['serve']>[1]>[0]): Promise<void> {
    try {
      const { def, args, data } = decodeCall(fsService, await call.readAll());
      this.calls.push(def.name);
      const a = args as { fid: AFSFid; pos: number; length: number; fileLength: number; acl: Buffer };
      const is64 = def === FS.FetchData64 || def === FS.StoreData64;
      if ((is64 && this.options.no64) || (def === FS.StoreACL && this.options.noStoreAcl164)) {
        call.abort(RXGEN_OPCODE);
        return;
      }
      if (def === FS.FetchData || def === FS.FetchData64) {
        this.dataArgs.push({ rpc: def.name, pos: a.pos, length: a.length });
        const file = this.files.get(key(a.fid)) ?? Buffer.alloc(0);
        const bytes = file.subarray(Math.min(a.pos, file.length), Math.min(a.pos + a.length, file.length));
        const w = new XdrWriter(8);
        def.fetchLength!.encode(w, bytes.length);
        await call.write(Buffer.concat([w.finish(), bytes]));
        const cb = { version: 1, expirationTime: 3600, type: 1 };
        await call.end(
          encodeResult(def, { status: this.status(a.fid), callback: cb, volSync: this.volSync }),
        );
        return;
      }
      if (def === FS.StoreData || def === FS.StoreData64) {
        this.dataArgs.push({ rpc: def.name, pos: a.pos, length: a.length, fileLength: a.fileLength });
        const old = this.files.get(key(a.fid)) ?? Buffer.alloc(0);
        const next = Buffer.alloc(Math.max(a.fileLength, a.pos + a.length));
        old.copy(next, 0, 0, Math.min(old.length, next.length));
        data.subarray(0, a.length).copy(next, a.pos);
        this.files.set(key(a.fid), next.subarray(0, Math.max(a.fileLength, a.pos + a.length)));
        await call.end(encodeResult(def, { status: this.status(a.fid), volSync: this.volSync }));
        return;
      }
      if (def === FS.StoreACL || def === FS.OldStoreACL) {
        this.acls.set(key(a.fid), Buffer.from(a.acl));
        await call.end(encodeResult(def, { status: this.status(a.fid), volSync: this.volSync }));
        return;
      }
      if (def === FS.FetchStatus) {
        const cb = { version: 1, expirationTime: 3600, type: 1 };
        await call.end(
          encodeResult(def, { status: this.status(a.fid), callback: cb, volSync: this.volSync }),
        );
        return;
      }
      call.abort(RXGEN_OPCODE);
    } catch (e) {
      if (call.state === 'active')
        call.abort(e instanceof FakeAbort ? e.abortCode : (serverAbortCode(e) ?? -1));
    }
  }

  async close(): Promise<void> {
    await this.ep.close();
  }
}
