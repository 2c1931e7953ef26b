// Structures shared by the AFS RPC interfaces (OpenAFS src/fsint/common.xg, afsint.xg, src/rx/xdr_afsuuid.c).
// Each name is both a codec (value) and the decoded type, e.g. `AFSFid.decode(r): AFSFid`.
// Wire-faithful structs keep the .xg field order; a few (fetch status, UUID, interface list) decode to
// friendlier shapes and encode back to exactly the same words.

import { randomBytes } from 'node:crypto';
import {
  array,
  type Codec,
  fixedArray,
  i32,
  opaque,
  struct,
  transform,
  u32,
  XdrError,
  type XdrReader,
  type XdrWriter,
} from '../xdr/codec.js';

// ---- limits (common.xg, afsint.xg) -------------------------------------------------------------------
export const AFSNAMEMAX = 256;
export const AFSPATHMAX = 1024;
export const AFSOPAQUEMAX = 1024;
export const AFSCBMAX = 50;
export const AFSCAPABILITIESMAX = 196;
export const AFS_MAX_INTERFACE_ADDR = 32;

// ---- AFSFid, AFSCallBack, AFSVolSync ---------------------------------------------------------------

export interface AFSFid {
  volume: number;
  vnode: number;
  unique: number;
}
export const AFSFid: Codec<AFSFid> = struct({ volume: u32, vnode: u32, unique: u32 });

export const CB_EXCLUSIVE = 1;
export const CB_SHARED = 2;
export const CB_DROPPED = 3;

export interface AFSCallBack {
  version: number;
  /** Seconds relative to when the request was sent (the server already subtracted its bias). */
  expirationTime: number;
  type: number;
}
export const AFSCallBack: Codec<AFSCallBack> = struct({ version: u32, expirationTime: u32, type: u32 });

export type AFSCBFids = AFSFid[];
export const AFSCBFids = array(AFSFid, AFSCBMAX);
export type AFSCBs = AFSCallBack[];
export const AFSCBs = array(AFSCallBack, AFSCBMAX);

/** spare1 is the volume's creation date (changes when a read-only volume is re-released); the rest are 0. */
export interface AFSVolSync {
  spare1: number;
  spare2: number;
  spare3: number;
  spare4: number;
  spare5: number;
  spare6: number;
}
export const AFSVolSync: Codec<AFSVolSync> = struct({
  spare1: u32,
  spare2: u32,
  spare3: u32,
  spare4: u32,
  spare5: u32,
  spare6: u32,
});

/** `opaque AFSOpaque<1024>` (ACL text, with its trailing NUL). */
export const AFSOpaque = opaque(AFSOPAQUEMAX);

// ---- AFSFetchStatus (21 words) ------------------------------------------------------------------------

export const FILE_TYPE_INVALID = 0;
export const FILE_TYPE_FILE = 1;
export const FILE_TYPE_DIRECTORY = 2;
export const FILE_TYPE_SYMLINK = 3;

export interface AFSFetchStatus {
  interfaceVersion: number;
  /** 0 invalid, 1 file, 2 directory, 3 symbolic link (a mount point is a symlink with no x bits). */
  fileType: number;
  linkCount: number;
  /** Length | Length_hi << 32. */
  length: number;
  /** DataVersion | dataVersionHigh << 32: the cache validator. */
  dataVersion: bigint;
  author: number;
  owner: number;
  callerAccess: number;
  anonymousAccess: number;
  /** UnixModeBits. */
  mode: number;
  parentVnode: number;
  parentUnique: number;
  /** ResidencyMask / SegSize. */
  segSize: number;
  clientModTime: number;
  serverModTime: number;
  group: number;
  syncCounter: number;
  /** −1 for a write lock, n > 0 for n readers. */
  lockCount: number;
  /** Per-entry error (InlineBulkStatus); 0 otherwise. */
  errorCode: number;
}

