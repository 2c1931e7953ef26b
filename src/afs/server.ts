// File-server records: the founding lifecycle (kafs-design.md §2, with the §2.8 faults avoided).
//
// ref = lifetime, use = real users (server lists, calls, probes, creators). Each record has its
// own GC timer, armed whenever use drops to 0 by any path, and its own destroyer, which implements
// the intent: in use again → nothing; otherwise (cell dying, net closing, or idle for the grace)
// remove from the cell's map under its write lock, mark EXPIRED once, stop the timer for good,
// cancel pending work, give up callbacks if we may hold some, unbind the Rx peers, drop the map's
// ref. The record holds a ref on its cell until it is freed, so the cell outlives its servers.

import type { TimerHandle } from './clock.js';
import { __faults } from './faults.js';
import { type ProbeTarget, ServerHealth } from './fs-probe.js';
import { RecordTimer, SerialTask } from './gc-timer.js';
import type { Net } from './net.js';
import type { FsProbeResult, ServerInfo } from './ops.js';
import { CountedRecord } from './record.js';
import {
  CellRemovedError,
  RecordCallTimeoutError,
  ServerCreateError,
  ServerExpiredError,
  ServerNotFoundError,
} from './record-errors.js';
import type { RwLock } from './rwlock.js';
import type { ServerTraceReason } from './trace.js';

export type ServerFlag =
  | 'UNCREATED'
  | 'CREATING'
  | 'EXPIRED'
  | 'RESPONDING'
  | 'NEEDS_UPDATE'
  | 'UPDATING'
  | 'NOT_FOUND'
  | 'VL_FAIL'
  | 'MAY_HAVE_CB';

/** What a server needs from its cell (implemented by Cell; kept narrow to avoid a cycle). */
export interface ServerCellHost {
  readonly name: string;
  readonly info: { readonly name: string; readonly vlServers: readonly string[] };
  readonly fsServers: Map<string, Server>;
  readonly fsLock: RwLock;
  readonly net: Net;
  isDying(): boolean;
  get(reason: 'get_server'): void;
  put(reason: 'put_server'): void;
}

type CreationOutcome = { ok: true } | { ok: false; error: unknown };

export class Server extends CountedRecord<ServerTraceReason> implements ServerInfo, ProbeTarget {
  readonly kind = 'server' as const;
  readonly flags = new Set<ServerFlag>(['UNCREATED']);
  addrs: string[] = [];
  uniquifier: number | undefined = undefined;
  capabilities = 0;
  createError: unknown = undefined;
  /** now() when use last dropped to 0. */
  unuseTime: number;
  private readonly gcTimer: RecordTimer;
  private readonly destroyer: SerialTask;
  /** The bound on the destroyer's GiveUpAllCallBacks; released with the other timers. */
  private giveUpTimer: TimerHandle | null = null;
  private creation: Promise<CreationOutcome> | null = null;
  private finishCreation: ((o: CreationOutcome) => void) | null = null;
  private waiters = 0;
  private updating: Promise<void> | null = null;
  private installed = false;
  /** Aborted by the destroyer: cancels probes, address updates and other pending work. Lazy. */
  private pendingCtl: AbortController | null = null;
  /** Probe state per address and for the server (fs-probe.ts). */
  readonly health: ServerHealth;
  private probing: Promise<void> | null = null;
  /** The bound on the probe in flight; released with the other timers. */
  private probeTimer: TimerHandle | null = null;

  constructor(
    readonly cell: ServerCellHost,
    readonly uuid: string,
  ) {
    super(cell.net.clock, cell.net.options.traceHistory);
    this.health = new ServerHealth(this.clock);
    this.unuseTime = this.clock.now();
    this.gcTimer = new RecordTimer(this.clock, () => {
      this.trace('see_timer');
      this.queueDestroyer('queue_destroyer');
    });
    this.destroyer = new SerialTask(
      () => this.destroyerPass(),
      (e) => cell.net.recordBug(e),
    );
    this.refCount = 1; // the cell map's ref, once installed
    cell.net.register(this);
    this.trace('alloc');
  }

  get id(): string {
    return this.uuid;
  }

  get timerDue(): number | null {
    return this.gcTimer.due;
  }

  /** The signal for this record's own pending work (probes, updates). */
  private pendingSignal(): AbortSignal {
    this.pendingCtl ??= new AbortController();
    return this.pendingCtl.signal;
  }

