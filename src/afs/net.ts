// The root of the record layer: one Net per AfsClient. Owns the cells (by name, behind an rwlock),
// the Rx peer bindings, the injected network operations and the clock, and knows every record that
// is still alive so close() can wait for all of them — or, on timeout, name them.

import { setMaxListeners } from 'node:events';
import { Cell, type CellOptions } from './cell.js';
import { type Clock, systemClock } from './clock.js';
import { FsProber, PROBE_FAST_MS, PROBE_SLOW_MS } from './fs-probe.js';
import { inspectNet, type NetSnapshot } from './inspect.js';
import type { AfsRecordOps, PeerBinder } from './ops.js';
import { PeerMap } from './peer-map.js';
import type { CountedRecord } from './record.js';
import { AfsRecordError, NetClosedError, RecordLeakError } from './record-errors.js';
import { RwLock } from './rwlock.js';
import type { Server } from './server.js';
import { type NetTraceReason, publishTrace } from './trace.js';

export interface NetOptions {
  ops: AfsRecordOps;
  /** Where server addresses are bound for incoming calls; default: a private PeerMap. */
  peers?: PeerBinder<Server>;
  clock?: Clock;
  /** Grace before an unused server is destroyed (kAFS afs_server_gc_delay: 10 s). */
  serverGcDelayMs?: number;
  /** Grace before an unused cell is removed (kAFS afs_cell_gc_delay: 10 s). */
  cellGcDelayMs?: number;
  /** Grace before an unused volume is dropped. */
  volumeGcDelayMs?: number;
  /** VLDB refresh interval of a volume (kAFS: 1 h). */
  volumeRefreshMs?: number;
  /** Bound on the destroyer's FS.GiveUpAllCallBacks. */
  giveUpTimeoutMs?: number;
  /** Re-probe interval of a responsive file server (kAFS: 5 min). */
  probeSlowMs?: number;
  /** Re-probe interval of an unresponsive file server (kAFS: 30 s). */
  probeFastMs?: number;
  /** Bound on one probe round (FS.GetCapabilities to every address). */
  probeTimeoutMs?: number;
  /** This client's UUID: spreads clients over equally good sites. */
  clientUuid?: string;
  /** Recent trace events kept per record for leak reports. */
  traceHistory?: number;
  /** Called once by close(), after the records are gone or the timeout passed (closes the endpoint). */
  closeTransport?: () => void | Promise<void>;
  /** Called once when a server record is removed (its callback promises are gone with it). */
  onServerExpired?: (server: Server) => void;
}

export type ResolvedNetOptions = Required<
  Omit<NetOptions, 'peers' | 'clock' | 'closeTransport' | 'ops' | 'onServerExpired'>
>;

/** Counters of rarely reached states (for the simulation's coverage report). */
export interface NetStats {
  failedCreationWithWaiters: number;
  purgeWithActiveServers: number;
  closeMidDestroy: number;
  /** A destroyer pass found its idle server re-used (and released) since its timer fired. */
  destroyerRaced: number;
}

export class Net {
  readonly ops: AfsRecordOps;
  readonly peers: PeerBinder<Server>;
  readonly clock: Clock;
  readonly options: ResolvedNetOptions;
  readonly cells = new Map<string, Cell>();
  readonly cellsLock = new RwLock();
  readonly stats: NetStats = {
    failedCreationWithWaiters: 0,
    purgeWithActiveServers: 0,
    closeMidDestroy: 0,
    destroyerRaced: 0,
  };
  live = true;
  destroyersInFlight = 0;
  /** Errors thrown by a destroyer/manager pass: bugs, kept for tests and inspection. */
  readonly bugs: unknown[] = [];
  private readonly records = new Map<number, CountedRecord>();
  private readonly abort = new AbortController();
  private closing: Promise<void> | null = null;
  private drainWaiters: (() => void)[] = [];
  private readonly closeTransport: (() => void | Promise<void>) | undefined;
  readonly onServerExpired: ((server: Server) => void) | undefined;
  /** Re-probes file servers on their rhythm (30 s unresponsive, 5 min responsive). */
  readonly prober: FsProber;

  constructor(opts: NetOptions) {
    // Every call in flight listens on this signal; there can be many.
    setMaxListeners(0, this.abort.signal);
    this.ops = opts.ops;
    this.peers = opts.peers ?? new PeerMap<Server>();
    this.clock = opts.clock ?? systemClock;
    this.closeTransport = opts.closeTransport;
    this.onServerExpired = opts.onServerExpired;
    this.options = {
      serverGcDelayMs: opts.serverGcDelayMs ?? 10_000,
      cellGcDelayMs: opts.cellGcDelayMs ?? 10_000,
      volumeGcDelayMs: opts.volumeGcDelayMs ?? 10_000,
      volumeRefreshMs: opts.volumeRefreshMs ?? 3600_000,
      giveUpTimeoutMs: opts.giveUpTimeoutMs ?? 5_000,
      probeSlowMs: opts.probeSlowMs ?? PROBE_SLOW_MS,
      probeFastMs: opts.probeFastMs ?? Math.min(PROBE_FAST_MS, opts.probeSlowMs ?? PROBE_FAST_MS),
      probeTimeoutMs: opts.probeTimeoutMs ?? 10_000,
      clientUuid: opts.clientUuid ?? '',
      traceHistory: opts.traceHistory ?? 32,
    };
    this.prober = new FsProber(this.clock, () => this.servers());
  }

