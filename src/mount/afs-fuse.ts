// `tsafs mount`: the AFS namespace of one client served to the kernel over FUSE, so that every
// program reaches AFS. Each request becomes calls on client.fs (the cache and callbacks tsafs
// already keeps); a callback break from a file server becomes FUSE_NOTIFY_INVAL_INODE/ENTRY, so
// the kernel may keep names and attributes long while promises hold and still sees another
// client's change at once. One identity per mount: the client's.

import { channel } from 'node:diagnostics_channel';
import { constants as osConstants } from 'node:os';
import { formatAcl } from '../afs/acl.js';
import type { AfsClient } from '../client.js';
import type { AfsFileHandle } from '../fs/handle.js';
import type { AfsStats } from '../fs/stats.js';
import { AfsError } from '../rpc/errors.js';
import {
  type Attr,
  attrOut,
  cstring,
  DirentPacker,
  DT_DIR,
  DT_LNK,
  DT_REG,
  encodeReply,
  entryOut,
  FATTR,
  FOPEN_KEEP_CACHE,
  IN_HEADER_SIZE,
  type InHeader,
  InitFlag,
  initOut,
  invalEntry,
  invalInode,
  Op,
  openOut,
  readInHeader,
  S_IFDIR,
  S_IFREG,
  statfsOut,
  type Validity,
  writeOut,
} from './fuse-abi.js';
import { FuseDevice, type FuseDeviceOptions } from './fuse-device.js';
import { type FuseNode, NodeTable } from './nodes.js';

export interface MountOptions extends FuseDeviceOptions {
  /**
   * How long the kernel may keep names and attributes (seconds). Default 60 while the client
   * keeps a cache (breaks invalidate them at once), 1 without one.
   */
  cacheTimeout?: number;
}

type Kind = 'file' | 'directory' | 'symlink' | 'mountpoint' | 'unknown';
interface DirHandle {
  path: Buffer;
  entries?: { name: Buffer; kind: Kind; stats?: AfsStats }[];
}

/** Every request the kernel sends: `{ opcode, unique, nodeid }`. */
const fuseChannel = channel('tsafs:fuse');

const O_ACCMODE = 3;
const O_APPEND = 0o2000;
const O_TRUNC = 0o1000;
const O_EXCL = 0o200;
const RENAME_NOREPLACE = 1;
const XATTR = {
  acl: 'user.afs.acl',
  fid: 'user.afs.fid',
  volume: 'user.afs.volume',
  cell: 'user.afs.cell',
} as const;

/** The errno a failure stands for (AFS codes are already mapped to node-style codes). */
export function errnoOf(e: unknown): number {
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  const bare = code?.startsWith('ERR_FS_') ? code.slice(7) : code;
  const n = bare ? (osConstants.errno as Record<string, number>)[bare] : undefined;
  return n ?? osConstants.errno.EIO;
}

function errno(code: keyof typeof osConstants.errno, msg: string): AfsError {
  return new AfsError(code, `${code}: ${msg}`);
}

export class AfsFuse {
  private readonly nodes: NodeTable;
  private readonly files = new Map<bigint, { fh: AfsFileHandle; node: FuseNode }>();
  private readonly dirs = new Map<bigint, DirHandle>();
  private readonly inflight = new Map<bigint, AbortController>();
  private nextFh = 1n;
  private readonly validity: Validity;
  private readonly watching: boolean;
  private device?: FuseDevice;
  private closing?: Promise<void>;

  constructor(
    private readonly client: AfsClient,
    readonly mountpoint: string,
    private readonly o: MountOptions = {},
  ) {
    this.nodes = new NodeTable(client.mount);
    this.watching = client.cache !== undefined;
    const t = o.cacheTimeout ?? (this.watching ? 60 : 1);
    this.validity = { entry: t, attr: t };
  }

  /** Mounts and starts serving; resolves once the kernel has the mount. */
  async start(): Promise<void> {
    await this.client.start();
    this.device = await FuseDevice.mount(this.mountpoint, (req) => this.onRequest(req), this.o);
  }

  /** Resolves when the session ends (unmounted from outside, or closed). */
  whenEnded(): Promise<void> {
    return this.device ? this.device.whenEnded() : Promise.resolve();
  }

  /** Unmounts, closes every open file and stops listening for breaks. The client stays open. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const ac of this.inflight.values()) ac.abort();
      await this.device?.close();
      await Promise.allSettled([...this.files.values()].map((f) => f.fh.close()));
      this.files.clear();
      this.dirs.clear();
      for (const n of this.nodes.all()) n.unwatch?.();
    })();
    return this.closing;
  }

  /** What is served now, for tests and `tsafs debug`. */
  stats() {
    return { nodes: this.nodes.size, openFiles: this.files.size, openDirs: this.dirs.size };
  }

