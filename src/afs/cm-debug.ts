// Answers to OpenAFS cmdebug's questions, so `cmdebug <addr> -port <our port> -long` inspects a
// tsafs client as it does an OpenAFS cache manager: cache entries (GetCE64 / GetCE), locks
// (GetLock), cells (GetCellByNum, GetCellServDB, GetLocalCell) and the cache configuration
// (GetCacheConfig). Lists end with abort code 1, as cmdebug expects.

import { type AFSDBCacheEntry, AFSMAXCELLHOSTS, CB_END_OF_LIST, cacheConfigV1Result } from '../rpc/cb.js';
import { RpcAbort } from '../rpc/client.js';
import { ipv4FromString } from '../rpc/types.js';
import { VL_PORT } from '../rpc/vl.js';
import { isIPv4 } from './cellservdb.js';
import type { DebugHandlers } from './cmservice.js';
import { isMountPoint } from './mountpoint.js';
import { CHUNK_SIZE, type VnodeCache, type VnodeEntry } from './vcache.js';
import { splitHostPort } from './vl-rotate.js';

export interface CmDebugSource {
  cache: VnodeCache;
  cellNames(): string[];
  /** VL server addresses of a cell, dotted quads. */
  cellServers(name: string): string[];
  localCell(): string | undefined;
  /** The address a server key ("cell/uuid") is reached at, for the callback column. */
  serverAddr(key: string): string | undefined;
  /** Whether a volume id of a cell is a read-only or backup clone. */
  readOnlyVolume(cell: string, volume: number): boolean;
}

const NO_LOCK = {
  waitStates: 0,
  exclLocked: 0,
  readersReading: 0,
  numWaiting: 0,
  spare: 0,
  pidLastReader: 0,
  pidWriter: 0,
  srcIndicator: 0,
};

/** cmdebug's mvstat: 0 file, 1 mount point, 2 volume root, 3 directory, 4 symlink. */
export function mvstatOf(e: VnodeEntry): number {
  const st = e.status;
  if (!st) return 0;
  if (st.fileType === 2) return e.fid.vnode === 1 ? 2 : 3;
  if (st.fileType === 3) return isMountPoint(st.fileType, st.mode) ? 1 : 4;
  return 0;
}

/** One cache entry as cmdebug sees it; `client.inspect()` reports the same fields. */
export function describeEntry(src: CmDebugSource, e: VnodeEntry, index: number): AFSDBCacheEntry {
  const holds = src.cache.hasPromise(e.cell, e.fid);
  const addr = holds && e.cbServer ? src.serverAddr(e.cbServer) : undefined;
  let states = 0;
  if (holds) states |= 1; // stat'd: a callback vouches for the status
  if (src.readOnlyVolume(e.cell, e.fid.volume)) states |= 4;
  const cells = src.cellNames();
  return {
    addr: index + 1, // cmdebug reads addr 0 as "not a cache entry"
    cell: Math.max(cells.indexOf(e.cell), 0),
    netFid: { ...e.fid },
    length: e.status?.length ?? 0,
    dataVersion: Number(BigInt.asIntN(32, e.status?.dataVersion ?? 0n)),
    lock: NO_LOCK,
    callback: addr ? ipv4FromString(addr.split(':')[0]!) | 0 : 0,
    cbExpires: holds ? Math.floor(e.cbExpiresAt / 1000) : 0,
    refCount: e.listeners.size,
    opens: 0,
    writers: 0,
    mvstat: mvstatOf(e),
    states,
  };
}

export function cmDebugHandlers(src: CmDebugSource): DebugHandlers {
  const entry = (index: number): AFSDBCacheEntry => {
    const all = src.cache.entries();
    const e = all[index];
    if (index < 0 || !e) throw new RpcAbort(CB_END_OF_LIST, 'end of cache entries');
    return describeEntry(src, e, index);
  };
  const cell = (n: number) => {
    const name = src.cellNames()[n];
    if (name === undefined || n < 0) throw new RpcAbort(CB_END_OF_LIST, 'no such cell');
    return {
      cellName: name,
      // The wire carries bare IPv4 addresses: a "host:port" server shows its address, one named
      // by host name (DNS discovery) has none to show.
      cellHosts: src
        .cellServers(name)
        .map((a) => splitHostPort(a, VL_PORT)[0])
        .filter(isIPv4)
        .slice(0, AFSMAXCELLHOSTS)
        .map(ipv4FromString),
    };
  };
  return {
    GetCE64: ({ args }) => ({ entry: entry(args.index) }),
    GetCE: ({ args }) => {
      const e = entry(args.index);
      return { entry: { ...e, length: Math.min(e.length, 0x7fffffff) } };
    },
    GetLock: () => {
      // tsafs has no global lock table worth showing; the list is empty.
      throw new RpcAbort(CB_END_OF_LIST, 'end of locks');
    },
    GetCellByNum: ({ args }) => cell(args.cellNumber),
    GetCellServDB: ({ args }) => cell(args.cellIndex),
    GetLocalCell: () => ({ cellName: src.localCell() ?? '' }),
    GetServerPrefs: () => {
      throw new RpcAbort(CB_END_OF_LIST, 'end of server preferences');
    },
    XStatsVersion: () => ({ version: 2 }),
    GetCacheConfig: () =>
      cacheConfigV1Result({
        nChunkFiles: 0,
        nStatCaches: src.cache.entries().length,
        nDataCaches: src.cache.stats.dataChunks,
        nVolumeCaches: 0,
        firstChunkSize: 20,
        otherChunkSize: Math.log2(CHUNK_SIZE),
        cacheSize: Math.floor(src.cache.maxDataBytes / 1024),
        setTime: 0,
        memCache: 1,
      }),
  };
}