  /** Every file-server record in the cells' maps. */
  *servers(): Iterable<Server> {
    for (const c of this.cells.values()) yield* c.fsServers.values();
  }

  /** Aborted by close(): every call in flight sees it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  recordBug(e: unknown): void {
    this.bugs.push(e);
  }

  closedError(): NetClosedError {
    return new NetClosedError();
  }

  /** Finds or creates a cell and returns it ACTIVE with a use held by the caller. */
  async lookupCell(name: string, opts: CellOptions = {}): Promise<Cell> {
    const key = name.toLowerCase();
    if (!/^[\x21-\x7e]+$/.test(key) || key.includes('/') || key.includes('@') || key.startsWith('.')) {
      throw new AfsRecordError('ERR_TSAFS_BAD_CELL_NAME', `invalid cell name ${JSON.stringify(name)}`);
    }
    if (!this.live) throw this.closedError();
    // Cells in the map are never REMOVING: removal erases them under the same write lock.
    let cell = await this.cellsLock.withRead(() => {
      const c = this.cells.get(key);
      c?.useCell('use_lookup');
      return c;
    });
    if (!cell) {
      cell = await this.cellsLock.withWrite(() => {
        if (!this.live) throw this.closedError();
        let c = this.cells.get(key);
        if (!c) {
          c = new Cell(this, key, opts);
          this.cells.set(key, c);
          c.useCell('use_lookup');
          c.queueManager();
        } else {
          c.useCell('use_lookup');
        }
        return c;
      });
    }
    await cell.whenSettled();
    return cell;
  }

  /** Removes the cell as soon as it is unused. Resolves when it is DEAD (erased). */
  async removeCell(name: string): Promise<void> {
    const c = this.cells.get(name.toLowerCase());
    if (!c) return;
    c.requestRemoval();
    await c.whenDead();
  }

  /** The /proc/net/afs of tsafs. */
  inspect(): NetSnapshot {
    return inspectNet(this, [...this.records.values()]);
  }

  /** Every record still alive (allocated, not yet freed). */
  liveRecords(): CountedRecord[] {
    return [...this.records.values()];
  }

  /** A live record by its trace debugId. */
  record(debugId: number): CountedRecord | undefined {
    return this.records.get(debugId);
  }

  register(r: CountedRecord): void {
    this.records.set(r.debugId, r);
  }

  unregister(r: CountedRecord): void {
    this.records.delete(r.debugId);
    if (this.records.size === 0) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }

  private drained(): Promise<void> {
    if (this.records.size === 0) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  private note(reason: NetTraceReason, note?: string): void {
    publishTrace({
      kind: 'net',
      id: 'net',
      debugId: 0,
      reason,
      ref: this.records.size,
      use: 0,
      at: this.clock.now(),
      ...(note === undefined ? {} : { note }),
    });
  }

  /**
   * Marks the net dead, aborts calls in flight, removes every cell and waits until every server,
   * volume and cell is gone, then closes the transport. If `timeout` ms pass first, it still
   * stops every record's timer and closes the transport, then rejects with RecordLeakError.
   */
  close(opts: { timeout?: number } = {}): Promise<void> {
    if (!this.closing) this.closing = this.doClose(opts.timeout ?? 30_000);
    return this.closing;
  }

  private async doClose(timeout: number): Promise<void> {
    this.live = false;
    if (this.destroyersInFlight > 0) this.stats.closeMidDestroy++;
    this.note('close', `records=${this.records.size} destroyers=${this.destroyersInFlight}`);
    this.abort.abort(this.closedError());
    this.prober.close();
    for (const c of [...this.cells.values()]) c.requestRemoval();
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimer(() => resolve('timeout'), timeout);
    });
    const outcome = await Promise.race([this.drained().then(() => 'ok' as const), timedOut]);
    timer?.cancel();
    let leak: RecordLeakError | undefined;
    if (outcome === 'timeout') {
      const alive = [...this.records.values()];
      for (const r of alive) (r as unknown as { shutdownTimer?: () => void }).shutdownTimer?.();
      leak = new RecordLeakError(
        alive.map((r) => ({
          kind: r.kind,
          id: r.id,
          ref: r.ref,
          use: r.use,
          flags: r.flagList(),
          history: r.history.toArray(),
        })),
      );
      this.note('close_leak', leak.message);
    } else {
      this.note('close_drained');
    }
    await this.closeTransport?.();
    if (leak) throw leak;
  }
}