const fetchStatusWire = struct({
  InterfaceVersion: u32,
  FileType: u32,
  LinkCount: u32,
  Length: u32,
  DataVersion: u32,
  Author: u32,
  Owner: u32,
  CallerAccess: u32,
  AnonymousAccess: u32,
  UnixModeBits: u32,
  ParentVnode: u32,
  ParentUnique: u32,
  ResidencyMask: u32,
  ClientModTime: u32,
  ServerModTime: u32,
  Group: u32,
  SyncCounter: u32,
  dataVersionHigh: u32,
  lockCount: i32,
  Length_hi: u32,
  errorCode: i32,
});

const TWO32 = 0x1_0000_0000;

function fetchStatusToWire(f: AFSFetchStatus) {
  if (!Number.isSafeInteger(f.length) || f.length < 0)
    throw new XdrError('XDR_RANGE', `bad length ${f.length}`);
  if (f.dataVersion < 0n || f.dataVersion >= 1n << 64n) {
    throw new XdrError('XDR_RANGE', `bad data version ${f.dataVersion}`);
  }
  return {
    InterfaceVersion: f.interfaceVersion,
    FileType: f.fileType,
    LinkCount: f.linkCount,
    Length: f.length % TWO32,
    DataVersion: Number(f.dataVersion & 0xffff_ffffn),
    Author: f.author,
    Owner: f.owner,
    CallerAccess: f.callerAccess,
    AnonymousAccess: f.anonymousAccess,
    UnixModeBits: f.mode,
    ParentVnode: f.parentVnode,
    ParentUnique: f.parentUnique,
    ResidencyMask: f.segSize,
    ClientModTime: f.clientModTime,
    ServerModTime: f.serverModTime,
    Group: f.group,
    SyncCounter: f.syncCounter,
    dataVersionHigh: Number(f.dataVersion >> 32n),
    lockCount: f.lockCount,
    Length_hi: Math.floor(f.length / TWO32),
    errorCode: f.errorCode,
  };
}

/**
 * Decoded word by word rather than through the wire struct: directory listings decode thousands of
 * these, and this is several times faster. The order is fetchStatusWire's (tests pin both).
 */
function decodeFetchStatus(r: XdrReader): AFSFetchStatus {
  r.need(84, 'AFSFetchStatus');
  const interfaceVersion = r.u32();
  const fileType = r.u32();
  const linkCount = r.u32();
  const lengthLo = r.u32();
  const dataVersionLo = r.u32();
  const author = r.u32();
  const owner = r.u32();
  const callerAccess = r.u32();
  const anonymousAccess = r.u32();
  const mode = r.u32();
  const parentVnode = r.u32();
  const parentUnique = r.u32();
  const segSize = r.u32();
  const clientModTime = r.u32();
  const serverModTime = r.u32();
  const group = r.u32();
  const syncCounter = r.u32();
  const dataVersionHi = r.u32();
  const lockCount = r.i32();
  const lengthHi = r.u32();
  const errorCode = r.i32();
  if (lengthHi > 0x1f_ffff) {
    throw new XdrError('XDR_RANGE', `file length beyond 2^53 (hi ${lengthHi})`, r.offset - 8);
  }
  return {
    interfaceVersion,
    fileType,
    linkCount,
    length: lengthHi * TWO32 + lengthLo,
    dataVersion:
      dataVersionHi === 0 ? BigInt(dataVersionLo) : (BigInt(dataVersionHi) << 32n) | BigInt(dataVersionLo),
    author,
    owner,
    callerAccess,
    anonymousAccess,
    mode,
    parentVnode,
    parentUnique,
    segSize,
    clientModTime,
    serverModTime,
    group,
    syncCounter,
    lockCount,
    errorCode,
  };
}

export const AFSFetchStatus: Codec<AFSFetchStatus> = {
  minSize: 84,
  maxSize: 84,
  fixedSize: 84,
  encode: (w, f) => fetchStatusWire.encode(w, fetchStatusToWire(f)),
  decode: decodeFetchStatus,
};

