// client.fs: the node:fs/promises shapes users know (readFile, writeFile, readdir, stat, mkdir,
// rm, rename, link, symlink, readlink, open, streams) over AFS paths, plus the AFS extras
// (ACLs, volume status, whereis, locks, mount points). Every method takes an AbortSignal.
// Names are bytes in AFS: paths and names may be Buffers; `encoding: 'buffer'` returns Buffers.

import { randomBytes } from 'node:crypto';
import { constants, type Mode, type RmDirOptions, type RmOptions } from 'node:fs';
import { basename } from 'node:path';
import { umask } from 'node:process';
import { type Acl, formatAcl, parseAcl } from '../afs/acl.js';
import { AfsDirectory } from '../afs/dir.js';
import { DataVersionChangedError } from '../afs/fsclient.js';
import { formatMountPoint } from '../afs/mountpoint.js';
import { type Frame, MAX_DIR_BYTES, walk, walkParent } from '../afs/path.js';
import { AfsError } from '../rpc/errors.js';
import { FS } from '../rpc/fs.js';
import {
  type AFSFetchStatus,
  type AFSFid,
  FILE_TYPE_DIRECTORY,
  FILE_TYPE_FILE,
  storeStatus,
} from '../rpc/types.js';
import { VLSF_DONTUSE, VLSF_ROVOL, VLSF_RWVOL } from '../rpc/vl.js';
import { accessDenied, F_OK, W_OK } from './access.js';
import { type AfsBigIntStats, toBigIntStats } from './bigint-stats.js';
import type { FsContext } from './context.js';
import { type CpOptions, copyFile, cp } from './copy.js';
import { AfsDir } from './dir.js';
import { abortErrorFor, fsError, withDest } from './errors.js';
import { AfsFileHandle, type OpenFlags } from './handle.js';
import { AfsLock } from './lock.js';
import { warnRefused } from './names.js';
import { installNodeShape } from './node-api.js';
import { invalidArgType, toUnixSeconds } from './node-args.js';
import { checkBoolean, checkEncoding, checkSignal, flagsOf, shownPath, toPath } from './paths.js';
import { emptyDirectory, refusedError, removeDirEntry } from './remove.js';
import { AfsDirent, AfsStats, kindOf } from './stats.js';
import {
  createReadStream,
  createWriteStream,
  type ReadStreamOptions,
  type WriteStreamOptions,
} from './streams.js';
import { listFid, walkFid } from './tree.js';
import { type WatchEvent, watchFid } from './watch.js';

export type PathLike = string | Buffer | URL;
export interface SignalOpt {
  signal?: AbortSignal;
}
type Encoding = BufferEncoding | 'buffer' | null | undefined;
type EncodingOption = (SignalOpt & { encoding?: BufferEncoding | null }) | BufferEncoding | null;
type BufferEncodingOption = (SignalOpt & { encoding: 'buffer' }) | 'buffer';
/** What writeFile takes: text, bytes, or an (async) iterable or stream of them. */
export type WriteData =
  | string
  | ArrayBufferView
  | Iterable<string | ArrayBufferView>
  | AsyncIterable<string | ArrayBufferView>
  | NodeJS.ReadableStream;

const STORE_CHUNK = 64 << 20;
const now = () => Math.floor(Date.now() / 1000);
const shown = (p: PathLike) => shownPath(toPath(p));

