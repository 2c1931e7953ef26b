// The status and data cache, kept true by callbacks (kAFS's vnode cb_break / volume cb_v_break /
// server cb_s_break counters; OpenAFS's vcache/dcache). A status is trusted only while its
// callback promise holds: unexpired, and no break of the vnode, its volume or the server that
// made the promise since the request that brought it was sent. Data is cached by FID, data
// version and 1 MiB chunk in an LRU with a byte bound, so a changed file simply misses.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AFSCallBack, AFSFetchStatus, AFSFid } from '../rpc/types.js';

export const CHUNK_SIZE = 1 << 20;
export const CB_DROPPED = 3;

export type BreakReason = 'fid' | 'volume' | 'server' | 'expired';

export interface BreakEvent {
  cell: string;
  fid: AFSFid;
  reason: BreakReason;
}

export interface VnodeEntry {
  cell: string;
  fid: AFSFid;
  status: AFSFetchStatus | undefined;
  /** ms since the epoch; 0 = no promise. */
  cbExpiresAt: number;
  cbType: number;
  /** "cell/uuid" of the server that made the promise. */
  cbServer: string | undefined;
  /** This vnode's break counter, and the volume/server counters when the promise was installed. */
  breaks: number;
  volBreaksSeen: number;
  srvBreaksSeen: number;
  lastUsed: number;
  listeners: Set<(ev: BreakEvent) => void>;
}

/** Taken just before a request is sent; decides whether its reply's callback still counts. */
export interface CbSnapshot {
  sentAt: number;
  breaks: number;
  volBreaks: number;
  srvBreaks: number;
  server: string;
}

export interface CacheStats {
  statusHits: number;
  statusMisses: number;
  dataHits: number;
  dataMisses: number;
  breaks: number;
  volumeBreaks: number;
  serverResets: number;
  voidedCallbacks: number;
  dataBytes: number;
  dataChunks: number;
  diskHits: number;
}

const fidKey = (cell: string, f: AFSFid) => `${cell}/${f.volume}.${f.vnode}.${f.unique}`;

export class VnodeCache {
  private readonly vnodes = new Map<string, VnodeEntry>();
  private readonly volBreaks = new Map<string, number>();
  private readonly srvBreaks = new Map<string, number>();
  /** LRU: insertion order is recency. */
  private readonly data = new Map<string, Buffer>();
  private dataBytes = 0;
  readonly stats: CacheStats = {
    statusHits: 0,
    statusMisses: 0,
    dataHits: 0,
    dataMisses: 0,
    breaks: 0,
    volumeBreaks: 0,
    serverResets: 0,
    voidedCallbacks: 0,
    dataBytes: 0,
    dataChunks: 0,
    diskHits: 0,
  };

  constructor(
    readonly maxDataBytes = 128 << 20,
    private readonly now: () => number = Date.now,
    /** Entries kept without listeners or valid promises (status records are small). */
    private readonly maxVnodes = 100_000,
    /**
     * A directory that keeps chunks across restarts, named by FID and data version: after a
     * restart a chunk is used only if the server still reports the same data version.
     */
    readonly diskDir?: string,
  ) {}

  private readonly diskWrites = new Set<Promise<void>>();

  private diskPath(cell: string, fid: AFSFid, dv: bigint, chunk: number | 'blob'): string {
    return join(
      this.diskDir!,
      encodeURIComponent(cell),
      `${fid.volume}.${fid.vnode}.${fid.unique}`,
      `${dv}.${chunk}`,
    );
  }

  /** Memory first, then the disk cache (a disk hit comes back into memory). */
  async getChunkAsync(
    cell: string,
    fid: AFSFid,
    dv: bigint,
    chunk: number | 'blob',
  ): Promise<Buffer | undefined> {
    const m = this.getChunk(cell, fid, dv, chunk);
    if (m || !this.diskDir) return m;
    try {
      const b = await readFile(this.diskPath(cell, fid, dv, chunk));
      this.stats.diskHits++;
      this.putChunk(cell, fid, dv, chunk, b, false);
      return b;
    } catch {
      return undefined;
    }
  }

  /** Wait for chunk files being written (close() calls this). */
  async flush(): Promise<void> {
    while (this.diskWrites.size) await Promise.all([...this.diskWrites]);
  }

