// node:fs-shaped Stats and Dirent for AFS objects, carrying the AFS fields as well.

import { isMountPoint } from '../afs/mountpoint.js';
import {
  type AFSFetchStatus,
  type AFSFid,
  FILE_TYPE_DIRECTORY,
  FILE_TYPE_FILE,
  FILE_TYPE_SYMLINK,
} from '../rpc/types.js';

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const BLOCK = 1024;

export type AfsFileKind = 'file' | 'directory' | 'symlink' | 'mountpoint' | 'unknown';

export function kindOf(st: AFSFetchStatus): AfsFileKind {
  if (st.fileType === FILE_TYPE_FILE) return 'file';
  if (st.fileType === FILE_TYPE_DIRECTORY) return 'directory';
  if (st.fileType === FILE_TYPE_SYMLINK) return isMountPoint(st.fileType, st.mode) ? 'mountpoint' : 'symlink';
  return 'unknown';
}

/** The node:fs type predicates, from an AFS kind; AFS has no devices, FIFOs or sockets. */
abstract class KindPredicates {
  abstract readonly kind: AfsFileKind;
  isFile(): boolean {
    return this.kind === 'file';
  }
  isDirectory(): boolean {
    return this.kind === 'directory';
  }
  isSymbolicLink(): boolean {
    return this.kind === 'symlink' || this.kind === 'mountpoint';
  }
  /** An AFS mount point reached without crossing it (lstat, readdir). */
  isMountPoint(): boolean {
    return this.kind === 'mountpoint';
  }
  isBlockDevice(): boolean {
    return false;
  }
  isCharacterDevice(): boolean {
    return false;
  }
  isFIFO(): boolean {
    return false;
  }
  isSocket(): boolean {
    return false;
  }
}

/** Stats as node:fs has them, plus the AFS view: fid, data version, volume, owner, rights. */
export class AfsStats extends KindPredicates {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev = 0;
  readonly size: number;
  readonly blksize = 4096;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;
  readonly atime: Date;
  readonly mtime: Date;
  readonly ctime: Date;
  readonly birthtime: Date;
  // AFS fields.
  readonly cell: string;
  readonly fid: AFSFid;
  readonly volume: number;
  readonly dataVersion: bigint;
  readonly owner: number;
  readonly author: number;
  readonly group: number;
  readonly callerAccess: number;
  readonly anonymousAccess: number;
  readonly kind: AfsFileKind;
  readonly lockCount: number;
  readonly parentVnode: number;
  readonly serverModTime: number;

  constructor(cell: string, fid: AFSFid, st: AFSFetchStatus, kindOverride?: AfsFileKind) {
    super();
    this.cell = cell;
    this.fid = { ...fid };
    this.volume = fid.volume;
    this.kind = kindOverride ?? kindOf(st);
    // A mount point crossed by the walk shows as the directory it leads to.
    const typeBits = this.kind === 'directory' ? S_IFDIR : this.kind === 'file' ? S_IFREG : S_IFLNK;
    this.dev = fid.volume;
    this.ino = fid.vnode;
    this.mode = typeBits | (st.mode & 0o7777);
    this.nlink = st.linkCount;
    this.uid = st.owner;
    this.gid = st.group;
    this.size = st.length;
    this.blocks = Math.ceil(st.length / BLOCK) * (BLOCK / 512);
    this.mtimeMs = st.clientModTime * 1000;
    this.ctimeMs = st.serverModTime * 1000;
    this.atimeMs = this.mtimeMs;
    this.birthtimeMs = this.ctimeMs;
    this.mtime = new Date(this.mtimeMs);
    this.ctime = new Date(this.ctimeMs);
    this.atime = new Date(this.atimeMs);
    this.birthtime = new Date(this.birthtimeMs);
    this.dataVersion = st.dataVersion;
    this.owner = st.owner;
    this.author = st.author;
    this.group = st.group;
    this.callerAccess = st.callerAccess;
    this.anonymousAccess = st.anonymousAccess;
    this.lockCount = st.lockCount;
    this.parentVnode = st.parentVnode;
    this.serverModTime = st.serverModTime;
  }
}

/** A directory entry as readdir({ withFileTypes: true }) returns it. */
export class AfsDirent<N extends string | Buffer = string> extends KindPredicates {
  constructor(
    readonly name: N,
    readonly parentPath: string,
    readonly kind: AfsFileKind,
    readonly fid: AFSFid,
    /** The entry's status as the server gave it with the listing (not crossing mount points). */
    readonly stats?: AfsStats,
  ) {
    super();
  }
  get path(): string {
    return this.parentPath;
  }
  /** Mount points lead to directories, as every AFS client shows them. */
  override isDirectory(): boolean {
    return this.kind === 'directory' || this.kind === 'mountpoint';
  }
  override isSymbolicLink(): boolean {
    return this.kind === 'symlink';
  }
}