  private cancelPending(): void {
    if (this.pendingCtl && !this.pendingCtl.signal.aborted)
      this.pendingCtl.abort(new ServerExpiredError(this.uuid));
  }

  get cellName(): string {
    return this.cell.name;
  }

  flagList(): string[] {
    return [...this.flags].sort();
  }

  /** The GC grace after the last use: none for records the VLDB did not give us. */
  gcDelay(): number {
    if (this.flags.has('NOT_FOUND') || this.flags.has('VL_FAIL') || this.flags.has('UNCREATED')) return 0;
    return this.cell.net.options.serverGcDelayMs;
  }

  // ---- named ref/use operations ----

  /** Takes a ref and a use. activate=false (incoming CM calls) leaves the GC timer alone. */
  useServer(reason: ServerTraceReason, activate = true): void {
    this.incRef();
    const n = this.incUse();
    this.trace(reason);
    if (n === 1 && activate && !this.flags.has('EXPIRED')) this.cancelTimer();
  }

  /** Drops a use and its ref. Reaching 0 always schedules the next GC step. */
  unuseServer(reason: ServerTraceReason): void {
    const n = this.decUse();
    this.trace(reason);
    if (n === 0) this.becameUnused(reason);
    this.put(reason);
  }

  /** A use for one RPC; end() is idempotent and goes through the same GC path as any unuse. */
  beginCall(reason: 'use_call' | 'use_cm_call' = 'use_call'): { end(): void } {
    this.useServer(reason, reason !== 'use_cm_call');
    let ended = false;
    return {
      end: () => {
        if (ended) return;
        ended = true;
        this.unuseServer(reason === 'use_cm_call' ? 'unuse_cm_call' : 'unuse_call');
      },
    };
  }

  /** The FS layer saw a reply from this server: it may now hold callback promises for us. */
  noteMayHaveCallbacks(): void {
    this.flags.add('MAY_HAVE_CB');
  }

  private becameUnused(reason: ServerTraceReason): void {
    this.unuseTime = this.clock.now();
    if (this.flags.has('EXPIRED')) return;
    if (this.cell.isDying() || !this.cell.net.live) {
      this.queueDestroyer('queue_destroyer');
      return;
    }
    // kAFS's unuse_notime (freeing any call, incoming CM calls included) never armed the timer;
    // the fault switch replays that.
    if (__faults.unuseWithoutTimer && (reason === 'unuse_call' || reason === 'unuse_cm_call')) return;
    this.armTimer(this.gcDelay());
  }

  // ---- timer ----

  private armTimer(ms: number): void {
    if (this.gcTimer.arm(ms)) this.trace('timer_arm', `${ms}ms`);
  }

  private cancelTimer(): void {
    if (this.gcTimer.cancel()) this.trace('timer_cancel');
  }

  /** Stops the timer so it can never be re-armed (destroyer; close() after a leak). */
  shutdownTimer(): void {
    this.giveUpTimer?.cancel();
    this.giveUpTimer = null;
    this.probeTimer?.cancel();
    this.probeTimer = null;
    if (this.gcTimer.shutdown()) this.trace('timer_shutdown');
  }

  // ---- destroyer ----

  /** Wakes the destroyer (timer, cell purge, dying-cell unuse). Serialised: one run at a time. */
  queueDestroyer(reason: ServerTraceReason): void {
    if (this.flags.has('EXPIRED') || this.freed) return;
    this.trace(reason);
    this.destroyer.kick();
  }

  get destroyerRunning(): boolean {
    return this.destroyer.isRunning;
  }

  private decideExpired(): boolean {
    if (this.useCount > 0) return false;
    const net = this.cell.net;
    const graceOver = this.unuseTime + this.gcDelay() <= this.clock.now();
    if (__faults.invertedExpiry) return net.live || this.cell.isDying() || graceOver;
    return !net.live || this.cell.isDying() || graceOver;
  }

