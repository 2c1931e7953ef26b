// The hostile-server kit: in-process VL and file servers, driven by the project's own RPC
// definitions (decodeCall/encodeResult), for what a real OpenAFS server cannot stage.
//
//   const cell = await FakeCell.start();            // VL on <host>:7003, FS on <host>:7000, host 127.77.x.y
//   const client = new AfsClient(cell.clientOptions()); // anonymous, no CellServDB; paths /afs/<cell.name>/…
//   const d = cell.fs.mkdir(cell.root, 'd');         // build a tree (fids): mkdir, writeFile, symlink,
//   cell.fs.writeFile(d, 'f', 'bytes');              //   mountPoint; names are bytes, any bytes
//   cell.fs.addEntry(d, '../victim', someFid);       // hostile names: '..', 'a/b', duplicates
//   cell.addVolume('other');                         // more volumes (cell.fs.mountPoint to reach them)
//   cell.fs.setDirectoryBlob(d, blob);               // or a raw directory of your own making
//   cell.fs.script('FS.FetchStatus', { mute: true }); // per RPC: see Hostile below
//   await cell.fs.busyForever();                     // the FS address answers every packet with BUSY
//   cell.fs.log, cell.vlLog                          // every RPC as received: { rpc, args }
//   cell.fs.list(d), cell.fs.exists(fid)             // what is left (after an rm -r, say)
//   cell.scriptVl('VL.GetEntryByNameU', { pad: Infinity }); // the VL server misbehaves the same ways
//   await cell.close();
//
// FakeFileServer alone (FakeFileServer.start({ no64, noStoreAcl164 })) listens on 127.0.0.1 at any
// port and keeps file bytes by "volume.vnode.unique" in `files`; `target` is its RpcTarget.
//
// Hostile behaviours (script(rpc, h); `times` limits it to the next n calls, default every call):
//   { mute: true }        take the request, never reply (Rx keeps acking and answering pings)
//   { abort: code }       answer with ABORT(code)
//   { reply: Buffer }     this exact reply payload (absurd counts and lengths in arrays/strings/opaques)
//   { pad: n }            the true reply followed by n more bytes (Infinity: endless), streamed
//   { announce: n, send?: m }  FetchData/FetchData64: announce n bytes, stream m (default n), then
//                         the true result
import { createSocket, type Socket } from 'node:dgram';
import { decodeCall, encodeResult, RXGEN_OPCODE, serverAbortCode } from '../../src/rpc/define.js';
import { VL_NOENT, VNOVNODE } from '../../src/rpc/errors.js';
import { FS, fsService } from '../../src/rpc/fs.js';
import {
  type AFSFetchStatus,
  type AFSFid,
  FILE_TYPE_DIRECTORY,
  FILE_TYPE_FILE,
  FILE_TYPE_SYMLINK,
  ipv4FromString,
} from '../../src/rpc/types.js';
import { VL, VLF_RWEXISTS, VLSF_RWVOL, type VldbEntryIn, vlService } from '../../src/rpc/vl.js';
import type { RxCall } from '../../src/rx/call.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { decodePacket, encodePacket, Flags, PacketType } from '../../src/rx/packet.js';
import { XdrWriter } from '../../src/xdr/codec.js';
import { DirBuilder } from '../unit/helpers/dir-builder.js';

export interface FakeFileServerOptions {
  /** Answer RXGEN_OPCODE to FetchData64 and StoreData64 (a pre-1.4 server). */
  no64?: boolean;
  /** Answer RXGEN_OPCODE to StoreACL 164 (OpenAFS 1.8 has only OldStoreACL 134). */
  noStoreAcl164?: boolean;
}

export type Hostile = { times?: number } & (
  | { mute: true }
  | { abort: number }
  | { reply: Buffer }
  | { pad: number }
  | { announce: number; send?: number }
);

/** A file server refusal the fake can be told to send for one FID. */
export class FakeAbort extends Error {
  constructor(readonly abortCode: number) {
    super(`abort ${abortCode}`);
  }
}

const FETCH_PIECE = 256 << 10;

const key = (f: AFSFid) => `${f.volume}.${f.vnode}.${f.unique}`;
const ENOENT = 2;
const ENOTDIR = 20;
const EEXIST = 17;
const ENOTEMPTY = 39;
const volSync = { spare1: 0, spare2: 0, spare3: 0, spare4: 0, spare5: 0, spare6: 0 };
const promise = { version: 1, expirationTime: 3600, type: 1 };
const CHUNK = 64 << 10;

