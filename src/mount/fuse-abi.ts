// The Linux FUSE kernel protocol (include/uapi/linux/fuse.h), spoken on /dev/fuse: the opcodes,
// flags and fixed-layout structures tsafs uses, little-endian as the kernel writes them. Each
// request is one read() of a header plus its body; each reply is one write() of an out-header
// plus its body; notifications are replies with unique 0 and the notify code as the error.

export const FUSE_KERNEL_VERSION = 7;
/** The minor version we speak (needs ≥ 7.31 for FUSE_MAX_PAGES and explicit data invalidation). */
export const FUSE_KERNEL_MINOR = 31;
export const FUSE_ROOT_ID = 1n;
export const IN_HEADER_SIZE = 40;
export const OUT_HEADER_SIZE = 16;
/** Largest write the kernel sends (max_pages × 4 KiB); the read buffer holds it plus headers. */
export const MAX_WRITE = 1 << 20;
export const MAX_PAGES = MAX_WRITE / 4096;
export const READ_BUFFER_SIZE = MAX_WRITE + 4096;

export const Op = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
  READDIRPLUS: 44,
  RENAME2: 45,
} as const;

export const InitFlag = {
  ASYNC_READ: 1 << 0,
  ATOMIC_O_TRUNC: 1 << 3,
  BIG_WRITES: 1 << 5,
  AUTO_INVAL_DATA: 1 << 12,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
  EXPLICIT_INVAL_DATA: 1 << 25,
} as const;

export const Notify = { INVAL_INODE: 2, INVAL_ENTRY: 3, DELETE: 6 } as const;

export const FATTR = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
} as const;

export const FOPEN_KEEP_CACHE = 1 << 1;

/** File types as d_type and the S_IF* bits of st_mode. */
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const DT_DIR = 4;
export const DT_REG = 8;
export const DT_LNK = 10;

export interface InHeader {
  len: number;
  opcode: number;
  unique: bigint;
  nodeid: bigint;
  uid: number;
  gid: number;
  pid: number;
}

export function readInHeader(b: Buffer): InHeader {
  return {
    len: b.readUInt32LE(0),
    opcode: b.readUInt32LE(4),
    unique: b.readBigUInt64LE(8),
    nodeid: b.readBigUInt64LE(16),
    uid: b.readUInt32LE(24),
    gid: b.readUInt32LE(28),
    pid: b.readUInt32LE(32),
  };
}

/** A reply: the out header followed by `body`. `error` is a negative errno, 0 for success. */
export function encodeReply(unique: bigint, error: number, body?: Buffer): Buffer {
  const len = OUT_HEADER_SIZE + (body?.length ?? 0);
  const b = Buffer.allocUnsafe(len);
  b.writeUInt32LE(len, 0);
  b.writeInt32LE(error, 4);
  b.writeBigUInt64LE(unique, 8);
  body?.copy(b, OUT_HEADER_SIZE);
  return b;
}

/** What the kernel needs to know of an inode (struct fuse_attr, 88 bytes). */
export interface Attr {
  ino: bigint;
  size: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  blksize?: number;
}

export const ATTR_SIZE = 88;

export function writeAttr(b: Buffer, off: number, a: Attr): void {
  b.writeBigUInt64LE(a.ino, off);
  b.writeBigUInt64LE(BigInt(a.size), off + 8);
  b.writeBigUInt64LE(BigInt(Math.ceil(a.size / 512)), off + 16);
  const t = BigInt(Math.max(0, Math.floor(a.mtime)));
  // AFS keeps no atime and one modification time: all three times are mtime.
  b.writeBigUInt64LE(t, off + 24);
  b.writeBigUInt64LE(t, off + 32);
  b.writeBigUInt64LE(t, off + 40);
  b.writeUInt32LE(0, off + 48);
  b.writeUInt32LE(0, off + 52);
  b.writeUInt32LE(0, off + 56);
  b.writeUInt32LE(a.mode >>> 0, off + 60);
  b.writeUInt32LE(a.nlink, off + 64);
  b.writeUInt32LE(a.uid >>> 0, off + 68);
  b.writeUInt32LE(a.gid >>> 0, off + 72);
  b.writeUInt32LE(0, off + 76);
  b.writeUInt32LE(a.blksize ?? 4096, off + 80);
  b.writeUInt32LE(0, off + 84);
}

/** Cache lifetimes given to the kernel, in seconds. */
export interface Validity {
  entry: number;
  attr: number;
}

function writeSecs(b: Buffer, off: number, nsecOff: number, s: number): void {
  const whole = Math.floor(s);
  b.writeBigUInt64LE(BigInt(whole), off);
  b.writeUInt32LE(Math.round((s - whole) * 1e9), nsecOff);
}

export const ENTRY_OUT_SIZE = 40 + ATTR_SIZE;

/** struct fuse_entry_out: the answer to LOOKUP, MKDIR, CREATE, SYMLINK, LINK. */
export function writeEntryOut(b: Buffer, off: number, nodeid: bigint, a: Attr, v: Validity): void {
  b.writeBigUInt64LE(nodeid, off);
  b.writeBigUInt64LE(0n, off + 8);
  writeSecs(b, off + 16, off + 32, v.entry);
  writeSecs(b, off + 24, off + 36, v.attr);
  writeAttr(b, off + 40, a);
}