export type AFSBulkStats = AFSFetchStatus[];
export const AFSBulkStats = array(AFSFetchStatus, AFSCBMAX);

// ---- AFSStoreStatus ---------------------------------------------------------------------------------

export const AFS_SETMODTIME = 1;
export const AFS_SETOWNER = 2;
export const AFS_SETGROUP = 4;
export const AFS_SETMODE = 8;
export const AFS_SETSEGSIZE = 16;
export const AFS_FSYNC = 1024;

export interface AFSStoreStatus {
  mask: number;
  clientModTime: number;
  owner: number;
  group: number;
  mode: number;
  segSize: number;
}
export const AFSStoreStatus: Codec<AFSStoreStatus> = struct({
  mask: u32,
  clientModTime: u32,
  owner: u32,
  group: u32,
  mode: u32,
  segSize: u32,
});

/** Build an AFSStoreStatus whose mask names exactly the fields given. */
export function storeStatus(
  set: {
    modTime?: number;
    owner?: number;
    group?: number;
    mode?: number;
    segSize?: number;
    fsync?: boolean;
  } = {},
): AFSStoreStatus {
  let mask = 0;
  if (set.modTime !== undefined) mask |= AFS_SETMODTIME;
  if (set.owner !== undefined) mask |= AFS_SETOWNER;
  if (set.group !== undefined) mask |= AFS_SETGROUP;
  if (set.mode !== undefined) mask |= AFS_SETMODE;
  if (set.segSize !== undefined) mask |= AFS_SETSEGSIZE;
  if (set.fsync) mask |= AFS_FSYNC;
  return {
    mask,
    clientModTime: set.modTime ?? 0,
    owner: set.owner ?? 0,
    group: set.group ?? 0,
    mode: set.mode ?? 0,
    segSize: set.segSize ?? 0,
  };
}

// ---- afsUUID: 11 words <-> 16 bytes -------------------------------------------------------------------

/** An afsUUID as its 16 bytes in RFC 4122 order (time_low, time_mid, time_hi, clock_seq, node). */
export type AfsUuid = Buffer;

/**
 * afsUUID on the wire: time_low (u32), time_mid and time_hi_and_version (u_short, one word each),
 * clock_seq_hi_and_reserved, clock_seq_low and node[6] (char, one sign-extended word each).
 */
export const afsUUID: Codec<AfsUuid, Uint8Array> = {
  minSize: 44,
  maxSize: 44,
  fixedSize: 44,
  encode(w: XdrWriter, b: Uint8Array) {
    if (b.length !== 16) throw new XdrError('XDR_BAD_VALUE', `a UUID is 16 bytes, got ${b.length}`);
    const v = Buffer.from(b.buffer, b.byteOffset, 16);
    w.ensure(44);
    w.u32(v.readUInt32BE(0));
    w.u32(v.readUInt16BE(4));
    w.u32(v.readUInt16BE(6));
    for (let i = 8; i < 16; i++) w.i32((v[i]! << 24) >> 24);
  },
  decode(r: XdrReader) {
    r.need(44, 'afsUUID');
    const b = Buffer.allocUnsafe(16);
    b.writeUInt32BE(r.u32(), 0);
    b.writeUInt16BE(r.u32() & 0xffff, 4);
    b.writeUInt16BE(r.u32() & 0xffff, 6);
    for (let i = 8; i < 16; i++) b[i] = r.u32() & 0xff;
    return b;
  },
};