interface VnodeMeta {
  type: number;
  mode: number;
  parent: AFSFid;
  dataVersion: bigint;
  /** Directories: their entries (names as bytes, duplicates allowed) in creation order. */
  entries?: { name: Buffer; fid: AFSFid }[];
}

type Call = RxCall;

/** Every FS argument field the fake reads (each RPC has some of them). */
interface FsArgs {
  fid: AFSFid;
  dirFid: AFSFid;
  name: Buffer;
  pos: number;
  length: number;
  fileLength: number;
  acl: Buffer;
  fids: AFSFid[];
  linkContents: Buffer;
  volumeId: number;
}

export class FakeFileServer {
  /** RPC names in arrival order, e.g. "FS.FetchData64". */
  readonly calls: string[] = [];
  /** Every RPC with its decoded arguments, in arrival order. */
  readonly log: { rpc: string; args: Record<string, unknown> }[] = [];
  /** Arguments of the data RPCs as received (offsets as the wire carried them). */
  readonly dataArgs: { rpc: string; pos: number; length: number; fileLength?: number }[] = [];
  /** File bytes (and directory blobs) by "volume.vnode.unique". */
  readonly files = new Map<string, Buffer>();
  readonly acls = new Map<string, Buffer>();
  /** The data version of files without their own (a test bumps it to stage a changed file). */
  dataVersion = 1n;
  /** Called after each piece of FetchData payload is written, with the payload bytes sent so far. */
  onFetchProgress: ((sent: number) => void) | undefined;
  private readonly meta = new Map<string, VnodeMeta>();
  private readonly scripts = new Map<string, Hostile>();
  private nextVnode = new Map<number, number>();
  private busySocket: Socket | undefined;
  /** Kept apart from the endpoint: busyForever() replaces it at the same address. */
  private readonly addr: { host: string; port: number };

  private constructor(
    private readonly ep: RxEndpoint,
    readonly options: FakeFileServerOptions,
  ) {
    this.addr = ep.address;
  }

