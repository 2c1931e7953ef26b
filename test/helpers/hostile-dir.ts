// A whole fake cell in process — VL and file service on one Rx endpoint at <host>:7000 (the VLDB
// gives addresses without ports, so the file server must sit on 7000; any 127/8 address works) —
// serving one read-write volume whose directories can list any names a hostile server might
// send ("../victim", "a/b", a second "..", names of another cell). Decoding and encoding go
// through the project's own RPC definitions. Removals act on the in-memory tree as a server
// would (by directory FID and name) and every call is logged with its FID and name, so a test
// can show that nothing outside a tree was touched.
import { AFS_PAGESIZE, EPP, SLOT_SIZE } from '../../src/afs/dir.js';
import { decodeCall, encodeResult, RXGEN_OPCODE, serverAbortCode } from '../../src/rpc/define.js';
import { VL_NOENT, VNOVNODE } from '../../src/rpc/errors.js';
import { FS, fsService } from '../../src/rpc/fs.js';
import {
  type AFSFetchStatus,
  type AFSFid,
  FILE_TYPE_DIRECTORY,
  FILE_TYPE_FILE,
} from '../../src/rpc/types.js';
import { VL, VL_SERVICE_ID, VLF_RWEXISTS, VLSF_RWVOL, vlService } from '../../src/rpc/vl.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { XdrWriter } from '../../src/xdr/codec.js';
import { DirBuilder } from '../unit/helpers/dir-builder.js';

const FS_SERVICE = 1;
const FS_PORT = 7000;
/** Linux errno values the file server sends with ERRORTRANS semantics (EEXIST, ENOENT). */
const EEXIST = 17;

export interface FakeEntry {
  name: Buffer;
  vnode: number;
}

interface Vnode {
  vnode: number;
  unique: number;
  type: 'dir' | 'file';
  /** For directories: entries in listing order (names may repeat, hostile). */
  entries: FakeEntry[];
  /** For directories: the ".." entry's vnode. */
  parent: number;
  data: Buffer;
}

export interface LoggedCall {
  rpc: string;
  fid?: AFSFid;
  name?: string;
}

const volSync = { spare1: 0, spare2: 0, spare3: 0, spare4: 0, spare5: 0, spare6: 0 };
const callback = { version: 1, expirationTime: 3600, type: 1 };

/** One volume ("root.cell", RW only) of a fake cell. Vnode 1 is its root directory. */
export class HostileCell {
  readonly log: LoggedCall[] = [];
  readonly volumeId = 536870912;
  private readonly vnodes = new Map<number, Vnode>();
  private nextVnode = 2;

  private constructor(
    readonly ep: RxEndpoint,
    readonly host: string,
  ) {
    this.vnodes.set(1, { vnode: 1, unique: 1, type: 'dir', entries: [], parent: 1, data: Buffer.alloc(0) });
  }

  /** Listen on `host`:7000 (pick a 127/8 address no other test uses). */
  static async start(host: string): Promise<HostileCell> {
    const ep = await RxEndpoint.open({ host, port: FS_PORT });
    const c = new HostileCell(ep, host);
    ep.serve(FS_SERVICE, (call) => void c.handle(call, 'fs'));
    ep.serve(VL_SERVICE_ID, (call) => void c.handle(call, 'vl'));
    return c;
  }

  /** The VL server address for AfsClientOptions.cells. */
  get vlAddress(): string {
    return `${this.host}:${FS_PORT}`;
  }

  /** Add a directory below `parent` (listed there under `name`); returns its vnode. */
  mkdir(parent: number, name: string | Buffer): number {
    const v = this.nextVnode++;
    this.vnodes.set(v, {
      vnode: v,
      unique: v + 1000,
      type: 'dir',
      entries: [],
      parent,
      data: Buffer.alloc(0),
    });
    this.link(parent, name, v);
    return v;
  }

  /** Add a file below `parent`; returns its vnode. */
  file(parent: number, name: string | Buffer, data = Buffer.from('x')): number {
    const v = this.nextVnode++;
    this.vnodes.set(v, { vnode: v, unique: v + 1000, type: 'file', entries: [], parent, data });
    this.link(parent, name, v);
    return v;
  }

  /** List `target` in `dir` under `name`, whatever the name is. */
  link(dir: number, name: string | Buffer, target: number): void {
    this.vnodes
      .get(dir)!
      .entries.push({ name: typeof name === 'string' ? Buffer.from(name) : name, vnode: target });
  }

  /** Names listed in a directory now. */
  names(dir: number): string[] {
    return this.vnodes.get(dir)!.entries.map((e) => e.name.toString());
  }

  has(vnode: number): boolean {
    return this.vnodes.has(vnode);
  }

  fidOf(vnode: number): AFSFid {
    return { volume: this.volumeId, vnode, unique: this.vnodes.get(vnode)?.unique ?? vnode + 1000 };
  }

  /** Logged removals (RemoveFile/RemoveDir) with their directory vnode and name. */
  removals(): { rpc: string; dir: number; name: string }[] {
    return this.log
      .filter((c) => c.rpc === 'FS.RemoveFile' || c.rpc === 'FS.RemoveDir')
      .map((c) => ({ rpc: c.rpc, dir: c.fid!.vnode, name: c.name! }));
  }