/** OpenAFS's text form (`afsUUID_to_string`, as `vos listaddrs -printuuid` and cmdebug print it). */
export function uuidToString(u: Uint8Array): string {
  const h = Buffer.from(u.buffer, u.byteOffset, u.length).toString('hex');
  if (h.length !== 32) throw new TypeError(`a UUID is 16 bytes, got ${u.length}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 18)}-${h.slice(18, 20)}-${h.slice(20)}`;
}

/** The RFC 4122 text form of the same bytes. */
export function uuidToRfcString(u: Uint8Array): string {
  const h = uuidToString(u).replace(/-/g, '');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Parse either the OpenAFS (8-4-4-2-2-12) or the RFC 4122 (8-4-4-4-12) text form. */
export function uuidFromString(s: string): AfsUuid {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-([0-9a-f]{2}-[0-9a-f]{2}|[0-9a-f]{4})-[0-9a-f]{12}$/i.test(s)) {
    throw new TypeError(`not a UUID: ${JSON.stringify(s)}`);
  }
  return Buffer.from(s.replace(/-/g, ''), 'hex');
}

/** A fresh random (version 4) UUID. */
export function randomAfsUuid(): AfsUuid {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b;
}

// ---- IPv4 addresses as carried in AFS structures (host-order u32: a.b.c.d = a<<24 | ...) -------------

export function ipv4ToString(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function ipv4FromString(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  const parts = m ? m.slice(1).map(Number) : [];
  if (parts.length !== 4 || parts.some((p) => p > 255)) throw new TypeError(`not an IPv4 address: ${s}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

// ---- interfaceAddr (108 words) and Capabilities ---------------------------------------------------------

export interface InterfaceEntry {
  addr: number;
  netmask: number;
  mtu: number;
}
export interface InterfaceAddr {
  uuid: AfsUuid;
  /** The first numberOfInterfaces entries of addr_in/subnetmask/mtu. */
  interfaces: InterfaceEntry[];
}

const interfaceAddrWire = struct({
  numberOfInterfaces: i32,
  uuid: afsUUID,
  addr_in: fixedArray(u32, AFS_MAX_INTERFACE_ADDR),
  subnetmask: fixedArray(u32, AFS_MAX_INTERFACE_ADDR),
  mtu: fixedArray(u32, AFS_MAX_INTERFACE_ADDR),
});

export const interfaceAddr: Codec<
  InterfaceAddr,
  { uuid: Uint8Array; interfaces: readonly InterfaceEntry[] }
> = transform(
  interfaceAddrWire,
  (w): InterfaceAddr => {
    const n = w.numberOfInterfaces;
    if (n < 0 || n > AFS_MAX_INTERFACE_ADDR) {
      throw new XdrError('XDR_BAD_VALUE', `numberOfInterfaces ${n} outside 0..${AFS_MAX_INTERFACE_ADDR}`);
    }
    const interfaces: InterfaceEntry[] = [];
    for (let i = 0; i < n; i++) {
      interfaces.push({ addr: w.addr_in[i]!, netmask: w.subnetmask[i]!, mtu: w.mtu[i]! });
    }
    return { uuid: w.uuid, interfaces };
  },
  (v) => {
    if (v.interfaces.length > AFS_MAX_INTERFACE_ADDR) {
      throw new XdrError(
        'XDR_TOO_LONG',
        `${v.interfaces.length} interfaces exceed ${AFS_MAX_INTERFACE_ADDR}`,
      );
    }
    const col = (pick: (e: InterfaceEntry) => number) =>
      Array.from({ length: AFS_MAX_INTERFACE_ADDR }, (_, i) => {
        const e = v.interfaces[i];
        return e ? pick(e) : 0;
      });
    return {
      numberOfInterfaces: v.interfaces.length,
      uuid: v.uuid,
      addr_in: col((e) => e.addr),
      subnetmask: col((e) => e.netmask),
      mtu: col((e) => e.mtu),
    };
  },
);

/** Fileserver capability bits. */
export const VICED_CAPABILITY_ERRORTRANS = 0x1;
export const VICED_CAPABILITY_64BITFILES = 0x2;
export const VICED_CAPABILITY_WRITELOCKACL = 0x4;
export const VICED_CAPABILITY_SANEACLS = 0x8;
/** Cache-manager capability bit: "send me UAE error codes". */
export const CLIENT_CAPABILITY_ERRORTRANS = 0x1;

export type Capabilities = number[];
export const Capabilities = array(u32, AFSCAPABILITIESMAX);