  static async start(options: FakeFileServerOptions & { host?: string; port?: number } = {}) {
    const ep = await RxEndpoint.open({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    const s = new FakeFileServer(ep, options);
    ep.serve(1, (call) => void s.handle(call));
    return s;
  }

  get target() {
    return { host: this.addr.host, port: this.addr.port, serviceId: 1 };
  }

  // ---- the tree ------------------------------------------------------------------------------------

  /** A volume's root directory (vnode 1, unique 1), made on first use. */
  volumeRoot(volume: number): AFSFid {
    const fid = { volume, vnode: 1, unique: 1 };
    if (!this.meta.has(key(fid))) {
      this.meta.set(key(fid), {
        type: FILE_TYPE_DIRECTORY,
        mode: 0o755,
        parent: fid,
        dataVersion: 1n,
        entries: [],
      });
      this.rebuild(fid);
    }
    return fid;
  }

  private newFid(volume: number, type: number): AFSFid {
    // Directories take odd vnode numbers, files even ones, as a real volume does.
    let n = this.nextVnode.get(volume) ?? 3;
    if ((n & 1) !== (type === FILE_TYPE_DIRECTORY ? 1 : 0)) n++;
    this.nextVnode.set(volume, n + 1);
    return { volume, vnode: n, unique: n * 7 + 1 };
  }

  private dir(fid: AFSFid): VnodeMeta & { entries: { name: Buffer; fid: AFSFid }[] } {
    const m = this.meta.get(key(fid));
    if (!m?.entries) throw new FakeAbort(m ? ENOTDIR : VNOVNODE);
    return m as VnodeMeta & { entries: { name: Buffer; fid: AFSFid }[] };
  }

  private rebuild(dirFid: AFSFid): void {
    const m = this.dir(dirFid);
    const b = new DirBuilder(dirFid, m.parent);
    for (const e of m.entries) b.create(e.name, e.fid.vnode, e.fid.unique, { duplicate: true });
    this.files.set(key(dirFid), b.toBuffer());
    m.dataVersion++;
  }

  private make(parent: AFSFid, name: string | Buffer, type: number, mode: number, data: Buffer): AFSFid {
    const fid = this.newFid(parent.volume, type);
    this.meta.set(key(fid), {
      type,
      mode,
      parent,
      dataVersion: 1n,
      ...(type === FILE_TYPE_DIRECTORY ? { entries: [] } : {}),
    });
    if (type === FILE_TYPE_DIRECTORY) this.rebuild(fid);
    else this.files.set(key(fid), data);
    this.addEntry(parent, name, fid);
    return fid;
  }

  mkdir(parent: AFSFid, name: string | Buffer): AFSFid {
    return this.make(parent, name, FILE_TYPE_DIRECTORY, 0o755, Buffer.alloc(0));
  }

  writeFile(parent: AFSFid, name: string | Buffer, data: string | Buffer): AFSFid {
    return this.make(parent, name, FILE_TYPE_FILE, 0o644, Buffer.from(data));
  }

  /** A symbolic link; a mount point is `mountPoint` ("#cell:volume." with mode 0644). */
  symlink(parent: AFSFid, name: string | Buffer, target: string | Buffer): AFSFid {
    return this.make(parent, name, FILE_TYPE_SYMLINK, 0o755, Buffer.from(target));
  }

  mountPoint(parent: AFSFid, name: string | Buffer, target: string): AFSFid {
    return this.make(parent, name, FILE_TYPE_SYMLINK, 0o644, Buffer.from(`${target}.`));
  }

  /** An entry pointing at any FID, with any name a real server would refuse ('..', 'a/b', duplicates). */
  addEntry(dirFid: AFSFid, name: string | Buffer, fid: AFSFid): void {
    this.dir(dirFid).entries.push({ name: Buffer.from(name), fid });
    this.rebuild(dirFid);
  }

  /** Serve these bytes as the directory's contents (hand-made hostile pages). */
  setDirectoryBlob(dirFid: AFSFid, blob: Buffer): void {
    this.dir(dirFid).dataVersion++;
    this.files.set(key(dirFid), blob);
  }

  /** Names in a directory, in order (for asserting what was removed). */
  list(dirFid: AFSFid): string[] {
    return this.dir(dirFid).entries.map((e) => e.name.toString());
  }

  /** Whether a FID still exists. */
  exists(fid: AFSFid): boolean {
    return this.meta.has(key(fid));
  }

  status(fid: AFSFid): AFSFetchStatus {
    const m = this.meta.get(key(fid));
    const len = this.files.get(key(fid))?.length ?? 0;
    return {
      interfaceVersion: 1,
      fileType: m?.type ?? FILE_TYPE_FILE,
      linkCount: m?.type === FILE_TYPE_DIRECTORY ? 2 : 1,
      length: len,
      dataVersion: m?.dataVersion ?? this.dataVersion,
      author: 0,
      owner: 0,
      callerAccess: 0x7f,
      anonymousAccess: 0x7f,
      mode: m?.mode ?? 0o644,
      parentVnode: m?.parent.vnode ?? 1,
      parentUnique: m?.parent.unique ?? 1,
      segSize: 0,
      clientModTime: 0,
      serverModTime: 0,
      group: 0,
      syncCounter: 0,
      lockCount: 0,
      errorCode: 0,
    };
  }

  private known(fid: AFSFid): void {
    // The bare server (files-fallback tests) knows every FID; a tree answers VNOVNODE for strangers.
    if (this.meta.size > 0 && !this.meta.has(key(fid))) throw new FakeAbort(VNOVNODE);
  }

  // ---- hostile scripting ---------------------------------------------------------------------------

  /** Misbehave on every call of `rpc` (e.g. "FS.FetchStatus"), or on the next `h.times` of them. */
  script(rpc: string, h: Hostile): void {
    this.scripts.set(rpc, h);
  }

  /** Back to honest answers for `rpc` (all RPCs without an argument). */
  unscript(rpc?: string): void {
    if (rpc === undefined) this.scripts.clear();
    else this.scripts.delete(rpc);
  }

  /**
   * From now on the FS address answers every DATA packet with BUSY (a server whose channels never
   * free). Pings are not answered: BUSY alone is what keeps a naive client waiting.
   */
  async busyForever(): Promise<void> {
    const { host, port } = this.addr;
    await this.ep.close();
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: host, port }, () => resolve());
    });
    sock.on('message', (msg, r) => {
      let p: ReturnType<typeof decodePacket>;
      try {
        p = decodePacket(msg);
      } catch {
        return;
      }
      if (p.type !== PacketType.Data || !(p.flags & Flags.CLIENT_INITIATED)) return;
      this.calls.push('BUSY');
      const busy = encodePacket({ ...p, type: PacketType.Busy, flags: 0, seq: 0, cksum: 0 }, null);
      sock.send(busy, r.port, r.address);
    });
    sock.unref();
    this.busySocket = sock;
  }

  // ---- dispatch ------------------------------------------------------------------------------------

  private async handle(call: Call): Promise<void> {
    try {
      const { def, args, data } = decodeCall(fsService, await call.readAll());
      this.calls.push(def.name);
      this.log.push({ rpc: def.name, args: args as Record<string, unknown> });
      const is64 = def === FS.FetchData64 || def === FS.StoreData64;
      if ((is64 && this.options.no64) || (def === FS.StoreACL && this.options.noStoreAcl164)) {
        call.abort(RXGEN_OPCODE);
        return;
      }
      const h = takeScript(this.scripts, def.name);
      const a = args as FsArgs;
      if (h && 'mute' in h) return; // the call stays open; Rx answers its pings
      if (h && 'abort' in h) throw new FakeAbort(h.abort);
      if (h && 'reply' in h) {
        await call.end(h.reply);
        return;
      }
      if (def === FS.FetchData || def === FS.FetchData64) {
        this.dataArgs.push({ rpc: def.name, pos: a.pos, length: a.length });
        this.known(a.fid);
        const file = this.files.get(key(a.fid)) ?? Buffer.alloc(0);
        const bytes = file.subarray(Math.min(a.pos, file.length), Math.min(a.pos + a.length, file.length));
        const announce = h && 'announce' in h ? h.announce : bytes.length;
        const send = h && 'announce' in h ? (h.send ?? h.announce) : bytes.length;
        const w = new XdrWriter(8);
        def.fetchLength!.encode(w, announce);
        await call.write(w.finish());
        if (send === bytes.length) {
          // In pieces, so a test can stop the server part-way through a transfer.
          for (let off = 0; off < bytes.length; off += FETCH_PIECE) {
            await call.write(bytes.subarray(off, off + FETCH_PIECE));
            this.onFetchProgress?.(Math.min(off + FETCH_PIECE, bytes.length));
          }
        } else await stream(call, send);
        await this.reply(call, def, { status: this.status(a.fid), callback: promise, volSync }, h);
        return;
      }
      const result = this.answer(def, a, data);
      if (result === undefined) {
        call.abort(RXGEN_OPCODE);
        return;
      }
      await this.reply(call, def, result, h);
    } catch (e) {
      if (call.state === 'active')
        call.abort(e instanceof FakeAbort ? e.abortCode : (serverAbortCode(e) ?? -1));
    }
  }

  private async reply(call: Call, def: Parameters<typeof encodeResult>[0], result: unknown, h?: Hostile) {
    await sendReply(call, encodeResult(def, result), h);
  }

  /** The honest result of one RPC, or undefined for an RPC the fake does not serve. */
  private answer(def: unknown, a: FsArgs, data: Buffer): unknown {
    const fid = a.fid;
    switch (def) {
      case FS.FetchStatus:
        this.known(fid);
        return { status: this.status(fid), callback: promise, volSync };
      case FS.StoreData:
      case FS.StoreData64: {
        const { pos, length, fileLength } = a;
        this.dataArgs.push({ rpc: (def as { name: string }).name, pos, length, fileLength });
        this.known(fid);
        const old = this.files.get(key(fid)) ?? Buffer.alloc(0);
        const end = Math.max(fileLength, pos + length);
        const next = Buffer.alloc(end);
        old.copy(next, 0, 0, Math.min(old.length, end));
        data.subarray(0, length).copy(next, pos);
        this.files.set(key(fid), next);
        const m = this.meta.get(key(fid));
        if (m) m.dataVersion++;
        return { status: this.status(fid), volSync };
      }
      case FS.StoreACL:
      case FS.OldStoreACL:
        this.acls.set(key(fid), Buffer.from(a.acl));
        return { status: this.status(fid), volSync };
      case FS.FetchACL:
        this.known(fid);
        return {
          acl: this.acls.get(key(fid)) ?? Buffer.from('1\n0\nsystem:anyuser 127\n\0'),
          status: this.status(fid),
          volSync,
        };
      case FS.StoreStatus:
        this.known(fid);
        return { status: this.status(fid), volSync };
      case FS.InlineBulkStatus:
      case FS.BulkStatus: {
        const fids = a.fids;
        const inline = def === FS.InlineBulkStatus;
        if (!inline) for (const f of fids) this.known(f);
        const statuses = fids.map((f) =>
          this.meta.size > 0 && !this.meta.has(key(f))
            ? { ...this.status(f), errorCode: VNOVNODE }
            : this.status(f),
        );
        return { statuses, callbacks: fids.map(() => promise), volSync };
      }
      case FS.RemoveFile:
      case FS.RemoveDir:
        return this.remove(a.dirFid, a.name, def === FS.RemoveDir);
      case FS.MakeDir:
      case FS.CreateFile: {
        const dirFid = a.dirFid;
        const d = this.dir(dirFid);
        if (d.entries.some((e) => e.name.equals(a.name))) throw new FakeAbort(EEXIST);
        const made = def === FS.MakeDir ? this.mkdir(dirFid, a.name) : this.writeFile(dirFid, a.name, '');
        return {
          fid: made,
          status: this.status(made),
          dirStatus: this.status(dirFid),
          callback: promise,
          volSync,
        };
      }
      case FS.Symlink: {
        const dirFid = a.dirFid;
        const made = this.symlink(dirFid, a.name, a.linkContents);
        return { fid: made, status: this.status(made), dirStatus: this.status(dirFid), volSync };
      }
      case FS.GetCapabilities:
        return { capabilities: [0] };
      case FS.GiveUpAllCallBacks:
      case FS.GiveUpCallBacks:
        return {};
      case FS.GetVolumeStatus:
        return {
          status: {
            vid: a.volumeId,
            parentId: a.volumeId,
            online: 1,
            inService: 1,
            blessed: 1,
            needsSalvage: 0,
            type: 0,
            minQuota: 0,
            maxQuota: 0,
            blocksInUse: 0,
            partBlocksAvail: 1 << 20,
            partMaxBlocks: 1 << 20,
          },
          name: 'fake',
          offlineMsg: '',
          motd: '',
        };
      default:
        return undefined;
    }
  }

  private remove(dirFid: AFSFid, name: Buffer, wantDir: boolean) {
    const d = this.dir(dirFid);
    const i = d.entries.findIndex((e) => e.name.equals(name));
    if (i < 0) throw new FakeAbort(ENOENT);
    const target = d.entries[i]!.fid;
    const m = this.meta.get(key(target));
    if (wantDir) {
      if (m?.type !== FILE_TYPE_DIRECTORY) throw new FakeAbort(ENOTDIR);
      if (m.entries!.length > 0) throw new FakeAbort(ENOTEMPTY);
    }
    d.entries.splice(i, 1);
    if (!d.entries.some((e) => key(e.fid) === key(target))) {
      this.meta.delete(key(target));
      this.files.delete(key(target));
    }
    this.rebuild(dirFid);
    return { dirStatus: this.status(dirFid), volSync };
  }

  async close(): Promise<void> {
    this.busySocket?.close();
    this.busySocket = undefined;
    if (!this.ep.isClosed) await this.ep.close();
  }
}