export function entryOut(nodeid: bigint, a: Attr, v: Validity): Buffer {
  const b = Buffer.alloc(ENTRY_OUT_SIZE);
  writeEntryOut(b, 0, nodeid, a, v);
  return b;
}

/** struct fuse_attr_out: the answer to GETATTR and SETATTR. */
export function attrOut(a: Attr, attrValid: number): Buffer {
  const b = Buffer.alloc(16 + ATTR_SIZE);
  writeSecs(b, 0, 8, attrValid);
  writeAttr(b, 16, a);
  return b;
}

/** struct fuse_open_out. */
export function openOut(fh: bigint, flags: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(fh, 0);
  b.writeUInt32LE(flags, 8);
  return b;
}

export function writeOut(size: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(size, 0);
  return b;
}

/** struct fuse_kstatfs in a statfs reply; sizes in 1 KiB blocks as AFS counts them. */
export function statfsOut(blocks: number, free: number): Buffer {
  const b = Buffer.alloc(80);
  b.writeBigUInt64LE(BigInt(blocks), 0);
  b.writeBigUInt64LE(BigInt(free), 8);
  b.writeBigUInt64LE(BigInt(free), 16);
  b.writeBigUInt64LE(BigInt(9_000_000), 24);
  b.writeBigUInt64LE(BigInt(9_000_000), 32);
  b.writeUInt32LE(1024, 40);
  b.writeUInt32LE(255, 44);
  b.writeUInt32LE(1024, 48);
  return b;
}

/** struct fuse_init_out, for the minor version we speak. */
export function initOut(flags: number, maxReadahead: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(FUSE_KERNEL_VERSION, 0);
  b.writeUInt32LE(FUSE_KERNEL_MINOR, 4);
  b.writeUInt32LE(maxReadahead, 8);
  b.writeUInt32LE(flags >>> 0, 12);
  b.writeUInt16LE(64, 16); // max_background
  b.writeUInt16LE(48, 18); // congestion_threshold
  b.writeUInt32LE(MAX_WRITE, 20);
  b.writeUInt32LE(1_000_000_000, 24); // time_gran: AFS times are whole seconds
  b.writeUInt16LE(MAX_PAGES, 28);
  return b;
}

const align8 = (n: number) => (n + 7) & ~7;

/** Packs directory entries (READDIR) or entries with attributes (READDIRPLUS) into `max` bytes. */
export class DirentPacker {
  private readonly parts: Buffer[] = [];
  private used = 0;
  constructor(
    private readonly max: number,
    private readonly plus: boolean,
  ) {}

  private size(name: Buffer): number {
    return align8((this.plus ? ENTRY_OUT_SIZE : 0) + 24 + name.length);
  }

  /** Whether an entry of this name still fits. */
  fits(name: Buffer): boolean {
    return this.used + this.size(name) <= this.max;
  }

  /** Adds one entry; false when it does not fit (the kernel asks again from its offset). */
  add(
    name: Buffer,
    ino: bigint,
    type: number,
    nextOffset: number,
    entry?: { nodeid: bigint; attr: Attr; v: Validity },
  ): boolean {
    const head = this.plus ? ENTRY_OUT_SIZE : 0;
    const size = this.size(name);
    if (this.used + size > this.max) return false;
    const b = Buffer.alloc(size);
    if (this.plus) {
      // nodeid 0 tells the kernel to make no dentry for this name (., ..).
      if (entry) writeEntryOut(b, 0, entry.nodeid, entry.attr, entry.v);
    }
    b.writeBigUInt64LE(ino, head);
    b.writeBigUInt64LE(BigInt(nextOffset), head + 8);
    b.writeUInt32LE(name.length, head + 16);
    b.writeUInt32LE(type, head + 20);
    name.copy(b, head + 24);
    this.parts.push(b);
    this.used += size;
    return true;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.used);
  }
}

/** FUSE_NOTIFY_INVAL_INODE: drop the kernel's attributes and cached pages of an inode. */
export function invalInode(nodeid: bigint): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(nodeid, 0);
  b.writeBigInt64LE(0n, 8); // from offset 0
  b.writeBigInt64LE(0n, 16); // len 0: the whole file
  return encodeReply(0n, Notify.INVAL_INODE, b);
}

/** FUSE_NOTIFY_INVAL_ENTRY: forget the kernel's dentry for `name` in `parent`. */
export function invalEntry(parent: bigint, name: Buffer): Buffer {
  const b = Buffer.alloc(16 + name.length + 1);
  b.writeBigUInt64LE(parent, 0);
  b.writeUInt32LE(name.length, 8);
  name.copy(b, 16);
  return encodeReply(0n, Notify.INVAL_ENTRY, b);
}

/** A NUL-terminated name from a request body. */
export function cstring(b: Buffer, off: number): { name: Buffer; next: number } {
  const end = b.indexOf(0, off);
  const e = end < 0 ? b.length : end;
  return { name: b.subarray(off, e), next: e + 1 };
}
