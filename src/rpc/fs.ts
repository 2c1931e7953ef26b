// File service (RXAFS, Rx service 1, port 7000): OpenAFS src/fsint/afsint.xg.
// Results are structs of the OUT parameters in .xg order; names are the .xg names in camelCase.

import {
  type Codec,
  char,
  empty,
  enumU32,
  i32,
  string,
  stringBytes,
  struct,
  u32,
  u64,
  XdrError,
} from '../xdr/codec.js';
import { defineRpc, defineService } from './define.js';
import {
  AFSBulkStats,
  AFSCallBack,
  AFSCBFids,
  AFSCBs,
  AFSFetchStatus,
  AFSFid,
  AFSNAMEMAX,
  AFSOPAQUEMAX,
  AFSOpaque,
  AFSPATHMAX,
  AFSStoreStatus,
  AFSVolSync,
  Capabilities,
} from './types.js';

export const FS_SERVICE_ID = 1;
export const FS_PORT = 7000;

/** Locks expire on the server this many seconds after SetLock/ExtendLock. */
export const AFS_LOCKWAIT = 300;
export const LOCK_READ = 0;
export const LOCK_WRITE = 1;

export interface AFSFetchVolumeStatus {
  vid: number;
  parentId: number;
  online: number;
  inService: number;
  blessed: number;
  needsSalvage: number;
  type: number;
  minQuota: number;
  maxQuota: number;
  blocksInUse: number;
  partBlocksAvail: number;
  partMaxBlocks: number;
}
/** 12 words: the four chars take one word each. */
export const AFSFetchVolumeStatus: Codec<AFSFetchVolumeStatus> = struct({
  vid: i32,
  parentId: i32,
  online: char,
  inService: char,
  blessed: char,
  needsSalvage: char,
  type: i32,
  minQuota: i32,
  maxQuota: i32,
  blocksInUse: i32,
  partBlocksAvail: i32,
  partMaxBlocks: i32,
});

export const AFS_SETMINQUOTA = 1;
export const AFS_SETMAXQUOTA = 2;

export interface AFSStoreVolumeStatus {
  mask: number;
  minQuota: number;
  maxQuota: number;
}
export const AFSStoreVolumeStatus: Codec<AFSStoreVolumeStatus> = struct({
  mask: i32,
  minQuota: i32,
  maxQuota: i32,
});

/**
 * A u32 on the wire that OpenAFS servers read as signed: refuse to send 2^31 or more, so a 32-bit
 * fallback call can never reach a wrong offset (use the 64-bit RPCs there).
 */
const u31: Codec<number> = {
  minSize: 4,
  maxSize: 4,
  fixedSize: 4,
  encode(w, v) {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fff_ffff) {
      throw new XdrError('XDR_RANGE', `${v} does not fit a 32-bit AFS offset (use the 64-bit RPC)`);
    }
    w.u32(v);
  },
  decode: (r) => r.u32(),
};

const name = stringBytes(AFSNAMEMAX);
const statusSync = struct({ status: AFSFetchStatus, volSync: AFSVolSync });
const statusCallbackSync = struct({ status: AFSFetchStatus, callback: AFSCallBack, volSync: AFSVolSync });
const bulkResult = struct({ statuses: AFSBulkStats, callbacks: AFSCBs, volSync: AFSVolSync });
const volSyncOnly = struct({ volSync: AFSVolSync });
const fidOnly = struct({ fid: AFSFid });