/** The behaviour scripted for this call of `rpc`, counting down `times`. */
function takeScript(scripts: Map<string, Hostile>, rpc: string): Hostile | undefined {
  const h = scripts.get(rpc);
  if (h?.times !== undefined) {
    if (h.times <= 1) scripts.delete(rpc);
    else h.times--;
  }
  return h;
}

/** A reply payload, padded as `h` says. */
async function sendReply(call: Call, bytes: Buffer, h?: Hostile): Promise<void> {
  if (h && 'pad' in h) {
    await call.write(bytes);
    await stream(call, h.pad);
    if (call.state === 'active') await call.end();
  } else {
    await call.end(bytes);
  }
}

/** Write n zero bytes (Infinity: until the call ends) in chunks, with Rx's backpressure. */
async function stream(call: Call, n: number): Promise<void> {
  const zeros = Buffer.alloc(CHUNK);
  for (let left = n; left > 0 && call.state === 'active'; left -= CHUNK) {
    await call.write(left >= CHUNK ? zeros : zeros.subarray(0, left)).catch(() => {});
  }
}

export interface FakeVolume {
  name: string;
  id: number;
  root: AFSFid;
}

/**
 * A whole fake cell: a VL server (service 52, port 7003) and a file server (service 1, port 7000)
 * on a loopback address of its own, since clients reach file servers on port 7000 at the address
 * the VLDB gives. One RW volume "root.cell" exists from the start.
 */