  // ---------------------------------------------------------------- dispatch

  private onRequest(req: Buffer): void {
    const h = readInHeader(req);
    const body = req.subarray(IN_HEADER_SIZE, h.len);
    switch (h.opcode) {
      case Op.FORGET:
        this.nodes.forget(h.nodeid, Number(body.readBigUInt64LE(0)));
        return;
      case Op.BATCH_FORGET: {
        const count = body.readUInt32LE(0);
        for (let i = 0; i < count; i++) {
          const off = 8 + i * 16;
          this.nodes.forget(body.readBigUInt64LE(off), Number(body.readBigUInt64LE(off + 8)));
        }
        return;
      }
      case Op.INTERRUPT:
        this.inflight.get(body.readBigUInt64LE(0))?.abort();
        return;
    }
    const ac = new AbortController();
    this.inflight.set(h.unique, ac);
    if (fuseChannel.hasSubscribers)
      fuseChannel.publish({ opcode: h.opcode, unique: h.unique, nodeid: h.nodeid });
    this.handle(h, body, ac.signal)
      .then(
        (out) => this.device?.reply(encodeReply(h.unique, 0, out)),
        (e: unknown) => this.device?.reply(encodeReply(h.unique, -errnoOf(e))),
      )
      .finally(() => this.inflight.delete(h.unique));
  }

  private node(id: bigint): FuseNode {
    const n = this.nodes.get(id);
    if (!n) throw errno('ENOENT', `unknown node ${id}`);
    return n;
  }