  private async destroyerPass(): Promise<void> {
    if (this.flags.has('EXPIRED')) return;
    this.get('get_destroyer');
    this.cell.net.destroyersInFlight++;
    try {
      this.trace('see_destroyer');
      const release = await this.cell.fsLock.write();
      let expired = false;
      try {
        if (this.useCount > 0) {
          this.trace('destroyer_in_use');
        } else if (this.decideExpired()) {
          expired = true;
          this.flags.add('EXPIRED');
          if (this.cell.fsServers.get(this.uuid) === this) this.cell.fsServers.delete(this.uuid);
          this.trace('expired');
          try {
            this.cell.net.onServerExpired?.(this);
          } catch (e) {
            this.cell.net.recordBug(e);
          }
        } else {
          this.cell.net.stats.destroyerRaced++;
          this.trace('destroyer_not_expired');
          // A later unuse re-armed the timer already; make sure one is pending regardless.
          if (!this.gcTimer.armed) this.armTimer(this.unuseTime + this.gcDelay() - this.clock.now());
        }
      } finally {
        release();
      }
      if (expired) await this.teardown();
    } finally {
      this.cell.net.destroyersInFlight--;
      this.put('put_destroyer');
    }
  }

  private async teardown(): Promise<void> {
    this.shutdownTimer();
    this.cancelPending();
    if (this.flags.has('MAY_HAVE_CB') && this.addrs.length > 0) await this.giveUpAllCallBacks();
    this.trace('unbind_peers', this.addrs.join(','));
    for (const a of this.addrs) this.cell.net.peers.unbind(a, this);
    this.put('put_map');
  }

  private async giveUpAllCallBacks(): Promise<void> {
    const net = this.cell.net;
    // After close() every call is refused anyway; don't hand an aborted signal to the transport.
    if (net.signal.aborted) {
      this.trace('give_up_cb_failed', 'net closed');
      return;
    }
    this.useServer('use_give_up_cb', false);
    const timeout = new AbortController();
    this.giveUpTimer = net.clock.setTimer(
      () => timeout.abort(new RecordCallTimeoutError('FS.GiveUpAllCallBacks')),
      net.options.giveUpTimeoutMs,
    );
    try {
      this.trace('give_up_cb', this.addrs[0]);
      await net.ops.fsGiveUpAllCallBacks(this, this.addrs[0]!, AbortSignal.any([net.signal, timeout.signal]));
    } catch (e) {
      this.trace('give_up_cb_failed', (e as { code?: string })?.code ?? String(e));
    } finally {
      this.giveUpTimer?.cancel();
      this.giveUpTimer = null;
      this.unuseServer('unuse_give_up_cb');
    }
  }

  protected free(): void {
    this.shutdownTimer();
    this.freed = true;
    this.trace('free');
    this.cell.net.unregister(this);
    if (this.installed) this.cell.put('put_server');
  }

  // ---- creation ----

  /** False while this is a candidate not (yet) inserted into its cell's map. */
  get isInstalled(): boolean {
    return this.installed;
  }

  /** Called under the cell's write lock when this candidate is inserted into the map. */
  install(): void {
    this.installed = true;
    this.cell.get('get_server');
  }

  /** A candidate that lost the insertion race releases its own state (never the winner's). */
  discardCandidate(): void {
    this.cancelPending();
    this.put('put_candidate');
  }

  /** Under the cell's write lock: UNCREATED → CREATING; the caller becomes the creator. */
  beginCreation(): void {
    this.flags.delete('UNCREATED');
    this.flags.add('CREATING');
    this.creation = new Promise((resolve) => {
      this.finishCreation = resolve;
    });
    this.trace('create_start');
  }

  /** The creator: VL address lookup, then the first probe. Throws after giving back its use. */
  async create(): Promise<void> {
    const net = this.cell.net;
    const signal = AbortSignal.any([net.signal, this.pendingSignal()]);
    try {
      let r: { addrs: string[]; uniquifier: number };
      try {
        r = await net.ops.vlGetAddrs(this.cell.info, this.uuid, signal);
      } catch (e) {
        this.flags.add('VL_FAIL');
        throw new ServerCreateError(this.uuid, e);
      }
      if (r.addrs.length === 0) {
        this.flags.add('NOT_FOUND');
        throw new ServerNotFoundError(this.uuid);
      }
      this.flags.delete('VL_FAIL');
      this.flags.delete('NOT_FOUND');
      this.setAddresses(r.addrs, r.uniquifier);
      try {
        this.applyProbe(await net.ops.fsProbe(this, this.addrs, signal));
      } catch (e) {
        throw new ServerCreateError(this.uuid, e);
      }
    } catch (e) {
      await this.creationFailed(e);
      throw e;
    }
    this.flags.delete('CREATING');
    // Now probeable: the first probe's result sets when the next is due.
    this.cell.net.prober.reschedule();
    this.trace('create_ok', `waiters=${this.waiters}`);
    this.finishCreation!({ ok: true });
  }