  /** The directory blob as a server would send it; repeated names and "."/".." are written raw. */
  private blob(d: Vnode): Buffer {
    const b = new DirBuilder({ vnode: d.vnode, unique: d.unique }, this.fidOf(d.parent));
    const patches: { entry: number; name: Buffer }[] = [];
    d.entries.forEach((e, i) => {
      const fid = this.fidOf(e.vnode);
      try {
        b.create(e.name, fid.vnode, fid.unique);
      } catch {
        // The builder refuses what a real server would (repeats, ".", ".."): create a placeholder
        // of the same length and write the hostile bytes over it (listed, though not found by
        // hash lookup).
        const placeholder = Buffer.from(`~${i}`.padEnd(Math.max(e.name.length, 8), '~'));
        const built = b.create(placeholder, fid.vnode, fid.unique);
        patches.push({ entry: built.entry, name: e.name });
      }
    });
    const buf = b.toBuffer();
    for (const p of patches) {
      const off = (p.entry >> 6) * AFS_PAGESIZE + (p.entry & (EPP - 1)) * SLOT_SIZE + 12;
      buf.fill(0, off, off + Math.max(p.name.length, 8) + 1);
      p.name.copy(buf, off);
    }
    return buf;
  }

  private status(v: Vnode | undefined): AFSFetchStatus {
    const data = v?.type === 'dir' ? this.blob(v) : (v?.data ?? Buffer.alloc(0));
    return {
      interfaceVersion: 1,
      fileType: v?.type === 'dir' ? FILE_TYPE_DIRECTORY : FILE_TYPE_FILE,
      linkCount: 1,
      length: data.length,
      dataVersion: 1n,
      author: 0,
      owner: 0,
      callerAccess: 0x7f,
      anonymousAccess: 0x7f,
      mode: v?.type === 'dir' ? 0o755 : 0o644,
      parentVnode: v?.parent ?? 1,
      parentUnique: 1,
      segSize: 0,
      clientModTime: 0,
      serverModTime: 0,
      group: 0,
      syncCounter: 0,
      lockCount: 0,
      errorCode: v ? 0 : VNOVNODE,
    };
  }

  private find(fid: AFSFid): Vnode {
    const v = this.vnodes.get(fid.vnode);
    if (!v || fid.volume !== this.volumeId)
      throw Object.assign(new Error('no vnode'), { abortCode: VNOVNODE });
    return v;
  }

  private remove(dirFid: AFSFid, name: Buffer, wantDir: boolean): void {
    const d = this.find(dirFid);
    const i = d.entries.findIndex((e) => e.name.equals(name));
    if (i < 0) throw Object.assign(new Error('no entry'), { abortCode: 2 });
    const target = this.vnodes.get(d.entries[i]!.vnode);
    if (wantDir && target?.type === 'dir' && target.entries.length > 0)
      throw Object.assign(new Error('not empty'), { abortCode: EEXIST });
    d.entries.splice(i, 1);
    if (target && !d.entries.some((e) => e.vnode === target.vnode)) this.vnodes.delete(target.vnode);
  }

  private async handle(
    call: Parameters<Parameters<RxEndpoint['serve']>[1]>[0],
    svc: 'fs' | 'vl',
  ): Promise<void> {
    try {
      const payload = await call.readAll();
      if (svc === 'vl') return await this.vl(call, payload);
      const { def, args } = decodeCall(fsService, payload);
      const a = args as {
        fid: AFSFid;
        dirFid: AFSFid;
        name: Buffer;
        fids: AFSFid[];
        pos: number;
        length: number;
      };
      this.log.push({
        rpc: def.name,
        fid: a.fid ?? a.dirFid,
        ...(a.name ? { name: Buffer.from(a.name).toString() } : {}),
      });
      if (def === FS.FetchStatus) {
        const v = this.find(a.fid);
        await call.end(encodeResult(def, { status: this.status(v), callback, volSync }));
      } else if (def === FS.FetchData64) {
        const v = this.find(a.fid);
        const all = v.type === 'dir' ? this.blob(v) : v.data;
        const bytes = all.subarray(Math.min(a.pos, all.length), Math.min(a.pos + a.length, all.length));
        const w = new XdrWriter(8);
        def.fetchLength!.encode(w, bytes.length);
        await call.write(Buffer.concat([w.finish(), bytes]));
        await call.end(encodeResult(def, { status: this.status(v), callback, volSync }));
      } else if (def === FS.InlineBulkStatus) {
        const statuses = a.fids.map((f) =>
          this.status(f.volume === this.volumeId ? this.vnodes.get(f.vnode) : undefined),
        );
        await call.end(encodeResult(def, { statuses, callbacks: a.fids.map(() => callback), volSync }));
      } else if (def === FS.RemoveFile || def === FS.RemoveDir) {
        this.remove(a.dirFid, Buffer.from(a.name), def === FS.RemoveDir);
        await call.end(encodeResult(def, { dirStatus: this.status(this.find(a.dirFid)), volSync }));
      } else call.abort(RXGEN_OPCODE);
    } catch (e) {
      if (call.state === 'active')
        call.abort((e as { abortCode?: number }).abortCode ?? serverAbortCode(e) ?? -1);
    }
  }

  private async vl(call: Parameters<Parameters<RxEndpoint['serve']>[1]>[0], payload: Buffer): Promise<void> {
    const { def, args } = decodeCall(vlService, payload);
    this.log.push({ rpc: def.name });
    const name = (args as { volumeName?: string }).volumeName;
    if (def === VL.GetEntryByNameU && (name === 'root.cell' || name === String(this.volumeId))) {
      const [a, b, c, d] = this.host.split('.').map(Number) as [number, number, number, number];
      const entry = {
        name: 'root.cell',
        volumeIds: { rw: this.volumeId, ro: 0, bk: 0 },
        flags: VLF_RWEXISTS,
        sites: [{ addr: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, partition: 0, flags: VLSF_RWVOL }],
      };
      await call.end(encodeResult(def, { entry }));
    } else if (def === VL.GetEntryByNameU) call.abort(VL_NOENT);
    else call.abort(RXGEN_OPCODE);
  }

  async close(): Promise<void> {
    await this.ep.close();
  }
}