  private async handle(h: InHeader, b: Buffer, signal: AbortSignal): Promise<Buffer | undefined> {
    const fs = this.client.fs;
    switch (h.opcode) {
      case Op.INIT: {
        const want =
          InitFlag.ASYNC_READ |
          InitFlag.BIG_WRITES |
          InitFlag.DO_READDIRPLUS |
          InitFlag.PARALLEL_DIROPS |
          InitFlag.MAX_PAGES |
          InitFlag.AUTO_INVAL_DATA |
          InitFlag.CACHE_SYMLINKS;
        const offered = b.readUInt32LE(12);
        return initOut(want & offered, b.readUInt32LE(8));
      }
      case Op.DESTROY:
        return undefined;
      case Op.LOOKUP: {
        const parent = this.node(h.nodeid);
        const { name } = cstring(b, 0);
        return this.entry(parent, name, signal);
      }
      case Op.GETATTR: {
        const n = this.node(h.nodeid);
        return attrOut(this.attr(await this.statOf(n.path, signal), n.id), this.validity.attr);
      }
      case Op.SETATTR:
        return this.setattr(this.node(h.nodeid), b, signal);
      case Op.READLINK:
        return (await fs.readlink(this.node(h.nodeid).path, { encoding: 'buffer', signal })) as Buffer;
      case Op.SYMLINK: {
        const parent = this.node(h.nodeid);
        const { name, next } = cstring(b, 0);
        const { name: target } = cstring(b, next);
        await fs.symlink(target, this.nodes.childPath(parent, name));
        return this.entry(parent, name, signal);
      }
      case Op.MKNOD: {
        const parent = this.node(h.nodeid);
        const mode = b.readUInt32LE(0);
        if ((mode & 0o170000) !== S_IFREG)
          throw errno('EPERM', 'AFS holds only files, directories and links');
        const { name } = cstring(b, 16);
        await (await fs.open(this.nodes.childPath(parent, name), 'wx', mode & 0o7777, { signal })).close();
        return this.entry(parent, name, signal);
      }
      case Op.MKDIR: {
        const parent = this.node(h.nodeid);
        const mode = b.readUInt32LE(0) & ~b.readUInt32LE(4) & 0o7777;
        const { name } = cstring(b, 8);
        await fs.mkdir(this.nodes.childPath(parent, name), { mode, signal });
        return this.entry(parent, name, signal);
      }
      case Op.UNLINK:
      case Op.RMDIR: {
        const parent = this.node(h.nodeid);
        const { name } = cstring(b, 0);
        const path = this.nodes.childPath(parent, name);
        if (h.opcode === Op.UNLINK) await fs.unlink(path, { signal });
        else await fs.rmdir(path, { signal });
        this.nodes.removeName(parent, name);
        return undefined;
      }
      case Op.RENAME:
      case Op.RENAME2: {
        const parent = this.node(h.nodeid);
        const newParent = this.node(b.readBigUInt64LE(0));
        const flags = h.opcode === Op.RENAME2 ? b.readUInt32LE(8) : 0;
        const { name, next } = cstring(b, h.opcode === Op.RENAME2 ? 16 : 8);
        const { name: newName } = cstring(b, next);
        if (flags & ~RENAME_NOREPLACE) throw errno('EINVAL', 'AFS cannot exchange names');
        const to = this.nodes.childPath(newParent, newName);
        if (flags & RENAME_NOREPLACE) {
          const exists = await fs.lstat(to, { signal }).then(
            () => true,
            () => false,
          );
          if (exists) throw errno('EEXIST', 'rename target exists');
        }
        await fs.rename(this.nodes.childPath(parent, name), to);
        this.nodes.move(parent, name, newParent, newName);
        return undefined;
      }
      case Op.LINK: {
        const target = this.node(b.readBigUInt64LE(0));
        const parent = this.node(h.nodeid);
        const { name } = cstring(b, 8);
        await fs.link(target.path, this.nodes.childPath(parent, name));
        return this.entry(parent, name, signal);
      }
      case Op.OPEN: {
        const n = this.node(h.nodeid);
        const flags = b.readUInt32LE(0);
        const fh = await fs.open(n.path, this.flagString(flags, false), 0o644, { signal });
        if (flags & O_TRUNC && (flags & O_ACCMODE) !== 0) await fh.truncate(0);
        return openOut(this.addFile(fh, n), this.watching ? FOPEN_KEEP_CACHE : 0);
      }
      case Op.CREATE: {
        const parent = this.node(h.nodeid);
        const flags = b.readUInt32LE(0);
        const mode = b.readUInt32LE(4) & ~b.readUInt32LE(8) & 0o7777;
        const { name } = cstring(b, 16);
        const path = this.nodes.childPath(parent, name);
        let fh: AfsFileHandle;
        try {
          fh = await fs.open(path, this.flagString(flags, true), mode, { signal });
        } catch (e) {
          // Made by another client since the kernel looked: open it, as O_CREAT without O_EXCL does.
          if (flags & O_EXCL || !(e instanceof AfsError && e.code === 'EEXIST')) throw e;
          fh = await fs.open(path, 'r+', mode, { signal });
        }
        let entry: Buffer;
        try {
          entry = await this.entry(parent, name, signal);
        } catch (e) {
          await fh.close();
          throw e;
        }
        const node = this.nodes.get(entry.readBigUInt64LE(0))!;
        return Buffer.concat([entry, openOut(this.addFile(fh, node), 0)]);
      }
      case Op.READ: {
        const f = this.file(b.readBigUInt64LE(0));
        const pos = Number(b.readBigUInt64LE(8));
        const size = b.readUInt32LE(16);
        const buf = Buffer.allocUnsafe(size);
        const r = await f.fh.read(buf, 0, size, pos);
        return buf.subarray(0, r.bytesRead);
      }
      case Op.WRITE: {
        const f = this.file(b.readBigUInt64LE(0));
        const pos = Number(b.readBigUInt64LE(8));
        const size = b.readUInt32LE(16);
        const data = b.subarray(40, 40 + size);
        const r = await f.fh.write(data, 0, data.length, pos);
        return writeOut(r.bytesWritten);
      }
      case Op.FLUSH:
      case Op.FSYNC: {
        await this.files.get(b.readBigUInt64LE(0))?.fh.sync();
        return undefined;
      }
      case Op.RELEASE: {
        const id = b.readBigUInt64LE(0);
        const f = this.files.get(id);
        this.files.delete(id);
        await f?.fh.close();
        return undefined;
      }
      case Op.OPENDIR: {
        const n = this.node(h.nodeid);
        const id = this.nextFh++;
        this.dirs.set(id, { path: n.path });
        return openOut(id, 0);
      }
      case Op.READDIR:
      case Op.READDIRPLUS:
        return this.readdir(h, b, h.opcode === Op.READDIRPLUS, signal);
      case Op.RELEASEDIR:
        this.dirs.delete(b.readBigUInt64LE(0));
        return undefined;
      case Op.FSYNCDIR:
        return undefined;
      case Op.STATFS: {
        const n = this.node(h.nodeid);
        try {
          const v = await fs.volumeStatus(n.path, { signal });
          const total = v.maxQuota > 0 ? v.maxQuota : v.partMaxBlocks;
          const free = v.maxQuota > 0 ? Math.max(0, v.maxQuota - v.blocksInUse) : v.partBlocksAvail;
          return statfsOut(total, Math.min(free, v.partBlocksAvail));
        } catch {
          return statfsOut(0, 0); // the dynamic root holds no volume
        }
      }
      case Op.ACCESS: {
        // The file server decides with the ACL on every call; here only existence is checked.
        await this.statOf(this.node(h.nodeid).path, signal);
        return undefined;
      }
      case Op.GETXATTR: {
        const size = b.readUInt32LE(0);
        const { name } = cstring(b, 8);
        const v = await this.xattr(this.node(h.nodeid), name.toString(), signal);
        return this.sized(v, size);
      }
      case Op.LISTXATTR: {
        const size = b.readUInt32LE(0);
        const n = this.node(h.nodeid);
        const names = n.fidKey ? Object.values(XATTR) : [];
        return this.sized(Buffer.from(names.map((x) => `${x}\0`).join('')), size);
      }
      case Op.SETXATTR: {
        const size = b.readUInt32LE(0);
        const { name, next } = cstring(b, 8);
        if (name.toString() !== XATTR.acl) throw errno('ENOTSUP', `${name} cannot be set`);
        await fs.setAcl(this.node(h.nodeid).path, b.subarray(next, next + size).toString(), { signal });
        return undefined;
      }
      case Op.REMOVEXATTR:
        throw errno('ENOTSUP', 'AFS attributes cannot be removed');
      default:
        throw errno('ENOSYS', `FUSE opcode ${h.opcode}`);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Status of a path as the kernel should see it: mount points are crossed, links are not. */
  private async statOf(path: Buffer, signal: AbortSignal): Promise<AfsStats> {
    const st = await this.client.fs.lstat(path, { signal });
    return st.isMountPoint() ? this.client.fs.stat(path, { signal }) : st;
  }

  private attr(st: AfsStats, id: bigint): Attr {
    const dir = st.kind === 'directory' || st.kind === 'mountpoint';
    const ino = st.volume === 0 ? id : (BigInt(st.volume) << 32n) | BigInt(st.ino);
    return {
      ino,
      size: st.size,
      mode: dir ? S_IFDIR | (st.mode & 0o7777) : st.mode,
      nlink: st.nlink || 1,
      uid: st.uid,
      gid: st.gid,
      mtime: st.mtimeMs / 1000,
    };
  }

  /** LOOKUP's answer for `name` in `parent`, registering the node and its break listener. */
  private async entry(parent: FuseNode, name: Buffer, signal: AbortSignal): Promise<Buffer> {
    const st = await this.statOf(this.nodes.childPath(parent, name), signal);
    const n = this.nodes.lookup(parent, name, this.fidKey(st), st.isDirectory());
    this.watch(n, st);
    return entryOut(n.id, this.attr(st, n.id), this.validity);
  }

  private fidKey(st: AfsStats): string | undefined {
    return st.volume === 0 ? undefined : `${st.cell}/${st.fid.volume}.${st.fid.vnode}.${st.fid.unique}`;
  }

  /** A break of the object drops what the kernel keeps of it: attributes, pages and names in it. */
  private watch(n: FuseNode, st: AfsStats): void {
    const cache = this.client.cache;
    if (!cache || n.unwatch || !n.fidKey) return;
    const key = n.fidKey;
    n.unwatch = cache.onBreak(st.cell, st.fid, () => {
      for (const m of this.nodes.byFidKey(key)) {
        this.device?.notify(invalInode(m.id));
        if (m.isDir)
          for (const k of m.children.keys()) this.device?.notify(invalEntry(m.id, Buffer.from(k, 'latin1')));
      }
    });
  }

  private flagString(flags: number, create: boolean): string {
    const acc = flags & O_ACCMODE;
    if (acc === 0) return 'r';
    // Appends go where the server says the end is, not where the kernel last saw it.
    if (flags & O_APPEND) return create ? (flags & O_EXCL ? 'ax+' : 'a+') : 'a+';
    if (create) return 'wx+';
    return 'r+';
  }

  private addFile(fh: AfsFileHandle, node: FuseNode): bigint {
    const id = this.nextFh++;
    this.files.set(id, { fh, node });
    return id;
  }

  private file(id: bigint) {
    const f = this.files.get(id);
    if (!f) throw errno('EBADF', `unknown file handle ${id}`);
    return f;
  }

  private async setattr(n: FuseNode, b: Buffer, signal: AbortSignal): Promise<Buffer> {
    const fs = this.client.fs;
    const valid = b.readUInt32LE(0);
    if (valid & FATTR.SIZE) {
      const size = Number(b.readBigUInt64LE(16));
      const f = valid & FATTR.FH ? this.files.get(b.readBigUInt64LE(8)) : undefined;
      if (f?.fh.flags.write) await f.fh.truncate(size);
      else await fs.truncate(n.path, size, { signal });
    }
    if (valid & FATTR.MODE) await fs.chmod(n.path, b.readUInt32LE(68) & 0o7777, { signal });
    if (valid & (FATTR.UID | FATTR.GID)) {
      const chown = (fs as { chown?: (p: Buffer, u: number, g: number, o: object) => Promise<void> }).chown;
      if (!chown) throw errno('EPERM', 'owners are PTS ids, set by the file server');
      const st = await this.statOf(n.path, signal);
      await chown.call(
        fs,
        n.path,
        valid & FATTR.UID ? b.readUInt32LE(76) : st.uid,
        valid & FATTR.GID ? b.readUInt32LE(80) : st.gid,
        { signal },
      );
    }
    if (valid & (FATTR.MTIME | FATTR.MTIME_NOW)) {
      const mtime = valid & FATTR.MTIME_NOW ? Date.now() / 1000 : Number(b.readBigUInt64LE(40));
      await fs.utimes(n.path, mtime, mtime);
    }
    return attrOut(this.attr(await this.statOf(n.path, signal), n.id), this.validity.attr);
  }

  private async readdir(h: InHeader, b: Buffer, plus: boolean, signal: AbortSignal): Promise<Buffer> {
    const d = this.dirs.get(b.readBigUInt64LE(0));
    if (!d) throw errno('EBADF', 'unknown directory handle');
    const offset = Number(b.readBigUInt64LE(8));
    const size = b.readUInt32LE(16);
    if (offset === 0 || !d.entries) {
      const list = await this.client.fs.readdir(d.path, { withFileTypes: true, encoding: 'buffer', signal });
      d.entries = list.map((e) => ({ name: e.name, kind: e.kind, stats: e.stats }));
    }
    const dir = this.node(h.nodeid);
    const packer = new DirentPacker(size, plus);
    const all = [
      { name: Buffer.from('.'), kind: 'directory' as Kind, stats: undefined },
      { name: Buffer.from('..'), kind: 'directory' as Kind, stats: undefined },
      ...d.entries,
    ];
    for (let i = offset; i < all.length; i++) {
      const e = all[i]!;
      const type =
        e.kind === 'file' ? DT_REG : e.kind === 'symlink' ? DT_LNK : e.kind === 'unknown' ? 0 : DT_DIR;
      const ino = e.stats ? (BigInt(e.stats.volume) << 32n) | BigInt(e.stats.ino) : BigInt(i + 1);
      // Entries with a status the server gave with the listing go to the kernel whole (no LOOKUP
      // per name for `ls -l`); mount points are looked up, since the kernel must see their target.
      const full = plus && i >= 2 && e.stats && e.kind !== 'mountpoint' && e.kind !== 'unknown';
      if (!full) {
        if (!packer.add(e.name, ino, type, i + 1)) break;
        continue;
      }
      const st = e.stats!;
      const probe = { nodeid: 0n, attr: this.attr(st, 0n), v: this.validity };
      if (!packer.fits(e.name)) break;
      const n = this.nodes.lookup(dir, e.name, this.fidKey(st), st.isDirectory());
      this.watch(n, st);
      probe.nodeid = n.id;
      probe.attr = this.attr(st, n.id);
      packer.add(e.name, ino, type, i + 1, probe);
    }
    return packer.finish();
  }

  private async xattr(n: FuseNode, name: string, signal: AbortSignal): Promise<Buffer> {
    const fs = this.client.fs;
    const st = await this.statOf(n.path, signal);
    if (!this.fidKey(st)) throw errno('ENODATA', 'the dynamic root has no AFS attributes');
    switch (name) {
      case XATTR.fid:
        return Buffer.from(`${st.fid.volume}.${st.fid.vnode}.${st.fid.unique}`);
      case XATTR.cell:
        return Buffer.from(st.cell);
      case XATTR.volume:
        return Buffer.from((await fs.whereis(n.path, { signal })).volume);
      case XATTR.acl: {
        return Buffer.from(formatAcl(await fs.getAcl(n.path, { signal })));
      }
      default:
        throw errno('ENODATA', `no attribute ${name}`);
    }
  }

  /** getxattr/listxattr's size protocol: 0 asks for the length, too small is ERANGE. */
  private sized(v: Buffer, size: number): Buffer {
    if (size === 0) return writeOut(v.length);
    if (v.length > size) throw errno('ERANGE', 'attribute larger than the buffer');
    return v;
  }
}