  private async creationFailed(error: unknown): Promise<void> {
    const release = await this.cell.fsLock.write();
    try {
      this.createError = error;
      this.flags.add('UNCREATED');
      // kAFS cleared UNCREATED again right after setting it; the switch replays that.
      if (__faults.failureMarksCreated) this.flags.delete('UNCREATED');
      this.flags.delete('CREATING');
      this.trace('create_fail', `waiters=${this.waiters}`);
      if (this.waiters > 0) this.cell.net.stats.failedCreationWithWaiters++;
      this.finishCreation!(this.flags.has('UNCREATED') ? { ok: false, error } : { ok: true });
    } finally {
      release();
    }
    this.unuseServer('unuse_create_fail');
  }

  /** A looker-up that found the record CREATING: wait; on failure give back BOTH ref and use. */
  async waitForCreation(): Promise<void> {
    const outcome = this.creation!;
    this.waiters++;
    this.trace('wait_create');
    let o: CreationOutcome;
    try {
      o = await outcome;
    } finally {
      this.waiters--;
    }
    if (o.ok) return;
    if (__faults.waiterDropsOnlyRef) this.put('put_wait_fail');
    else this.unuseServer('unuse_wait_fail');
    throw o.error;
  }

  isCreating(): boolean {
    return this.flags.has('CREATING');
  }

  // ---- addresses ----

  /** The VLDB's uniquifier differs from ours: refresh addresses before the next use. */
  noteUniquifier(uniquifier: number): void {
    if (this.uniquifier !== undefined && uniquifier !== this.uniquifier && !this.flags.has('NEEDS_UPDATE')) {
      this.flags.add('NEEDS_UPDATE');
      this.trace('needs_update', `${this.uniquifier}→${uniquifier}`);
    }
  }

  /** Re-binds the peers of the new list and unbinds the peers the record no longer has. */
  setAddresses(addrs: readonly string[], uniquifier: number): void {
    if (this.flags.has('EXPIRED')) return; // destroyed meanwhile: never re-bind a dead record
    const old = this.addrs;
    this.addrs = [...addrs];
    this.uniquifier = uniquifier;
    const peers = this.cell.net.peers;
    for (const a of this.addrs) peers.bind(a, this);
    if (!__faults.stalePeerMapping) for (const a of old) if (!this.addrs.includes(a)) peers.unbind(a, this);
    this.trace('addr_update', `${this.addrs.join(',')} u=${uniquifier}`);
  }

  private applyProbe(p: FsProbeResult): void {
    this.capabilities = p.capabilities;
    if (p.responded) this.flags.add('RESPONDING');
    else this.flags.delete('RESPONDING');
    const o = this.cell.net.options;
    this.health.applyProbe(p, this.addrs, { fastMs: o.probeFastMs, slowMs: o.probeSlowMs });
    this.trace('probe_done', `${this.health.state} rtt=${this.health.rttOf(this.addrs) ?? '-'}`);
    this.cell.net.prober.reschedule();
  }

  // ---- health ----

  /** Worth probing: installed, created, not expired, with addresses. */
  get probeable(): boolean {
    return (
      this.installed &&
      this.addrs.length > 0 &&
      !this.flags.has('EXPIRED') &&
      !this.flags.has('UNCREATED') &&
      !this.flags.has('CREATING')
    );
  }

  /**
   * Probes every address now (single-flight), bounded by the Net's probe timeout. Holds a use that
   * does not stop the GC timer, so probing never keeps an unused record alive past its grace.
   */
  probeNow(reason: 'periodic' | 'call_failed' | 'no_alternative' | 'on_demand'): Promise<void> {
    if (this.probing) return this.probing;
    const net = this.cell.net;
    if (!this.probeable || !net.live) return Promise.resolve();
    this.probing = (async () => {
      this.useServer('use_probe', false);
      this.trace('probe_start', reason);
      const timeout = new AbortController();
      this.probeTimer = net.clock.setTimer(
        () => timeout.abort(new RecordCallTimeoutError('FS.GetCapabilities')),
        net.options.probeTimeoutMs,
      );
      const signal = AbortSignal.any([net.signal, this.pendingSignal(), timeout.signal]);
      try {
        const addrs = [...this.addrs];
        let r: FsProbeResult;
        try {
          r = await net.ops.fsProbe(this, addrs, signal);
        } catch (e) {
          // Closing or destroyed: nothing to learn. A timeout or local failure: no answer.
          if (!net.live || this.flags.has('EXPIRED')) return;
          const why = (e as { code?: string })?.code ?? String(e);
          r = {
            capabilities: this.capabilities,
            responded: false,
            addrs: addrs.map((addr) => ({ addr, rttMs: null, error: why })),
          };
        }
        if (!this.flags.has('EXPIRED') && addrs.every((a, i) => this.addrs[i] === a)) this.applyProbe(r);
      } finally {
        this.probeTimer?.cancel();
        this.probeTimer = null;
        this.unuseServer('unuse_probe');
      }
    })().finally(() => {
      this.probing = null;
    });
    return this.probing;
  }

