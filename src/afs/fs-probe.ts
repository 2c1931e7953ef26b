// File-server health, as kAFS keeps it (fs_probe.c): every address of a server is probed with
// FS.GetCapabilities when the record is created, on demand when a call to it fails, and then
// every 30 s while the server is unresponsive and every 5 min while it responds. Each address
// keeps its RTT and state; the server is responsive while any address answers. Rotation orders
// sites by this state and RTT. One timer per Net (kAFS: one per namespace) drives the rhythm on
// the injected clock, so the simulation steps it like every other timer.

import type { Clock, TimerHandle } from './clock.js';
import type { FsProbeResult } from './ops.js';

/** kAFS's re-probe intervals: unresponsive servers every 30 s, responsive ones every 5 min. */
export const PROBE_FAST_MS = 30_000;
export const PROBE_SLOW_MS = 300_000;

export type HealthState = 'unprobed' | 'responsive' | 'unresponsive';

export interface AddressHealth {
  addr: string;
  state: HealthState;
  /** The last probe's round trip, ms (null: no answer yet). */
  rttMs: number | null;
  /** Why the address last failed (probe or call), null while it answers. */
  error: string | null;
  /** When it was last heard from or last failed (clock ms). */
  at: number | null;
}

export interface HealthSnapshot {
  state: HealthState;
  rttMs: number | null;
  probes: number;
  probedAt: number | null;
  nextProbeAt: number | null;
  addrs: AddressHealth[];
}

/** Per-server probe state (held by the server record). */
export class ServerHealth {
  state: HealthState = 'unprobed';
  probes = 0;
  probedAt: number | null = null;
  nextProbeAt: number | null = null;
  private readonly byAddr = new Map<string, AddressHealth>();

  constructor(private readonly clock: Clock) {}

  private entry(addr: string): AddressHealth {
    let e = this.byAddr.get(addr);
    if (!e) {
      e = { addr, state: 'unprobed', rttMs: null, error: null, at: null };
      this.byAddr.set(addr, e);
    }
    return e;
  }

  /** The per-address view for the server's current addresses, in their order. */
  addresses(addrs: readonly string[]): AddressHealth[] {
    return addrs.map((a) => ({ ...this.entry(a) }));
  }

  /** Best RTT among the addresses that answer (null when none has). */
  rttOf(addrs: readonly string[]): number | null {
    let best: number | null = null;
    for (const a of addrs) {
      const e = this.byAddr.get(a);
      if (e?.state === 'responsive' && e.rttMs !== null && (best === null || e.rttMs < best)) best = e.rttMs;
    }
    return best;
  }

  stateOf(addr: string): HealthState {
    return this.byAddr.get(addr)?.state ?? 'unprobed';
  }

  /** A finished probe round over `addrs`; schedules the next one by the outcome. */
  applyProbe(
    p: FsProbeResult,
    addrs: readonly string[],
    intervals: { fastMs: number; slowMs: number },
  ): void {
    const now = this.clock.now();
    for (const a of [...this.byAddr.keys()]) if (!addrs.includes(a)) this.byAddr.delete(a);
    for (const a of addrs) {
      const e = this.entry(a);
      const r = p.addrs?.find((x) => x.addr === a);
      const answered = r ? r.rttMs !== null : p.responded;
      e.state = answered ? 'responsive' : 'unresponsive';
      e.rttMs = answered ? (r?.rttMs ?? e.rttMs) : null;
      e.error = answered ? null : (r?.error ?? 'no answer to FS.GetCapabilities');
      e.at = now;
    }
    this.probes++;
    this.probedAt = now;
    this.state = p.responded ? 'responsive' : 'unresponsive';
    this.nextProbeAt = now + (p.responded ? intervals.slowMs : intervals.fastMs);
  }

  /** A call through `addr` got a reply (of any kind): the address answers. */
  callAnswered(addr: string): void {
    const e = this.entry(addr);
    e.state = 'responsive';
    e.error = null;
    e.at = this.clock.now();
    this.state = 'responsive';
  }

  /**
   * A call through `addr` went unanswered. The server is unresponsive once none of its addresses
   * answers; the next probe (on demand, then every 30 s) decides when it is back.
   */
  callFailed(addr: string, addrs: readonly string[], why: string, fastMs: number): void {
    const now = this.clock.now();
    const e = this.entry(addr);
    e.state = 'unresponsive';
    e.rttMs = null;
    e.error = why;
    e.at = now;
    if (addrs.every((a) => this.stateOf(a) === 'unresponsive')) {
      this.state = 'unresponsive';
      if (this.nextProbeAt === null || this.nextProbeAt > now + fastMs) this.nextProbeAt = now + fastMs;
    }
  }

  snapshot(addrs: readonly string[]): HealthSnapshot {
    return {
      state: this.state,
      rttMs: this.rttOf(addrs),
      probes: this.probes,
      probedAt: this.probedAt,
      nextProbeAt: this.nextProbeAt,
      addrs: this.addresses(addrs),
    };
  }
}

/** What the prober needs to see of the records (implemented by Net; narrow to avoid a cycle). */
export interface ProbeTarget {
  readonly health: ServerHealth;
  /** Installed, created and not expired: a record worth probing. */
  readonly probeable: boolean;
  probeNow(reason: 'periodic'): Promise<void>;
}

/** The Net's one probe timer: fires at the earliest due probe of any server and dispatches it. */
export class FsProber {
  private timer: TimerHandle | null = null;
  private due: number | null = null;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly servers: () => Iterable<ProbeTarget>,
  ) {}

  /** Re-computes when the timer must fire (after any probe result or schedule change). */
  reschedule(): void {
    if (this.closed) return;
    let next: number | null = null;
    for (const s of this.servers()) {
      const at = s.probeable ? s.health.nextProbeAt : null;
      if (at !== null && (next === null || at < next)) next = at;
    }
    if (next === this.due && this.timer) return;
    this.timer?.cancel();
    this.timer = null;
    this.due = next;
    if (next === null) return;
    this.timer = this.clock.setTimer(() => this.fire(), Math.max(0, next - this.clock.now()));
  }

  private fire(): void {
    this.timer = null;
    this.due = null;
    if (this.closed) return;
    const now = this.clock.now();
    for (const s of this.servers()) {
      const at = s.health.nextProbeAt;
      if (!s.probeable || at === null || at > now) continue;
      // Not due again until this probe reports (its result sets the next time).
      s.health.nextProbeAt = null;
      void s.probeNow('periodic');
    }
    this.reschedule();
  }

  get nextDue(): number | null {
    return this.due;
  }

  /** Net closing: the timer goes for good. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.due = null;
  }
}