export const FS = {
  /** Split: after the request the server sends a u32 length, that many raw bytes, then the result. */
  FetchData: defineRpc({
    name: 'FS.FetchData',
    opcode: 130,
    args: struct({ fid: AFSFid, pos: u31, length: u31 }),
    result: statusCallbackSync,
    split: 'fetch',
    fetchLength: u32,
  }),
  FetchACL: defineRpc({
    name: 'FS.FetchACL',
    opcode: 131,
    args: fidOnly,
    result: struct({ acl: AFSOpaque, status: AFSFetchStatus, volSync: AFSVolSync }),
  }),
  FetchStatus: defineRpc({ name: 'FS.FetchStatus', opcode: 132, args: fidOnly, result: statusCallbackSync }),
  /** Split: `length` raw bytes follow the arguments. */
  StoreData: defineRpc({
    name: 'FS.StoreData',
    opcode: 133,
    args: struct({ fid: AFSFid, storeStatus: AFSStoreStatus, pos: u31, length: u31, fileLength: u31 }),
    result: statusSync,
    split: 'store',
  }),
  /** Deprecated (CVE-2018-7168) but the only StoreACL OpenAFS 1.8 has. */
  OldStoreACL: defineRpc({
    name: 'FS.OldStoreACL',
    opcode: 134,
    args: struct({ fid: AFSFid, acl: AFSOpaque }),
    result: statusSync,
  }),
  StoreACL: defineRpc({
    name: 'FS.StoreACL',
    opcode: 164,
    args: struct({ fid: AFSFid, acl: AFSOpaque }),
    result: statusSync,
  }),
  StoreStatus: defineRpc({
    name: 'FS.StoreStatus',
    opcode: 135,
    args: struct({ fid: AFSFid, storeStatus: AFSStoreStatus }),
    result: statusSync,
  }),
  RemoveFile: defineRpc({
    name: 'FS.RemoveFile',
    opcode: 136,
    args: struct({ dirFid: AFSFid, name }),
    result: struct({ dirStatus: AFSFetchStatus, volSync: AFSVolSync }),
  }),
  CreateFile: defineRpc({
    name: 'FS.CreateFile',
    opcode: 137,
    args: struct({ dirFid: AFSFid, name, storeStatus: AFSStoreStatus }),
    result: struct({
      fid: AFSFid,
      status: AFSFetchStatus,
      dirStatus: AFSFetchStatus,
      callback: AFSCallBack,
      volSync: AFSVolSync,
    }),
  }),
  Rename: defineRpc({
    name: 'FS.Rename',
    opcode: 138,
    args: struct({ oldDirFid: AFSFid, oldName: name, newDirFid: AFSFid, newName: name }),
    result: struct({ oldDirStatus: AFSFetchStatus, newDirStatus: AFSFetchStatus, volSync: AFSVolSync }),
  }),
  Symlink: defineRpc({
    name: 'FS.Symlink',
    opcode: 139,
    args: struct({
      dirFid: AFSFid,
      name,
      linkContents: stringBytes(AFSPATHMAX),
      storeStatus: AFSStoreStatus,
    }),
    result: struct({ fid: AFSFid, status: AFSFetchStatus, dirStatus: AFSFetchStatus, volSync: AFSVolSync }),
  }),
  Link: defineRpc({
    name: 'FS.Link',
    opcode: 140,
    args: struct({ dirFid: AFSFid, name, existingFid: AFSFid }),
    result: struct({ status: AFSFetchStatus, dirStatus: AFSFetchStatus, volSync: AFSVolSync }),
  }),
  MakeDir: defineRpc({
    name: 'FS.MakeDir',
    opcode: 141,
    args: struct({ dirFid: AFSFid, name, storeStatus: AFSStoreStatus }),
    result: struct({
      fid: AFSFid,
      status: AFSFetchStatus,
      dirStatus: AFSFetchStatus,
      callback: AFSCallBack,
      volSync: AFSVolSync,
    }),
  }),
  RemoveDir: defineRpc({
    name: 'FS.RemoveDir',
    opcode: 142,
    args: struct({ dirFid: AFSFid, name }),
    result: struct({ dirStatus: AFSFetchStatus, volSync: AFSVolSync }),
  }),
  GiveUpCallBacks: defineRpc({
    name: 'FS.GiveUpCallBacks',
    opcode: 147,
    args: struct({ fids: AFSCBFids, callbacks: AFSCBs }),
    result: empty,
  }),
  GetVolumeStatus: defineRpc({
    name: 'FS.GetVolumeStatus',
    opcode: 149,
    args: struct({ volumeId: i32 }),
    result: struct({
      status: AFSFetchVolumeStatus,
      name: string(AFSNAMEMAX),
      offlineMsg: string(AFSOPAQUEMAX),
      motd: string(AFSOPAQUEMAX),
    }),
  }),
  SetVolumeStatus: defineRpc({
    name: 'FS.SetVolumeStatus',
    opcode: 150,
    args: struct({
      volumeId: i32,
      status: AFSStoreVolumeStatus,
      name: string(AFSNAMEMAX),
      offlineMsg: string(AFSOPAQUEMAX),
      motd: string(AFSOPAQUEMAX),
    }),
    result: empty,
  }),
  GetTime: defineRpc({
    name: 'FS.GetTime',
    opcode: 153,
    args: empty,
    result: struct({ seconds: u32, useconds: u32 }),
  }),
  /** Fails as a whole on any bad FID; prefer InlineBulkStatus. */
  BulkStatus: defineRpc({
    name: 'FS.BulkStatus',
    opcode: 155,
    args: struct({ fids: AFSCBFids }),
    result: bulkResult,
  }),
  SetLock: defineRpc({
    name: 'FS.SetLock',
    opcode: 156,
    args: struct({ fid: AFSFid, type: enumU32([LOCK_READ, LOCK_WRITE]) }),
    result: volSyncOnly,
  }),
  ExtendLock: defineRpc({ name: 'FS.ExtendLock', opcode: 157, args: fidOnly, result: volSyncOnly }),
  ReleaseLock: defineRpc({ name: 'FS.ReleaseLock', opcode: 158, args: fidOnly, result: volSyncOnly }),
  /** Per-entry errors arrive in each status's errorCode. */
  InlineBulkStatus: defineRpc({
    name: 'FS.InlineBulkStatus',
    opcode: 65536,
    args: struct({ fids: AFSCBFids }),
    result: bulkResult,
  }),
  /** Split: after the request the server sends a u64 length (high word, low word), the bytes, then the result. */
  FetchData64: defineRpc({
    name: 'FS.FetchData64',
    opcode: 65537,
    args: struct({ fid: AFSFid, pos: u64, length: u64 }),
    result: statusCallbackSync,
    split: 'fetch',
    fetchLength: u64,
  }),
  /** Split: `length` raw bytes follow the arguments. */
  StoreData64: defineRpc({
    name: 'FS.StoreData64',
    opcode: 65538,
    args: struct({ fid: AFSFid, storeStatus: AFSStoreStatus, pos: u64, length: u64, fileLength: u64 }),
    result: statusSync,
    split: 'store',
  }),
  GiveUpAllCallBacks: defineRpc({ name: 'FS.GiveUpAllCallBacks', opcode: 65539, args: empty, result: empty }),
  /** `capabilities` is OUT: rxgen carries the previous proc's last direction over to unmarked parameters. */
  GetCapabilities: defineRpc({
    name: 'FS.GetCapabilities',
    opcode: 65540,
    args: empty,
    result: struct({ capabilities: Capabilities }),
  }),
};

export const fsService = defineService('RXAFS', FS);