  private writeDisk(cell: string, fid: AFSFid, dv: bigint, chunk: number | 'blob', buf: Buffer): void {
    const path = this.diskPath(cell, fid, dv, chunk);
    const tmp = `${path}.${process.pid}.tmp`;
    // Best effort: a failed write only means a later miss.
    const w = mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
      .then(() => writeFile(tmp, buf, { mode: 0o600 }))
      .then(() => rename(tmp, path))
      .catch(() => {});
    this.diskWrites.add(w);
    void w.finally(() => this.diskWrites.delete(w));
  }

  private entry(cell: string, fid: AFSFid): VnodeEntry {
    const k = fidKey(cell, fid);
    let e = this.vnodes.get(k);
    if (!e) {
      e = {
        cell,
        fid: { ...fid },
        status: undefined,
        cbExpiresAt: 0,
        cbType: 0,
        cbServer: undefined,
        breaks: 0,
        volBreaksSeen: 0,
        srvBreaksSeen: 0,
        lastUsed: this.now(),
        listeners: new Set(),
      };
      this.vnodes.set(k, e);
      if (this.vnodes.size > this.maxVnodes) this.trimVnodes();
    }
    return e;
  }

  private trimVnodes(): void {
    for (const [k, e] of this.vnodes) {
      if (this.vnodes.size <= this.maxVnodes * 0.9) break;
      if (e.listeners.size === 0) this.vnodes.delete(k);
    }
  }

  private volKey(cell: string, volume: number): string {
    return `${cell}/${volume}`;
  }

  snapshot(cell: string, fid: AFSFid, server: string): CbSnapshot {
    const e = this.entry(cell, fid);
    return {
      sentAt: this.now(),
      breaks: e.breaks,
      volBreaks: this.volBreaks.get(this.volKey(cell, fid.volume)) ?? 0,
      srvBreaks: this.srvBreaks.get(server) ?? 0,
      server,
    };
  }

  /**
   * A reply brought a status (and maybe a callback promise). The promise counts only if nothing
   * broke since the snapshot; expiry is relative to when the request was sent.
   */
  install(
    cell: string,
    fid: AFSFid,
    status: AFSFetchStatus,
    cb: AFSCallBack | undefined,
    snap: CbSnapshot | undefined,
  ): void {
    const e = this.entry(cell, fid);
    const oldDv = e.status?.dataVersion;
    e.status = status;
    e.lastUsed = this.now();
    if (!cb || !snap) {
      // Our own write's reply: the status is current; a promise we held stays as it was.
      if (oldDv !== undefined && oldDv !== status.dataVersion && e.cbExpiresAt === 0) e.cbServer = undefined;
      return;
    }
    const intact =
      e.breaks === snap.breaks &&
      (this.volBreaks.get(this.volKey(cell, fid.volume)) ?? 0) === snap.volBreaks &&
      (this.srvBreaks.get(snap.server) ?? 0) === snap.srvBreaks;
    if (!intact) this.stats.voidedCallbacks++;
    if (intact && cb.type !== CB_DROPPED && cb.expirationTime > 0) {
      e.cbExpiresAt = snap.sentAt + cb.expirationTime * 1000;
      e.cbType = cb.type;
      e.cbServer = snap.server;
      e.volBreaksSeen = snap.volBreaks;
      e.srvBreaksSeen = snap.srvBreaks;
    } else {
      e.cbExpiresAt = 0;
    }
  }

  /** Record a status from a reply that carries no callback (stores, directory operations). */
  update(cell: string, fid: AFSFid, status: AFSFetchStatus): void {
    this.install(cell, fid, status, undefined, undefined);
  }

  private promiseHolds(e: VnodeEntry): boolean {
    if (!e.status || e.cbExpiresAt <= this.now()) return false;
    if ((this.volBreaks.get(this.volKey(e.cell, e.fid.volume)) ?? 0) !== e.volBreaksSeen) return false;
    if (e.cbServer !== undefined && (this.srvBreaks.get(e.cbServer) ?? 0) !== e.srvBreaksSeen) return false;
    return true;
  }

  /** The status if a callback promise still vouches for it; otherwise undefined (ask the server). */
  validStatus(cell: string, fid: AFSFid): AFSFetchStatus | undefined {
    const e = this.vnodes.get(fidKey(cell, fid));
    if (e && this.promiseHolds(e)) {
      e.lastUsed = this.now();
      this.stats.statusHits++;
      return e.status;
    }
    this.stats.statusMisses++;
    return undefined;
  }

