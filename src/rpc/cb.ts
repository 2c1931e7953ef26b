// Cache-manager callback service (RXAFSCB, Rx service 1 on the client's own endpoint):
// OpenAFS src/fsint/afscbint.xg and the debug structures of common.xg, laid out as cmdebug reads them.

import {
  array,
  type Codec,
  char,
  empty,
  i32,
  i64,
  short,
  string,
  struct,
  transform,
  u32,
  wordChars,
  XdrError,
} from '../xdr/codec.js';
import { defineRpc, defineService } from './define.js';
import { AFSCBFids, AFSCBs, AFSFid, AFSNAMEMAX, afsUUID, Capabilities, interfaceAddr } from './types.js';

export const CB_SERVICE_ID = 1;
/** OpenAFS cache managers listen here; we answer on whatever port our calls leave from. */
export const CB_PORT = 7001;

/** cmdebug's "end of list" for GetLock/GetCE/GetCE64 is an abort with this code. */
export const CB_END_OF_LIST = 1;
/** ProbeUuid answers this abort code when the UUID is not ours. */
export const CB_UUID_MISMATCH = 1;

export const AFSMAXCELLHOSTS = 8;
export const AFSCB_MAX_XSTAT_LONGS = 2048;
export const AFSCB_XSTAT_VERSION = 2;

/** AFSDBLockDesc: 8 words (chars and shorts widened). */
export interface AFSDBLockDesc {
  waitStates: number;
  exclLocked: number;
  readersReading: number;
  numWaiting: number;
  spare: number;
  pidLastReader: number;
  pidWriter: number;
  srcIndicator: number;
}
export const AFSDBLockDesc: Codec<AFSDBLockDesc> = struct({
  waitStates: char,
  exclLocked: char,
  readersReading: short,
  numWaiting: short,
  spare: short,
  pidLastReader: i32,
  pidWriter: i32,
  srcIndicator: i32,
});

/** AFSDBLock: char name[16] (16 words) + lock = 24 words. */
export interface AFSDBLock {
  name: string;
  lock: AFSDBLockDesc;
}
export const AFSDBLock: Codec<AFSDBLock, { name: string | Uint8Array; lock: AFSDBLockDesc }> = struct({
  name: wordChars(16),
  lock: AFSDBLockDesc,
});

const cacheEntryCommon = {
  addr: i32,
  cell: i32,
  netFid: AFSFid,
};
const cacheEntryTail = {
  dataVersion: i32,
  lock: AFSDBLockDesc,
  callback: i32,
  cbExpires: i32,
  refCount: short,
  opens: short,
  writers: short,
  mvstat: char,
  states: char,
};

export interface AFSDBCacheEntry {
  addr: number;
  cell: number;
  netFid: AFSFid;
  length: number;
  dataVersion: number;
  lock: AFSDBLockDesc;
  callback: number;
  cbExpires: number;
  refCount: number;
  opens: number;
  writers: number;
  mvstat: number;
  states: number;
}
/** GetCE: 22 words, Length as afs_int32. */
export const AFSDBCacheEntry: Codec<AFSDBCacheEntry> = struct({
  ...cacheEntryCommon,
  length: i32,
  ...cacheEntryTail,
});
/** GetCE64: 23 words, Length as afs_int64. */
export const AFSDBCacheEntry64: Codec<AFSDBCacheEntry> = struct({
  ...cacheEntryCommon,
  length: i64,
  ...cacheEntryTail,
});

/** cm_initparams_v1 (afs_args.h), sent as cacheConfig<> of 9 words with serverVersion 1. */
export interface CacheConfigV1 {
  nChunkFiles: number;
  nStatCaches: number;
  nDataCaches: number;
  nVolumeCaches: number;
  firstChunkSize: number;
  otherChunkSize: number;
  /** kB */
  cacheSize: number;
  setTime: number;
  memCache: number;
}
export const AFS_CLIENT_RETRIEVAL_FIRST_EDITION = 1;
const CONFIG_V1_KEYS = [
  'nChunkFiles',
  'nStatCaches',
  'nDataCaches',
  'nVolumeCaches',
  'firstChunkSize',
  'otherChunkSize',
  'cacheSize',
  'setTime',
  'memCache',
] as const satisfies readonly (keyof CacheConfigV1)[];

/** cacheConfig is unbounded in the .xg; nothing legitimate is anywhere near this. */
const CACHE_CONFIG_MAX = 1024;

export interface CacheConfigResult {
  serverVersion: number;
  /** Bytes of configuration (OpenAFS sends sizeof(cm_initparams_v1) = 36). */
  configCount: number;
  config: number[];
}
export const CacheConfigResult: Codec<
  CacheConfigResult,
  { serverVersion: number; configCount: number; config: readonly number[] }
> = struct({ serverVersion: u32, configCount: u32, config: array(u32, CACHE_CONFIG_MAX) });

/** The GetCacheConfig reply OpenAFS's cache manager gives, from our parameters. */
export function cacheConfigV1Result(c: CacheConfigV1): CacheConfigResult {
  return {
    serverVersion: AFS_CLIENT_RETRIEVAL_FIRST_EDITION,
    configCount: 4 * CONFIG_V1_KEYS.length,
    config: CONFIG_V1_KEYS.map((k) => c[k]),
  };
}