export class FakeCell {
  readonly volumes = new Map<string, FakeVolume>();
  /** VL RPCs with their arguments, in arrival order. */
  readonly vlLog: { rpc: string; args: Record<string, unknown> }[] = [];
  private readonly vlScripts = new Map<string, Hostile>();
  private nextVolume = 536870912;

  private constructor(
    readonly name: string,
    readonly host: string,
    readonly vl: RxEndpoint,
    readonly fs: FakeFileServer,
  ) {}

  static async start(opts: { name?: string } = {}): Promise<FakeCell> {
    for (let attempt = 0; ; attempt++) {
      const host = `127.77.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
      let vl: RxEndpoint | undefined;
      try {
        vl = await RxEndpoint.open({ host, port: 7003 });
        const fs = await FakeFileServer.start({ host, port: 7000 });
        const cell = new FakeCell(opts.name ?? 'fake.test', host, vl, fs);
        cell.addVolume('root.cell');
        vl.serve(52, (call) => void cell.handleVl(call));
        return cell;
      } catch (e) {
        await vl?.close();
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 20) throw e;
      }
    }
  }

  /** Options for an AfsClient that knows only this cell, anonymously, with no files read. */
  clientOptions() {
    return {
      cells: { [this.name]: [`${this.host}:7003`] },
      cell: this.name,
      cellServDB: false as const,
      thisCell: false as const,
      auth: 'anonymous' as const,
    };
  }

  /** The path of a name under the cell's root volume. */
  path(...names: string[]): string {
    return ['/afs', this.name, ...names].join('/');
  }

  addVolume(name: string): FakeVolume {
    const id = this.nextVolume;
    this.nextVolume += 3;
    const v = { name, id, root: this.fs.volumeRoot(id) };
    this.volumes.set(name, v);
    return v;
  }

  get root(): AFSFid {
    return this.volumes.get('root.cell')!.root;
  }

  /** Misbehave on a VL RPC (e.g. "VL.GetEntryByNameU"): the same behaviours as the file server's. */
  scriptVl(rpc: string, h: Hostile): void {
    this.vlScripts.set(rpc, h);
  }

  private entry(v: FakeVolume): VldbEntryIn {
    return {
      name: v.name,
      volumeIds: { rw: v.id, ro: 0, bk: 0 },
      flags: VLF_RWEXISTS,
      sites: [{ addr: ipv4FromString(this.host), partition: 0, flags: VLSF_RWVOL }],
    };
  }

  private async handleVl(call: Call): Promise<void> {
    try {
      const { def, args } = decodeCall(vlService, await call.readAll());
      this.vlLog.push({ rpc: def.name, args: args as Record<string, unknown> });
      const h = takeScript(this.vlScripts, def.name);
      if (h && 'mute' in h) return;
      if (h && 'abort' in h) throw new FakeAbort(h.abort);
      if (h && 'reply' in h) return void (await call.end(h.reply));
      let result: unknown;
      if (def === VL.Probe) result = {};
      else if (def === VL.GetEntryByNameU || def === VL.GetEntryByNameN) {
        const n = (args as { volumeName: string }).volumeName;
        const v = [...this.volumes.values()].find((x) => x.name === n || String(x.id) === n);
        if (!v) throw new FakeAbort(VL_NOENT);
        result = { entry: this.entry(v) };
      } else throw new FakeAbort(RXGEN_OPCODE);
      await sendReply(call, encodeResult(def, result), h);
    } catch (e) {
      if (call.state === 'active')
        call.abort(e instanceof FakeAbort ? e.abortCode : (serverAbortCode(e) ?? -1));
    }
  }

  async close(): Promise<void> {
    await this.fs.close();
    await this.vl.close();
  }
}
