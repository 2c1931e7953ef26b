// Invariants of the record layer, checked while a simulation runs (trace events as they happen,
// structure after every clock step) and at the end. Violations are collected, not thrown, so a
// schedule reports all of them.

import diagnosticsChannel from 'node:diagnostics_channel';
import type { Cell } from '../../src/afs/cell.js';
import type { Net } from '../../src/afs/net.js';
import type { PeerMap } from '../../src/afs/peer-map.js';
import type { Server } from '../../src/afs/server.js';
import { TRACE_CHANNELS, type TraceEvent } from '../../src/afs/trace.js';
import type { Volume } from '../../src/afs/volume.js';

export interface CheckerOptions {
  /** Extra time a destroyer may need beyond the GC delay (lock holders, op latency). */
  boundMs: number;
}

export class Checker {
  readonly violations: string[] = [];
  private readonly debugIds = new Set<number>();
  private readonly onEvent = (m: unknown) => this.event(m as TraceEvent);

  constructor(
    private readonly net: Net,
    private readonly peers: PeerMap<Server>,
    private readonly opts: CheckerOptions,
  ) {
    for (const ch of Object.values(TRACE_CHANNELS)) diagnosticsChannel.subscribe(ch, this.onEvent);
  }

  dispose(): void {
    for (const ch of Object.values(TRACE_CHANNELS)) diagnosticsChannel.unsubscribe(ch, this.onEvent);
  }

  fail(msg: string): void {
    if (this.violations.length < 50) this.violations.push(`t=${this.net.clock.now()} ${msg}`);
  }

  private find(debugId: number): unknown {
    return this.net.record(debugId);
  }

  private event(e: TraceEvent): void {
    if (e.reason === 'alloc') {
      if (this.find(e.debugId)) this.debugIds.add(e.debugId);
      return;
    }
    if (!this.debugIds.has(e.debugId)) return; // another Net's record
    if (e.kind === 'server' && e.reason === 'expired') {
      if (e.use !== 0) this.fail(`server ${e.id} expired while in use (use=${e.use})`);
      const s = this.find(e.debugId) as Server | undefined;
      if (s && this.net.live && !s.cell.isDying()) {
        const idle = e.at - s.unuseTime;
        if (idle < s.gcDelay())
          this.fail(`server ${e.id} destroyed after ${idle}ms idle < GC delay ${s.gcDelay()}`);
      }
    }
    if (e.kind === 'volume' && e.reason === 'expired' && e.use !== 0) {
      this.fail(`volume ${e.id} expired while in use (use=${e.use})`);
    }
    if (e.reason === 'free' && e.use !== 0) this.fail(`${e.kind} ${e.id} freed with use=${e.use}`);
  }

  /** Structural invariants; call after every clock step. */
  checkStructure(): void {
    const now = this.net.clock.now();
    const o = this.net.options;
    const live = new Set(this.net.liveRecords());
    for (const bug of this.net.bugs) this.fail(`internal error: ${String(bug)}`);
    this.net.bugs.length = 0;
    for (const cell of this.net.cells.values()) {
      if (!live.has(cell)) this.fail(`cell ${cell.name} in net map but freed`);
      if (cell.isDying()) this.fail(`dying cell ${cell.name} still in the net map`);
      for (const [uuid, s] of cell.fsServers) {
        if (!live.has(s)) this.fail(`server ${uuid} in cell map but freed/unregistered`);
        if (s.flags.has('EXPIRED')) this.fail(`expired server ${uuid} still in cell map`);
      }
    }
    for (const r of live) {
      if (r.use < 0 || r.ref < r.use) this.fail(`${r.kind} ${r.id} counts ref=${r.ref} use=${r.use}`);
      if (r.kind === 'server') {
        const s = r as Server;
        // A candidate waiting to be inserted belongs to its looker-up, not to the GC.
        if (s.isInstalled && !s.flags.has('EXPIRED') && s.use === 0 && this.net.live && !s.cell.isDying()) {
          const late = now - (s.unuseTime + s.gcDelay());
          if (late > this.opts.boundMs) this.fail(`server ${s.uuid} idle ${late}ms past its GC delay`);
        }
        if (
          s.flags.has('EXPIRED') &&
          now - s.unuseTime > o.giveUpTimeoutMs + this.opts.boundMs &&
          s.use === 0
        ) {
          this.fail(`expired server ${s.uuid} not freed (ref=${s.ref})`);
        }
      } else if (r.kind === 'volume') {
        const v = r as Volume;
        if (!v.flags.has('EXPIRED') && v.use === 0 && this.net.live && !v.cell.isDying()) {
          const late = now - (v.unuseTime + o.volumeGcDelayMs);
          if (late > this.opts.boundMs) this.fail(`volume ${v.id} idle ${late}ms past its GC delay`);
        }
      } else if (r.kind === 'cell') {
        const c = r as Cell;
        if (c.state === 'ACTIVE' && c.use === 0 && !c.noGc && this.net.live) {
          const late = now - (c.lastInactive + o.cellGcDelayMs);
          if (late > this.opts.boundMs) this.fail(`cell ${c.name} idle ${late}ms past its GC delay`);
        }
      }
    }
    for (const [addr, servers] of this.peers.entries()) {
      for (const s of servers) {
        if (s.freed) this.fail(`peer ${addr} maps to freed server ${s.uuid}`);
        else if (!s.addrs.includes(addr)) this.fail(`stale peer ${addr} → server ${s.uuid} (now ${s.addrs})`);
      }
    }
  }

  /** A server handed to a caller by a successful lookup must be fully created. */
  checkReturned(s: Server): void {
    if (s.flags.has('UNCREATED') || s.flags.has('CREATING') || s.addrs.length === 0 || s.freed) {
      this.fail(`lookup returned an uncreated server ${s.uuid} [${s.flagList()}] addrs=${s.addrs.length}`);
    }
  }

  /** Nothing may be left after close (or after everything went idle). */
  checkEmpty(what: string): void {
    for (const r of this.net.liveRecords()) {
      this.fail(`${what}: ${r.kind} ${r.id} still alive ref=${r.ref} use=${r.use} [${r.flagList()}]`);
    }
    if (this.peers.size > 0) this.fail(`${what}: ${this.peers.size} peer binding(s) left`);
  }
}