  /** A call through `addr` got a reply: the address answers. */
  noteCallAnswered(addr: string): void {
    this.health.callAnswered(addr);
    this.flags.add('RESPONDING');
  }

  /** A call through `addr` got no answer: mark it, and probe the server now (kAFS does too). */
  noteCallFailed(addr: string, why: string): void {
    this.health.callFailed(addr, this.addrs, why, this.cell.net.options.probeFastMs);
    if (this.health.state === 'unresponsive') this.flags.delete('RESPONDING');
    this.trace('call_failed', `${addr} ${why}`);
    void this.probeNow('call_failed');
  }

  /**
   * Before using the server for an operation (caller holds a use): if the VLDB's uniquifier said
   * the addresses changed, one caller re-queries GetAddrsU and re-probes; the others wait for it.
   */
  async checkRecord(): Promise<void> {
    if (!this.flags.has('NEEDS_UPDATE')) return;
    if (!this.updating) {
      this.updating = this.updateAddresses().finally(() => {
        this.updating = null;
      });
    }
    return this.updating;
  }

  private async updateAddresses(): Promise<void> {
    const net = this.cell.net;
    const signal = AbortSignal.any([net.signal, this.pendingSignal()]);
    this.flags.add('UPDATING');
    this.useServer('use_probe');
    try {
      const r = await net.ops.vlGetAddrs(this.cell.info, this.uuid, signal);
      signal.throwIfAborted();
      if (r.addrs.length > 0 && r.uniquifier !== this.uniquifier) {
        this.setAddresses(r.addrs, r.uniquifier);
        this.applyProbe(await net.ops.fsProbe(this, this.addrs, signal));
      }
      this.flags.delete('NEEDS_UPDATE');
    } catch (e) {
      this.trace('update_fail', (e as { code?: string })?.code ?? String(e));
      throw e;
    } finally {
      this.flags.delete('UPDATING');
      this.unuseServer('unuse_probe');
    }
  }
}

/**
 * Finds or creates the server with this UUID in the cell and returns it with a use (and ref) held
 * by the caller. Creation is single-flight: the first looker-up creates, concurrent ones wait, and
 * after a failure the record is UNCREATED again so the next looker-up retries.
 */
export async function lookupServer(
  cell: ServerCellHost,
  uuid: string,
  uniquifier: number | undefined,
): Promise<Server> {
  if (!cell.net.live) throw cell.net.closedError();
  if (cell.isDying()) throw new CellRemovedError(cell.name);
  let server: Server | undefined;
  const rd = await cell.fsLock.read();
  try {
    const s = cell.fsServers.get(uuid);
    if (s && !s.flags.has('UNCREATED')) {
      s.useServer('use_lookup');
      server = s;
    }
  } finally {
    rd();
  }
  if (!server) {
    const cand = new Server(cell, uuid);
    let creator = false;
    const wr = await cell.fsLock.write();
    try {
      const found = cell.fsServers.get(uuid);
      if (found) {
        server = found;
      } else if (cell.isDying() || !cell.net.live) {
        server = undefined;
      } else {
        cell.fsServers.set(uuid, cand);
        cand.install();
        server = cand;
      }
      if (server) {
        server.useServer(found ? 'use_lookup' : 'use_install');
        if (server.flags.has('UNCREATED')) {
          server.beginCreation();
          creator = true;
        }
      }
    } finally {
      wr();
    }
    if (server !== cand) (__faults.loserFreesWinner && server ? server : cand).discardCandidate();
    if (!server) throw cell.net.live ? new CellRemovedError(cell.name) : cell.net.closedError();
    if (creator) {
      await server.create();
      return server;
    }
  }
  if (server.isCreating()) await server.waitForCreation();
  if (uniquifier !== undefined) server.noteUniquifier(uniquifier);
  return server;
}