  /** The cached entry, valid or not (for inspection and renewal). */
  peek(cell: string, fid: AFSFid): VnodeEntry | undefined {
    return this.vnodes.get(fidKey(cell, fid));
  }

  hasPromise(cell: string, fid: AFSFid): boolean {
    const e = this.vnodes.get(fidKey(cell, fid));
    return e !== undefined && this.promiseHolds(e);
  }

  // ---------------------------------------------------------------- data

  private dataKey(cell: string, fid: AFSFid, dv: bigint, chunk: number | 'blob'): string {
    return `${fidKey(cell, fid)}@${dv}#${chunk}`;
  }

  getChunk(cell: string, fid: AFSFid, dv: bigint, chunk: number | 'blob'): Buffer | undefined {
    const k = this.dataKey(cell, fid, dv, chunk);
    const b = this.data.get(k);
    if (b === undefined) {
      this.stats.dataMisses++;
      return undefined;
    }
    this.data.delete(k);
    this.data.set(k, b);
    this.stats.dataHits++;
    return b;
  }

  putChunk(cell: string, fid: AFSFid, dv: bigint, chunk: number | 'blob', buf: Buffer, toDisk = true): void {
    if (toDisk && this.diskDir) this.writeDisk(cell, fid, dv, chunk, buf);
    if (buf.length > this.maxDataBytes) return;
    const k = this.dataKey(cell, fid, dv, chunk);
    const old = this.data.get(k);
    if (old) {
      this.dataBytes -= old.length;
      this.data.delete(k);
    }
    this.data.set(k, buf);
    this.dataBytes += buf.length;
    for (const [key, b] of this.data) {
      if (this.dataBytes <= this.maxDataBytes) break;
      this.data.delete(key);
      this.dataBytes -= b.length;
    }
    this.stats.dataBytes = this.dataBytes;
    this.stats.dataChunks = this.data.size;
  }

  /** Drop cached data of a FID (all versions): after our own partial writes. */
  dropData(cell: string, fid: AFSFid): void {
    const prefix = `${fidKey(cell, fid)}@`;
    for (const [k, b] of this.data) {
      if (k.startsWith(prefix)) {
        this.data.delete(k);
        this.dataBytes -= b.length;
      }
    }
    this.stats.dataBytes = this.dataBytes;
    this.stats.dataChunks = this.data.size;
  }

  // ---------------------------------------------------------------- breaks

  private notify(e: VnodeEntry, reason: BreakReason): void {
    for (const l of e.listeners) {
      try {
        l({ cell: e.cell, fid: { ...e.fid }, reason });
      } catch {
        // A listener's failure must not stop a break from being applied.
      }
    }
  }

  /** CB.CallBack for single FIDs. */
  breakFid(cell: string, fid: AFSFid): void {
    const e = this.vnodes.get(fidKey(cell, fid));
    this.stats.breaks++;
    if (!e) return;
    e.breaks++;
    e.cbExpiresAt = 0;
    this.notify(e, 'fid');
  }

  /** CB.CallBack with vnode 0: every promise in the volume. */
  breakVolume(cell: string, volume: number): void {
    const k = this.volKey(cell, volume);
    this.volBreaks.set(k, (this.volBreaks.get(k) ?? 0) + 1);
    this.stats.volumeBreaks++;
    for (const e of this.vnodes.values())
      if (e.cell === cell && e.fid.volume === volume) this.notify(e, 'volume');
  }

  /** InitCallBackState(3) or a lost server: every promise that server made. */
  breakServer(server: string): void {
    this.srvBreaks.set(server, (this.srvBreaks.get(server) ?? 0) + 1);
    this.stats.serverResets++;
    for (const e of this.vnodes.values()) if (e.cbServer === server) this.notify(e, 'server');
  }

  /** Listen for breaks of one FID (watchers). */
  onBreak(cell: string, fid: AFSFid, listener: (ev: BreakEvent) => void): () => void {
    const e = this.entry(cell, fid);
    e.listeners.add(listener);
    return () => {
      e.listeners.delete(listener);
    };
  }

  /** Every entry, for inspect() and cmdebug. */
  entries(): VnodeEntry[] {
    return [...this.vnodes.values()];
  }

  /** Promises from a server, by "cell/uuid" (what GiveUpAllCallBacks gives back). */
  promisesFrom(server: string): number {
    let n = 0;
    for (const e of this.vnodes.values()) if (e.cbServer === server && this.promiseHolds(e)) n++;
    return n;
  }
}