/** Read a version-1 reply back (cmdebug's check: exactly 9 words). */
export function parseCacheConfigV1(r: CacheConfigResult): CacheConfigV1 {
  if (r.serverVersion !== AFS_CLIENT_RETRIEVAL_FIRST_EDITION || r.config.length !== CONFIG_V1_KEYS.length) {
    throw new XdrError(
      'XDR_BAD_VALUE',
      `cache config version ${r.serverVersion} with ${r.config.length} words`,
    );
  }
  const out = {} as CacheConfigV1;
  CONFIG_V1_KEYS.forEach((k, i) => {
    out[k] = r.config[i]!;
  });
  return out;
}

/** serverList<AFSMAXCELLHOSTS>: IPv4 addresses as u32. */
export const serverList = array(u32, AFSMAXCELLHOSTS);

const cellResult = struct({ cellName: string(AFSNAMEMAX), cellHosts: serverList });
const index = struct({ index: i32 });

/** CallBack arguments: breaks of single FIDs, or a whole volume when vnode and unique are 0. */
const callBackArgs = struct({ fids: AFSCBFids, callbacks: AFSCBs });

export const CB = {
  CallBack: defineRpc({ name: 'CB.CallBack', opcode: 204, args: callBackArgs, result: empty }),
  InitCallBackState: defineRpc({ name: 'CB.InitCallBackState', opcode: 205, args: empty, result: empty }),
  Probe: defineRpc({ name: 'CB.Probe', opcode: 206, args: empty, result: empty }),
  GetLock: defineRpc({ name: 'CB.GetLock', opcode: 207, args: index, result: struct({ lock: AFSDBLock }) }),
  GetCE: defineRpc({
    name: 'CB.GetCE',
    opcode: 208,
    args: index,
    result: struct({ entry: AFSDBCacheEntry }),
  }),
  XStatsVersion: defineRpc({
    name: 'CB.XStatsVersion',
    opcode: 209,
    args: empty,
    result: struct({ version: i32 }),
  }),
  GetXStats: defineRpc({
    name: 'CB.GetXStats',
    opcode: 210,
    args: struct({ clientVersion: i32, collection: i32 }),
    result: struct({ serverVersion: i32, time: i32, data: array(i32, AFSCB_MAX_XSTAT_LONGS) }),
  }),
  InitCallBackState2: defineRpc({
    name: 'CB.InitCallBackState2',
    opcode: 211,
    args: empty,
    result: struct({ addr: interfaceAddr }),
  }),
  WhoAreYou: defineRpc({
    name: 'CB.WhoAreYou',
    opcode: 212,
    args: empty,
    result: struct({ addr: interfaceAddr }),
  }),
  InitCallBackState3: defineRpc({
    name: 'CB.InitCallBackState3',
    opcode: 213,
    args: struct({ serverUuid: afsUUID }),
    result: empty,
  }),
  /** The server sends its idea of our UUID: succeed if it is ours, else abort CB_UUID_MISMATCH. */
  ProbeUuid: defineRpc({
    name: 'CB.ProbeUuid',
    opcode: 214,
    args: struct({ clientUuid: afsUUID }),
    result: empty,
  }),
  GetServerPrefs: defineRpc({
    name: 'CB.GetServerPrefs',
    opcode: 215,
    args: struct({ serverIndex: i32 }),
    result: struct({ serverAddr: i32, serverRank: i32 }),
  }),
  GetCellServDB: defineRpc({
    name: 'CB.GetCellServDB',
    opcode: 216,
    args: struct({ cellIndex: i32 }),
    result: cellResult,
  }),
  GetLocalCell: defineRpc({
    name: 'CB.GetLocalCell',
    opcode: 217,
    args: empty,
    result: struct({ cellName: string(AFSNAMEMAX) }),
  }),
  GetCacheConfig: defineRpc({
    name: 'CB.GetCacheConfig',
    opcode: 218,
    args: struct({ callerVersion: u32 }),
    result: CacheConfigResult,
  }),
  GetCE64: defineRpc({
    name: 'CB.GetCE64',
    opcode: 65536,
    args: index,
    result: struct({ entry: AFSDBCacheEntry64 }),
  }),
  GetCellByNum: defineRpc({
    name: 'CB.GetCellByNum',
    opcode: 65537,
    args: struct({ cellNumber: i32 }),
    result: cellResult,
  }),
  TellMeAboutYourself: defineRpc({
    name: 'CB.TellMeAboutYourself',
    opcode: 65538,
    args: empty,
    result: struct({ addr: interfaceAddr, capabilities: Capabilities }),
  }),
};

export const cbService = defineService('RXAFSCB', CB);

/**
 * A CallBack FID naming a whole volume. OpenAFS's cache manager (afs_callback.c) breaks the volume when
 * Vnode is 0, whatever Unique says, and ignores FIDs with Volume 0.
 */
export function isVolumeBreak(f: AFSFid): boolean {
  return f.volume !== 0 && f.vnode === 0;
}

/** GetCacheConfig's OUT parameters straight to and from cm_initparams_v1. */
export const cacheConfigV1: Codec<CacheConfigV1, CacheConfigV1> = transform(
  CacheConfigResult,
  (r) => parseCacheConfigV1(r),
  (c: CacheConfigV1) => cacheConfigV1Result(c),
);