function toBuffer(data: string | Uint8Array, encoding: BufferEncoding = 'utf8'): Buffer {
  return typeof data === 'string'
    ? Buffer.from(data, encoding)
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function decodeName(name: Buffer, encoding: Encoding): string | Buffer {
  return encoding === 'buffer' ? Buffer.from(name) : name.toString(encoding ?? 'utf8');
}

export interface WhereIs {
  cell: string;
  volume: string;
  volumeId: number;
  type: 'rw' | 'ro' | 'bk';
  servers: string[];
}

/** statfs() as node:fs reports it (numbers, or bigints with `bigint: true`). */
export interface AfsStatFs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** statfs(path, { bigint: true }). */
export type AfsBigIntStatFs = { [K in keyof AfsStatFs]: bigint };

/** OpenAFS's file system magic (afs_statfs), statfs's `type`. */
const AFS_VFSMAGIC = 0x5346414f;

export interface VolumeStatus {
  volumeId: number;
  name: string;
  type: number;
  online: boolean;
  inService: boolean;
  /** KiB; 0 = unlimited. */
  maxQuota: number;
  blocksInUse: number;
  partBlocksAvail: number;
  partMaxBlocks: number;
  offlineMsg: string;
  motd: string;
}

export class AfsFs {
  /** node:fs's constants (Linux values), as `fs.constants` has them. */
  readonly constants = constants;

  constructor(private readonly ctx: FsContext) {
    installNodeShape(this);
  }

  // ---------------------------------------------------------------- walking

  async #resolve(
    path: PathLike,
    syscall: string,
    follow: boolean,
    signal?: AbortSignal,
  ): Promise<Frame | null> {
    await this.ctx.ready();
    const r = await walk(this.ctx.walkOps, this.ctx.mount, toPath(path), { follow, signal, syscall });
    if (r.location.root) return null;
    const { root: _r, ...frame } = r.location;
    return frame;
  }

  async #frame(path: PathLike, syscall: string, signal?: AbortSignal, follow = true): Promise<Frame> {
    const f = await this.#resolve(path, syscall, follow, signal);
    if (!f)
      throw new AfsError('EISDIR', `EISDIR: the dynamic root holds no data, ${syscall} '${shown(path)}'`, {
        syscall,
        path: shown(path),
      });
    return f;
  }

  async #parent(path: PathLike, syscall: string, signal?: AbortSignal) {
    await this.ctx.ready();
    return walkParent(this.ctx.walkOps, this.ctx.mount, toPath(path), { syscall, signal });
  }

  async #lookupIn(dir: Frame, name: Buffer, signal?: AbortSignal): Promise<AFSFid | undefined> {
    const { data } = await this.ctx.walkOps.fetchWhole(dir.cell, dir.fid, MAX_DIR_BYTES, signal);
    const hit = new AfsDirectory(data).lookup(name);
    return hit ? { volume: dir.fid.volume, vnode: hit.vnode, unique: hit.unique } : undefined;
  }

  #opts(syscall: string, path: PathLike, signal?: AbortSignal) {
    return { syscall, path: shown(path), signal };
  }

  // ---------------------------------------------------------------- status

  stat(path: PathLike, o?: SignalOpt & { bigint?: false }): Promise<AfsStats>;
  stat(path: PathLike, o: SignalOpt & { bigint: true }): Promise<AfsBigIntStats>;
  stat(path: PathLike, o?: SignalOpt & { bigint?: boolean }): Promise<AfsStats | AfsBigIntStats>;
  async stat(path: PathLike, o: SignalOpt & { bigint?: boolean } = {}): Promise<AfsStats | AfsBigIntStats> {
    const f = await this.#resolve(path, 'stat', true, o.signal);
    const st = f ? new AfsStats(f.cell, f.fid, f.status) : this.#rootStats();
    return o.bigint ? toBigIntStats(st) : st;
  }

  lstat(path: PathLike, o?: SignalOpt & { bigint?: false }): Promise<AfsStats>;
  lstat(path: PathLike, o: SignalOpt & { bigint: true }): Promise<AfsBigIntStats>;
  lstat(path: PathLike, o?: SignalOpt & { bigint?: boolean }): Promise<AfsStats | AfsBigIntStats>;
  async lstat(path: PathLike, o: SignalOpt & { bigint?: boolean } = {}): Promise<AfsStats | AfsBigIntStats> {
    const f = await this.#resolve(path, 'lstat', false, o.signal);
    const st = f ? new AfsStats(f.cell, f.fid, f.status) : this.#rootStats();
    return o.bigint ? toBigIntStats(st) : st;
  }

  #rootStats(): AfsStats {
    const st: AFSFetchStatus = {
      interfaceVersion: 1,
      fileType: FILE_TYPE_DIRECTORY,
      linkCount: 2,
      length: 2048,
      dataVersion: 1n,
      author: 0,
      owner: 0,
      callerAccess: 0x9,
      anonymousAccess: 0x9,
      mode: 0o755,
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
    return new AfsStats('', { volume: 0, vnode: 1, unique: 1 }, st, 'directory');
  }

  /** Allowed when the caller's AFS rights give `mode` (access.ts); EACCES / EROFS otherwise. */
  async access(path: PathLike, mode: number = F_OK): Promise<void> {
    const f = await this.#resolve(path, 'access', true);
    if (!f) {
      if (mode & W_OK) throw fsError('EACCES', 'permission denied', 'access', shown(path));
      return;
    }
    const denied = accessDenied(f.status, mode, f.kind !== 'rw');
    if (denied)
      throw fsError(
        denied,
        denied === 'EROFS' ? 'read-only file system' : 'permission denied',
        'access',
        shown(path),
      );
  }

  // ---------------------------------------------------------------- directories

  readdir(
    path: PathLike,
    o?: SignalOpt & { withFileTypes?: false; encoding?: BufferEncoding | null; recursive?: boolean },
  ): Promise<string[]>;
  readdir(
    path: PathLike,
    o: SignalOpt & { withFileTypes?: false; encoding: 'buffer'; recursive?: boolean },
  ): Promise<Buffer<ArrayBuffer>[]>;
  readdir(
    path: PathLike,
    o: SignalOpt & { withFileTypes: true; encoding?: BufferEncoding | null; recursive?: boolean },
  ): Promise<AfsDirent<string>[]>;
  readdir(
    path: PathLike,
    o: SignalOpt & { withFileTypes: true; encoding: 'buffer'; recursive?: boolean },
  ): Promise<AfsDirent<Buffer>[]>;
  async readdir(
    path: PathLike,
    o: SignalOpt & { withFileTypes?: boolean; encoding?: Encoding; recursive?: boolean } = {},
  ): Promise<(string | Buffer | AfsDirent<string | Buffer>)[]> {
    const f = await this.#resolve(path, 'scandir', true, o.signal);
    if (!f) {
      const names = this.ctx.cellNames();
      if (!o.withFileTypes) return names.map((n) => (o.encoding === 'buffer' ? Buffer.from(n) : n));
      return names.map(
        (n) =>
          new AfsDirent(o.encoding === 'buffer' ? Buffer.from(n) : n, this.ctx.mount, 'mountpoint', {
            volume: 0,
            vnode: 0,
            unique: 0,
          }),
      );
    }
    if (f.status.fileType !== FILE_TYPE_DIRECTORY) {
      throw new AfsError('ENOTDIR', `ENOTDIR: not a directory, scandir '${shown(path)}'`, {
        syscall: 'scandir',
        path: shown(path),
      });
    }
    if (o.recursive) {
      // By FID (tree.ts): names that would not name one entry are skipped with a warning.
      const out: (string | Buffer | AfsDirent<string | Buffer>)[] = [];
      const walked = walkFid(this.ctx, f, shown(path), {
        syscall: 'scandir',
        signal: o.signal,
        onRefused: (dir, r) => warnRefused('readdir', dir, r),
        // node:fs/promises descends into links to directories only when not asked for Dirents.
        followLinks: !o.withFileTypes,
      });
      for await (const e of walked) {
        if (o.withFileTypes)
          out.push(new AfsDirent(decodeName(e.name, o.encoding), e.parentPath, e.kind, e.fid, e.stats));
        else out.push(decodeName(e.relative, o.encoding));
      }
      return out;
    }
    const { data } = await this.ctx.walkOps.fetchWhole(f.cell, f.fid, MAX_DIR_BYTES, o.signal);
    const entries = new AfsDirectory(data)
      .scan()
      .entries.filter((e) => !(e.name.equals(DOT) || e.name.equals(DOTDOT)));
    if (!o.withFileTypes) return entries.map((e) => decodeName(e.name, o.encoding));
    const cell = await this.ctx.cell(f.cell);
    const fids = entries.map((e) => ({ volume: f.fid.volume, vnode: e.vnode, unique: e.unique }));
    const kinds: ReturnType<typeof kindOf>[] = [];
    const stats: (AfsStats | undefined)[] = [];
    for (let i = 0; i < fids.length; i += 50) {
      const sts = await this.ctx.files.bulkStatus(
        cell,
        f.fid.volume,
        fids.slice(i, i + 50),
        this.#opts('scandir', path, o.signal),
      );
      sts.forEach((st, k) => {
        kinds.push(st.errorCode ? 'unknown' : kindOf(st));
        // Each entry carries its status: `ls -l` needs no walk per entry.
        stats.push(st.errorCode ? undefined : new AfsStats(f.cell, fids[i + k]!, st));
      });
    }
    return entries.map(
      (e, i) =>
        new AfsDirent(decodeName(e.name, o.encoding), shown(path), kinds[i] ?? 'unknown', fids[i]!, stats[i]),
    );
  }

  async mkdir(
    path: PathLike,
    o: SignalOpt & { recursive?: boolean; mode?: number } = {},
  ): Promise<string | undefined> {
    if (o.recursive) return this.#mkdirp(path, o, true);
    const { dir, name } = await this.#parent(path, 'mkdir', o.signal);
    const cell = await this.ctx.cell(dir.cell);
    await this.ctx.files.call(
      cell,
      dir.fid.volume,
      FS.MakeDir,
      {
        dirFid: dir.fid,
        name,
        storeStatus: storeStatus({ mode: (o.mode ?? 0o777) & 0o7777 & ~umask(), modTime: now() }),
      },
      this.#opts('mkdir', path, o.signal),
    );
    return undefined;
  }

  async #mkdirp(path: PathLike, o: SignalOpt & { mode?: number }, top: boolean): Promise<string | undefined> {
    const p = shown(path).replace(/\/+$/, '');
    try {
      const st = await this.stat(p, { signal: o.signal });
      // As Linux's mkdir -p: the path itself existing as a file is EEXIST, a file on the way ENOTDIR.
      if (!st.isDirectory())
        throw top
          ? fsError('EEXIST', 'file already exists', 'mkdir', shown(path))
          : fsError('ENOTDIR', 'not a directory', 'mkdir', shown(path));
      return undefined;
    } catch (e) {
      if (!(e instanceof AfsError && e.code === 'ENOENT')) throw e;
    }
    const up = p.slice(0, p.lastIndexOf('/'));
    const first = up.length > this.ctx.mount.length + 1 ? await this.#mkdirp(up, o, false) : undefined;
    try {
      await this.mkdir(p, { mode: o.mode, signal: o.signal });
    } catch (e) {
      if (!(e instanceof AfsError && e.code === 'EEXIST')) throw e;
    }
    return first ?? p;
  }

  async rmdir(path: PathLike, o: SignalOpt & RmDirOptions = {}): Promise<void> {
    const { dir, name } = await this.#parent(path, 'rmdir', o.signal);
    await removeDirEntry(this.ctx, dir, name, this.#opts('rmdir', path, o.signal));
  }

  async unlink(path: PathLike, o: SignalOpt = {}): Promise<void> {
    const { dir, name } = await this.#parent(path, 'unlink', o.signal);
    const cell = await this.ctx.cell(dir.cell);
    await this.ctx.files.call(
      cell,
      dir.fid.volume,
      FS.RemoveFile,
      { dirFid: dir.fid, name },
      this.#opts('unlink', path, o.signal),
    );
  }

  async rm(path: PathLike, o: SignalOpt & RmOptions = {}): Promise<void> {
    let st: AfsStats;
    try {
      st = await this.lstat(path, o);
    } catch (e) {
      if (o.force && e instanceof AfsError && e.code === 'ENOENT') return;
      throw e;
    }
    // The walk crosses mount points even for lstat: a volume root may be a mount point here, which
    // rm removes like `fs rmmount` instead of descending into (and emptying) another volume.
    if (st.isDirectory() && st.fid.vnode === 1 && (await this.#isMountPointEntry(path, o.signal))) {
      await this.unlink(path, o);
      return;
    }
    if (st.isDirectory() && !st.isMountPoint()) {
      if (!o.recursive) {
        throw new AfsError(
          'ERR_FS_EISDIR',
          `Path is a directory: rm returned EISDIR (is a directory) ${shown(path)}`,
          { syscall: 'rm', path: shown(path) },
        );
      }
      // By FID: the directory is emptied from its own listing, never by walking server-sent
      // names again (tree.ts); it is the lstat'ed directory itself (not a link's target).
      const dir = await this.#frame(path, 'rm', o.signal, false);
      const left = await emptyDirectory(this.ctx, dir, shown(path), o.signal);
      if (left.length > 0) throw refusedError(shown(path), left);
      await this.rmdir(path, o);
      return;
    }
    await this.unlink(path, o);
  }

  async #isMountPointEntry(path: PathLike, signal?: AbortSignal): Promise<boolean> {
    let parent: { dir: Frame; name: Buffer };
    try {
      parent = await this.#parent(path, 'rm', signal);
    } catch (e) {
      if (e instanceof AfsError && (e.code === 'EINVAL' || e.code === 'EACCES')) return false; // a cell root
      throw e;
    }
    const fid = await this.#lookupIn(parent.dir, parent.name, signal);
    if (!fid) return false;
    const cell = await this.ctx.cell(parent.dir.cell);
    const { status } = await this.ctx.files.fetchStatus(cell, fid, this.#opts('rm', path, signal));
    return kindOf(status) === 'mountpoint';
  }

  async rename(oldPath: PathLike, newPath: PathLike): Promise<void> {
    await this.#rename(oldPath, newPath).catch((e: unknown) => {
      throw withDest(e, 'rename', shown(oldPath), shown(newPath));
    });
  }

  async #rename(oldPath: PathLike, newPath: PathLike, o: SignalOpt = {}): Promise<void> {
    const a = await this.#parent(oldPath, 'rename', o.signal);
    const b = await this.#parent(newPath, 'rename', o.signal);
    if (a.dir.cell !== b.dir.cell || a.dir.fid.volume !== b.dir.fid.volume) {
      throw new AfsError(
        'EXDEV',
        `EXDEV: cross-volume rename not permitted, rename '${shown(oldPath)}' -> '${shown(newPath)}'`,
        { syscall: 'rename', path: shown(oldPath) },
      );
    }
    const cell = await this.ctx.cell(a.dir.cell);
    await this.ctx.files.call(
      cell,
      a.dir.fid.volume,
      FS.Rename,
      {
        oldDirFid: a.dir.fid,
        oldName: a.name,
        newDirFid: b.dir.fid,
        newName: b.name,
      },
      this.#opts('rename', oldPath, o.signal),
    );
  }

  /** A hard link: AFS has them only within one directory (EXDEV otherwise, as the server says). */
  async link(existingPath: PathLike, newPath: PathLike): Promise<void> {
    await this.#link(existingPath, newPath).catch((e: unknown) => {
      throw withDest(e, 'link', shown(existingPath), shown(newPath));
    });
  }

  async #link(existingPath: PathLike, newPath: PathLike, o: SignalOpt = {}): Promise<void> {
    const target = await this.#frame(existingPath, 'link', o.signal, false);
    const { dir, name } = await this.#parent(newPath, 'link', o.signal);
    if (target.cell !== dir.cell || target.fid.volume !== dir.fid.volume) {
      throw new AfsError(
        'EXDEV',
        `EXDEV: cross-volume link not permitted, link '${shown(existingPath)}' -> '${shown(newPath)}'`,
        { syscall: 'link', path: shown(existingPath) },
      );
    }
    const cell = await this.ctx.cell(dir.cell);
    await this.ctx.files.call(
      cell,
      dir.fid.volume,
      FS.Link,
      { dirFid: dir.fid, name, existingFid: target.fid },
      this.#opts('link', newPath, o.signal),
    );
  }

  async symlink(target: PathLike, path: PathLike, _type?: string | null): Promise<void> {
    const t = toPath(target);
    await this.#makeLink(path, Buffer.from(t), 0o777, 'symlink').catch((e: unknown) => {
      throw withDest(e, 'symlink', shownPath(t), shown(path));
    });
  }

  async #makeLink(
    path: PathLike,
    contents: Buffer,
    mode: number,
    syscall: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const { dir, name } = await this.#parent(path, syscall, signal);
    const cell = await this.ctx.cell(dir.cell);
    await this.ctx.files.call(
      cell,
      dir.fid.volume,
      FS.Symlink,
      {
        dirFid: dir.fid,
        name,
        linkContents: contents,
        storeStatus: storeStatus({ mode, modTime: now() }),
      },
      this.#opts(syscall, path, signal),
    );
  }

  readlink(path: PathLike, o?: EncodingOption): Promise<string>;
  readlink(path: PathLike, o: BufferEncodingOption): Promise<Buffer<ArrayBuffer>>;
  readlink(
    path: PathLike,
    o?: EncodingOption | BufferEncodingOption | string | null,
  ): Promise<string | Buffer>;
  async readlink(
    path: PathLike,
    opt: EncodingOption | BufferEncodingOption | string | null = {},
  ): Promise<string | Buffer> {
    // The node-api wrapper has made it an object.
    const o = (opt ?? {}) as SignalOpt & { encoding?: Encoding };
    const f = await this.#frame(path, 'readlink', o.signal, false);
    if (kindOf(f.status) !== 'symlink') {
      throw new AfsError('EINVAL', `EINVAL: invalid argument, readlink '${shown(path)}'`, {
        syscall: 'readlink',
        path: shown(path),
      });
    }
    const { data } = await this.ctx.walkOps.fetchWhole(f.cell, f.fid, 1024, o.signal);
    return o.encoding === 'buffer' ? data : data.toString(o.encoding ?? 'utf8');
  }

  // ---------------------------------------------------------------- file data

  readFile(
    path: PathLike | AfsFileHandle,
    o?: (SignalOpt & { encoding?: null; flag?: string | number }) | null,
  ): Promise<Buffer<ArrayBuffer>>;
  readFile(
    path: PathLike | AfsFileHandle,
    o: (SignalOpt & { encoding: BufferEncoding; flag?: string | number }) | BufferEncoding,
  ): Promise<string>;
  readFile(
    path: PathLike | AfsFileHandle,
    o?: (SignalOpt & { encoding?: BufferEncoding | null; flag?: string | number }) | BufferEncoding | null,
  ): Promise<string | Buffer>;
  async readFile(
    path: PathLike | AfsFileHandle,
    o: (SignalOpt & { encoding?: Encoding; flag?: string | number }) | BufferEncoding | null = {},
  ): Promise<string | Buffer> {
    const opts = typeof o === 'string' ? { encoding: o } : (o ?? {});
    if (path instanceof AfsFileHandle) return path.readFile(opts as { encoding?: BufferEncoding });
    const f = await this.#frame(path, 'open', opts.signal);
    if (f.status.fileType !== FILE_TYPE_FILE) {
      throw new AfsError('EISDIR', `EISDIR: illegal operation on a directory, read '${shown(path)}'`, {
        syscall: 'read',
        path: shown(path),
      });
    }
    const cell = await this.ctx.cell(f.cell);
    let parts: Buffer[] = [];
    // The file changed on the server during the read: the bytes so far are ours alone, read again.
    for (let attempt = 0; ; attempt++) {
      parts = [];
      try {
        await this.ctx.files.fetchData(
          cell,
          f.fid,
          0,
          Number.MAX_SAFE_INTEGER,
          (c) => void parts.push(c),
          this.#opts('read', path, opts.signal),
        );
        break;
      } catch (e) {
        if (!(e instanceof DataVersionChangedError) || attempt >= 2) throw e;
      }
    }
    const buf = Buffer.concat(parts);
    return opts.encoding && opts.encoding !== 'buffer' ? buf.toString(opts.encoding) : buf;
  }

  /** Create the file if needed; returns its FID and status. */
  async #createOrOpen(
    path: PathLike,
    flags: OpenFlags,
    mode: number,
    signal?: AbortSignal,
  ): Promise<{ cell: string; fid: AFSFid; status: AFSFetchStatus; created: boolean }> {
    const { dir, name } = await this.#parent(path, 'open', signal);
    const cell = await this.ctx.cell(dir.cell);
    if (flags.create) {
      try {
        const r = await this.ctx.files.call(
          cell,
          dir.fid.volume,
          FS.CreateFile,
          {
            dirFid: dir.fid,
            name,
            storeStatus: storeStatus({ mode: mode & 0o7777, modTime: now() }),
          },
          this.#opts('open', path, signal),
        );
        return { cell: dir.cell, fid: r.fid, status: r.status, created: true };
      } catch (e) {
        if (!(e instanceof AfsError && e.code === 'EEXIST') || flags.exclusive) throw e;
      }
    }
    const f = await this.#frame(path, 'open', signal);
    if (f.status.fileType !== FILE_TYPE_FILE) {
      const code = f.status.fileType === FILE_TYPE_DIRECTORY ? 'EISDIR' : 'EINVAL';
      throw new AfsError(code, `${code}: not a regular file, open '${shown(path)}'`, {
        syscall: 'open',
        path: shown(path),
      });
    }
    return { cell: f.cell, fid: f.fid, status: f.status, created: false };
  }

  /** Store `data` at `pos` (in calls of at most 64 MiB); returns the final status. */
  async #storeAt(
    cellName: string,
    fid: AFSFid,
    pos: number,
    data: Buffer,
    fileLength: number,
    path: PathLike,
    signal?: AbortSignal,
  ): Promise<AFSFetchStatus> {
    const cell = await this.ctx.cell(cellName);
    let status: AFSFetchStatus | undefined;
    let off = 0;
    do {
      const n = Math.min(STORE_CHUNK, data.length - off);
      const chunk = data.subarray(off, off + n);
      const end = pos + off + n;
      const r = await this.ctx.files.storeData(
        cell,
        fid,
        storeStatus({ modTime: now() }),
        pos + off,
        chunk,
        Math.max(fileLength, end),
        this.#opts('write', path, signal),
      );
      status = r.status;
      off += n;
    } while (off < data.length);
    return status!;
  }

  /**
   * Replace a file's content with `data`: a string, bytes, or an (async) iterable or stream of them
   * (written through a handle, chunk by chunk).
   */
  async writeFile(
    path: PathLike | AfsFileHandle,
    data: WriteData,
    o:
      | (SignalOpt & { encoding?: BufferEncoding | null; mode?: number | string; flag?: string | number })
      | BufferEncoding
      | null = {},
  ): Promise<void> {
    const opts = typeof o === 'string' ? { encoding: o } : (o ?? {});
    if (path instanceof AfsFileHandle) return path.writeFile(data as never, opts as never);
    const flags = typeof opts.flag === 'object' ? (opts.flag as OpenFlags) : flagsOf(opts.flag, 'w');
    const mode = (typeof opts.mode === 'number' ? opts.mode : 0o666) & ~umask();
    if (typeof data !== 'string' && !ArrayBuffer.isView(data)) {
      if (
        data === null ||
        typeof data !== 'object' ||
        !(Symbol.iterator in data || Symbol.asyncIterator in data)
      )
        throw invalidArgType(
          'data',
          'of type string or an instance of Buffer, TypedArray, DataView, or an Iterable or AsyncIterable',
          data,
        );
      const fh = await this.open(path, flags as never, mode);
      try {
        await fh.writeFile(
          data as never,
          { encoding: opts.encoding ?? 'utf8', signal: opts.signal } as never,
        );
      } finally {
        await fh.close();
      }
      return;
    }
    const buf =
      typeof data === 'string' ? Buffer.from(data, opts.encoding ?? 'utf8') : toBuffer(data as Uint8Array);
    const f = await this.#createOrOpen(path, flags, mode, opts.signal);
    const pos = flags.append ? f.status.length : 0;
    const fileLength = flags.append ? pos + buf.length : buf.length;
    if (buf.length === 0 && !flags.append && (f.created || f.status.length === 0)) return;
    await this.#storeAt(f.cell, f.fid, pos, buf, fileLength, path, opts.signal);
  }

  async appendFile(
    path: PathLike | AfsFileHandle,
    data: WriteData,
    o:
      | (SignalOpt & { encoding?: BufferEncoding | null; mode?: number | string; flag?: string | number })
      | BufferEncoding
      | null = {},
  ): Promise<void> {
    const opts = typeof o === 'string' ? { encoding: o } : (o ?? {});
    if (path instanceof AfsFileHandle) return path.appendFile(data as never, opts as never);
    await this.writeFile(path, data, { ...opts, flag: opts.flag ?? 'a' });
  }

  async truncate(path: PathLike, len = 0, o: SignalOpt = {}): Promise<void> {
    const f = await this.#frame(path, 'truncate', o.signal);
    const cell = await this.ctx.cell(f.cell);
    // StoreData64 of no bytes at the new length, with the new file length (kAFS setattr): a
    // position below the new length would not grow the file.
    await this.ctx.files.storeData(
      cell,
      f.fid,
      storeStatus({ modTime: now() }),
      len,
      Buffer.alloc(0),
      len,
      this.#opts('truncate', path, o.signal),
    );
  }

  async chmod(path: PathLike, mode: Mode, o: SignalOpt = {}): Promise<void> {
    mode = typeof mode === 'number' ? mode : Number.parseInt(mode, 8);
    const f = await this.#frame(path, 'chmod', o.signal);
    const cell = await this.ctx.cell(f.cell);
    await this.ctx.files.call(
      cell,
      f.fid.volume,
      FS.StoreStatus,
      { fid: f.fid, storeStatus: storeStatus({ mode: mode & 0o7777 }) },
      this.#opts('chmod', path, o.signal),
    );
  }

  /** AFS keeps one time, the modification time, in whole seconds from 1970 (atime is ignored). */
  async utimes(path: PathLike, atime: Date | number | string, mtime: Date | number | string): Promise<void> {
    await this.#setTime(path, atime, mtime, true, 'utime');
  }

  /** utimes on a symbolic link itself. */
  async lutimes(path: PathLike, atime: Date | number | string, mtime: Date | number | string): Promise<void> {
    await this.#setTime(path, atime, mtime, false, 'lutime');
  }

  async #setTime(
    path: PathLike,
    atime: unknown,
    mtime: unknown,
    follow: boolean,
    syscall: string,
    o: SignalOpt = {},
  ) {
    toUnixSeconds(atime, 'atime');
    const t = Math.floor(toUnixSeconds(mtime, 'mtime'));
    if (t < 0 || t > 0xffffffff) throw fsError('EINVAL', 'invalid argument', syscall, shown(path));
    const f = await this.#frame(path, syscall, o.signal, follow);
    const cell = await this.ctx.cell(f.cell);
    await this.ctx.files.call(
      cell,
      f.fid.volume,
      FS.StoreStatus,
      { fid: f.fid, storeStatus: storeStatus({ modTime: t }) },
      this.#opts(syscall, path, o.signal),
    );
  }

  /** Owners are PTS ids; only a system:administrators member may give a file away (EPERM). */
  async chown(path: PathLike, uid: number, gid: number): Promise<void> {
    await this.#setOwner(path, uid, gid, true, 'chown');
  }

  async lchown(path: PathLike, uid: number, gid: number): Promise<void> {
    await this.#setOwner(path, uid, gid, false, 'lchown');
  }

  async #setOwner(path: PathLike, uid: number, gid: number, follow: boolean, syscall: string): Promise<void> {
    const f = await this.#frame(path, syscall, undefined, follow);
    const cell = await this.ctx.cell(f.cell);
    const set = { ...(uid !== -1 ? { owner: uid } : {}), ...(gid !== -1 ? { group: gid } : {}) };
    if (Object.keys(set).length === 0) return;
    try {
      await this.ctx.files.call(
        cell,
        f.fid.volume,
        FS.StoreStatus,
        { fid: f.fid, storeStatus: storeStatus(set) },
        this.#opts(syscall, path),
      );
    } catch (e) {
      // The file server says EACCES; chown(2) not allowed is EPERM.
      if (e instanceof AfsError && e.code === 'EACCES')
        throw fsError('EPERM', 'operation not permitted', syscall, shown(path));
      throw e;
    }
  }

  async copyFile(src: PathLike, dest: PathLike, mode = 0): Promise<void> {
    await copyFile(this.#copyHost(), this.ctx, shown(src), shown(dest), mode);
  }

  async cp(src: PathLike, dest: PathLike, o: CpOptions = {}): Promise<void> {
    await cp(this.#copyHost(), this.ctx, shown(src), shown(dest), o);
  }

  #copyHost() {
    return {
      lstat: (p: string, o?: SignalOpt) => this.lstat(p, o),
      stat: (p: string, o?: SignalOpt) => this.stat(p, o),
      mkdir: (p: string, o?: SignalOpt & { mode?: number }) => this.mkdir(p, o),
      symlink: (t: Buffer, p: string) => this.symlink(t, p),
      writeFile: (p: string, d: Uint8Array, o?: SignalOpt & { flag?: string; mode?: number }) =>
        this.writeFile(p, d, o),
      utimes: (p: string, a: Date, m: Date) => this.utimes(p, a, m),
      unlink: (p: string) => this.unlink(p),
      dirPlace: (p: string, signal?: AbortSignal) => this.#frame(p, 'cp', signal),
    };
  }

  /** A Dir: entries one at a time or by async iteration (read from one listing). */
  async opendir(
    path: PathLike,
    o: SignalOpt & { encoding?: Encoding; bufferSize?: number; recursive?: boolean } = {},
  ): Promise<AfsDir<string>> {
    const st = await this.stat(path, { signal: o.signal }).catch((e: unknown) => {
      throw e instanceof AfsError
        ? fsError(
            e.code,
            e.message.replace(/^[A-Z]+: /, '').replace(/, [a-z]+ '.*$/s, ''),
            'opendir',
            shown(path),
          )
        : e;
    });
    if (!st.isDirectory()) throw fsError('ENOTDIR', 'not a directory', 'opendir', shown(path));
    return new AfsDir(shown(path), () =>
      this.readdir(path, {
        withFileTypes: true,
        encoding: o.encoding as BufferEncoding,
        recursive: o.recursive,
        signal: o.signal,
      }),
    );
  }

  /** The path with every symbolic link resolved ("." and ".." too); mount points stay as named. */
  realpath(path: PathLike, o?: EncodingOption): Promise<string>;
  realpath(path: PathLike, o: BufferEncodingOption): Promise<Buffer<ArrayBuffer>>;
  realpath(
    path: PathLike,
    o?: EncodingOption | BufferEncodingOption | string | null,
  ): Promise<string | Buffer>;
  async realpath(
    path: PathLike,
    opt: EncodingOption | BufferEncodingOption | string | null = {},
  ): Promise<string | Buffer> {
    // The node-api wrapper has made it an object.
    const o = (opt ?? {}) as SignalOpt & { encoding?: Encoding };
    const mount = this.ctx.mount;
    const split = (t: string) => t.split('/').filter((c) => c.length > 0);
    let pending = split(shown(path).slice(mount.length));
    let out = mount;
    let links = 0;
    while (pending.length > 0) {
      const c = pending.shift()!;
      if (c === '.') continue;
      if (c === '..') {
        if (out !== mount) out = out.slice(0, out.lastIndexOf('/'));
        continue;
      }
      const next = `${out}/${c}`;
      const st = await this.lstat(next, { signal: o.signal }).catch((e: unknown) => {
        throw e instanceof AfsError
          ? fsError(
              e.code,
              e.message.replace(/^[A-Z]+: /, '').replace(/, [a-z]+ '.*$/s, ''),
              'realpath',
              shown(path),
            )
          : e;
      });
      if (st.kind === 'symlink') {
        if (++links > 40)
          throw fsError('ELOOP', 'too many symbolic links encountered', 'realpath', shown(path));
        const target = (await this.readlink(next, { encoding: 'utf8' })) as string;
        if (target.startsWith('/')) {
          if (target !== mount && !target.startsWith(`${mount}/`))
            throw fsError('ENOENT', 'no such file or directory', 'realpath', shown(path));
          out = mount;
          pending = [...split(target.slice(mount.length)), ...pending];
        } else pending = [...split(target), ...pending];
        continue;
      }
      out = next;
    }
    return o.encoding === 'buffer' ? Buffer.from(out) : out;
  }

  /** A new directory named `prefix` plus six random characters, mode 0700. */
  mkdtemp(prefix: PathLike, o?: EncodingOption): Promise<string>;
  mkdtemp(prefix: PathLike, o: BufferEncodingOption): Promise<Buffer<ArrayBuffer>>;
  mkdtemp(
    prefix: PathLike,
    o?: EncodingOption | BufferEncodingOption | string | null,
  ): Promise<string | Buffer>;
  async mkdtemp(
    prefix: PathLike,
    opt: EncodingOption | BufferEncodingOption | string | null = {},
  ): Promise<string | Buffer> {
    // The node-api wrapper has made it an object.
    const o = (opt ?? {}) as SignalOpt & { encoding?: Encoding };
    const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    for (let attempt = 0; ; attempt++) {
      const suffix = [...randomBytes(6)].map((b) => chars[b % chars.length]).join('');
      const p = `${shown(prefix)}${suffix}`;
      try {
        await this.mkdir(p, { mode: 0o700, signal: o.signal });
        return o.encoding === 'buffer' ? Buffer.from(p) : p;
      } catch (e) {
        if (!(e instanceof AfsError && e.code === 'EEXIST') || attempt >= 100) {
          if (e instanceof AfsError)
            throw fsError(
              e.code,
              e.message.replace(/^[A-Z]+: /, '').replace(/, [a-z]+ '.*$/s, ''),
              'mkdtemp',
              `${shown(prefix)}XXXXXX`,
            );
          throw e;
        }
      }
    }
  }

  /**
   * statfs from the volume's status: 1 KiB blocks; the total is the quota (the partition when the
   * volume has none), free what the quota and the partition both still allow. AFS has no inode
   * limit: files/ffree are reported as OpenAFS's client does (2^31-1).
   */
  statfs(path: PathLike, o?: SignalOpt & { bigint?: false }): Promise<AfsStatFs>;
  statfs(path: PathLike, o: SignalOpt & { bigint: true }): Promise<AfsBigIntStatFs>;
  statfs(path: PathLike, o?: SignalOpt & { bigint?: boolean }): Promise<AfsStatFs | AfsBigIntStatFs>;
  async statfs(
    path: PathLike,
    o: SignalOpt & { bigint?: boolean } = {},
  ): Promise<AfsStatFs | AfsBigIntStatFs> {
    const v = await this.volumeStatus(path, o);
    const total = v.maxQuota > 0 ? v.maxQuota : v.partMaxBlocks;
    const free = Math.max(
      0,
      Math.min(v.maxQuota > 0 ? v.maxQuota - v.blocksInUse : v.partBlocksAvail, v.partBlocksAvail),
    );
    const r = {
      type: AFS_VFSMAGIC,
      bsize: 1024,
      blocks: total,
      bfree: free,
      bavail: free,
      files: 2 ** 31 - 1,
      ffree: 2 ** 31 - 1,
    };
    if (!o.bigint) return r;
    return Object.fromEntries(
      Object.entries(r).map(([k, n]) => [k, BigInt(n)]),
    ) as unknown as AfsBigIntStatFs;
  }

  async open(
    path: PathLike,
    flags: string | number = 'r',
    mode: number | string = 0o666,
    o: SignalOpt = {},
  ): Promise<AfsFileHandle> {
    const fl = typeof flags === 'object' ? (flags as OpenFlags) : flagsOf(flags);
    if (typeof mode !== 'number') mode = 0o666;
    mode &= ~umask();
    if (!fl.write) {
      const f = await this.#frame(path, 'open', o.signal);
      if (f.status.fileType !== FILE_TYPE_FILE) {
        throw new AfsError('EISDIR', `EISDIR: illegal operation on a directory, open '${shown(path)}'`, {
          syscall: 'open',
          path: shown(path),
        });
      }
      return new AfsFileHandle(this.ctx, f.cell, f.fid, f.status, fl, shown(path));
    }
    const f = await this.#createOrOpen(path, fl, mode, o.signal);
    let status = f.status;
    if (fl.truncate && status.length > 0) {
      const cell = await this.ctx.cell(f.cell);
      status = (
        await this.ctx.files.storeData(
          cell,
          f.fid,
          storeStatus({ modTime: now() }),
          0,
          Buffer.alloc(0),
          0,
          this.#opts('open', path, o.signal),
        )
      ).status;
    }
    return new AfsFileHandle(this.ctx, f.cell, f.fid, status, fl, shown(path));
  }

  createReadStream(path: PathLike, o: ReadStreamOptions = {}) {
    return createReadStream(this, path, o);
  }

  createWriteStream(path: PathLike, o: WriteStreamOptions = {}) {
    return createWriteStream(this, path, o);
  }

  // ---------------------------------------------------------------- AFS extras

  async getAcl(path: PathLike, o: SignalOpt = {}): Promise<Acl> {
    const f = await this.#frame(path, 'getacl', o.signal);
    const cell = await this.ctx.cell(f.cell);
    const r = await this.ctx.files.call(
      cell,
      f.fid.volume,
      FS.FetchACL,
      { fid: f.fid },
      this.#opts('getacl', path, o.signal),
    );
    return parseAcl(r.acl);
  }

  async setAcl(path: PathLike, acl: Acl | string, o: SignalOpt = {}): Promise<void> {
    const f = await this.#frame(path, 'setacl', o.signal);
    const text = typeof acl === 'string' ? formatAcl(parseAcl(acl)) : formatAcl(acl);
    const cell = await this.ctx.cell(f.cell);
    await this.ctx.files.storeAcl(
      cell,
      f.fid,
      Buffer.from(`${text}\0`),
      this.#opts('setacl', path, o.signal),
    );
  }

  async volumeStatus(path: PathLike, o: SignalOpt = {}): Promise<VolumeStatus> {
    const f = await this.#frame(path, 'statfs', o.signal);
    const cell = await this.ctx.cell(f.cell);
    const r = await this.ctx.files.call(
      cell,
      f.fid.volume,
      FS.GetVolumeStatus,
      { volumeId: f.fid.volume },
      this.#opts('statfs', path, o.signal),
    );
    return {
      volumeId: r.status.vid,
      name: r.name,
      type: r.status.type,
      online: r.status.online !== 0,
      inService: r.status.inService !== 0,
      maxQuota: r.status.maxQuota,
      blocksInUse: r.status.blocksInUse,
      partBlocksAvail: r.status.partBlocksAvail,
      partMaxBlocks: r.status.partMaxBlocks,
      offlineMsg: r.offlineMsg,
      motd: r.motd,
    };
  }

  async whereis(path: PathLike, o: SignalOpt = {}): Promise<WhereIs> {
    const f = await this.#frame(path, 'whereis', o.signal);
    const entry = await this.ctx.vldb(f.cell, f.fid.volume, o.signal);
    const flag = f.kind === 'ro' ? VLSF_ROVOL : VLSF_RWVOL;
    const servers: string[] = [];
    for (const s of entry.sites) {
      if (!(s.flags & flag) || (f.kind === 'ro' && s.flags & VLSF_DONTUSE)) continue;
      if (s.addr !== null)
        servers.push(`${s.addr >>> 24}.${(s.addr >>> 16) & 255}.${(s.addr >>> 8) & 255}.${s.addr & 255}`);
      else {
        servers.push(...(await this.ctx.serverAddrs(f.cell, s.uuid!, o.signal)));
      }
    }
    return {
      cell: f.cell,
      volume: entry.name,
      volumeId: f.fid.volume,
      type: f.kind,
      servers: [...new Set(servers)],
    };
  }

  /** An advisory AFS lock, extended automatically and released on release(), abort or client close. */
  async lock(path: PathLike, o: SignalOpt & { exclusive?: boolean } = {}): Promise<AfsLock> {
    const f = await this.#frame(path, 'lock', o.signal);
    const cell = await this.ctx.cell(f.cell);
    await this.ctx.files.setLock(cell, f.fid, o.exclusive ?? true, this.#opts('lock', path, o.signal));
    return new AfsLock(this.ctx, cell, f.fid, shown(path), o.signal);
  }

  /**
   * Callback breaks for a file or directory, as they arrive (`for await (const ev of fs.watch(p))`).
   * End it with the AbortSignal or by leaving the loop.
   */
  async *watch(
    path: PathLike,
    options:
      | (SignalOpt & { encoding?: BufferEncoding | 'buffer'; persistent?: boolean; recursive?: boolean })
      | BufferEncoding = {},
  ): AsyncGenerator<WatchEvent> {
    // Checked on the first next(), as node:fs/promises' async generator does.
    const p = toPath(path);
    if (typeof options !== 'string' && (options === null || typeof options !== 'object'))
      throw invalidArgType('options', 'of type object', options);
    const o = typeof options === 'string' ? { encoding: options } : { ...options };
    checkSignal(o.signal);
    checkEncoding(o.encoding);
    checkBoolean(o.persistent, 'options.persistent');
    checkBoolean(o.recursive, 'options.recursive');
    if (o.signal?.aborted) throw abortErrorFor(o.signal);
    const f = await this.#frame(p, 'watch', o.signal);
    const cell = await this.ctx.cell(f.cell);
    const name = (n: Buffer) => (o.encoding === 'buffer' ? n : n.toString(o.encoding ?? 'utf8')) as string;
    const events = watchFid(this.ctx, cell, f.fid, shown(p), o.signal);
    const isDir = f.status.fileType === FILE_TYPE_DIRECTORY;
    const list = async () =>
      new Set(
        (await listFid(this.ctx, f, { syscall: 'watch', path: shown(p), signal: o.signal })).entries.map(
          (e) => e.name.toString('latin1'),
        ),
      );
    // As Node reports them: a file's changes under its own name; in a directory, each entry that
    // appeared or went away as 'rename' with the entry's name.
    let names = isDir ? await list() : new Set<string>();
    for await (const ev of events) {
      if (!isDir) {
        yield { ...ev, filename: name(Buffer.from(basename(shown(p)))) };
        continue;
      }
      const now = await list();
      const changed = [...now].filter((n) => !names.has(n)).concat([...names].filter((n) => !now.has(n)));
      names = now;
      for (const n of changed.sort())
        yield { ...ev, eventType: 'rename', filename: name(Buffer.from(n, 'latin1')) };
    }
    if (o.signal?.aborted) throw abortErrorFor(o.signal);
  }

  /** Make an AFS mount point (a symlink with mode 0644 whose content is "#[cell:]volume."). */
  async mkmount(
    path: PathLike,
    volume: string,
    o: SignalOpt & { rw?: boolean; cell?: string } = {},
  ): Promise<void> {
    const text = formatMountPoint({
      type: o.rw ? 'rw' : 'normal',
      volume,
      ...(o.cell ? { cell: o.cell } : {}),
    });
    await this.#makeLink(path, Buffer.from(text), 0o644, 'mkmount', o.signal);
  }

  /** The mount point's target text, without crossing it. */
  async readMountPoint(path: PathLike, o: SignalOpt = {}): Promise<string> {
    const { dir, name } = await this.#parent(path, 'lsmount', o.signal);
    const fid = await this.#lookupIn(dir, name, o.signal);
    if (!fid)
      throw new AfsError('ENOENT', `ENOENT: no such file or directory, lsmount '${shown(path)}'`, {
        syscall: 'lsmount',
        path: shown(path),
      });
    const { data, status } = await this.ctx.walkOps.fetchWhole(dir.cell, fid, 1024, o.signal);
    if (kindOf(status) !== 'mountpoint')
      throw new AfsError('EINVAL', `EINVAL: not a mount point, lsmount '${shown(path)}'`, {
        syscall: 'lsmount',
        path: shown(path),
      });
    return data.toString('utf8');
  }
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');
