// Cell records (kafs-design.md §3 after "afs: Simplify cell record handling"): states
// SETTING_UP → ACTIVE → REMOVING → DEAD, a ref (lifetime: the net's map, servers, volumes) and a use
// (lookups, mounts), and their own manager timer: GC after the cell GC delay once unused, and VL
// server list refresh from DNS when the list came from DNS. Removal wakes every server and volume;
// each destroys itself as soon as it is unused, and the cell is freed after the last of them.

import { RecordTimer, SerialTask } from './gc-timer.js';
import type { Net } from './net.js';
import type { CellInfo } from './ops.js';
import { CountedRecord } from './record.js';
import { RwLock } from './rwlock.js';
import type { Server } from './server.js';
import { lookupServer } from './server.js';
import type { CellTraceReason } from './trace.js';
import { lookupVolume, type Volume, type VolumeCellHost } from './volume.js';

export type CellState = 'SETTING_UP' | 'ACTIVE' | 'REMOVING' | 'DEAD';

export interface CellOptions {
  /** Static VL servers ("host:port"). Without them, ops.resolveVlServers (DNS) is asked. */
  vlServers?: readonly string[];
  /** Keep the cell while unused (like a cell added by configuration); removeCell() still works. */
  noGc?: boolean;
}

// kAFS clamps DNS TTLs to [10 min, 24 h] and retries failed lookups after 10 s.
const DNS_MIN_TTL_MS = 10 * 60_000;
const DNS_MAX_TTL_MS = 24 * 3600_000;
const DNS_RETRY_MS = 10_000;

export class Cell extends CountedRecord<CellTraceReason> implements VolumeCellHost, CellInfo {
  readonly kind = 'cell' as const;
  state: CellState = 'SETTING_UP';
  vlServers: readonly string[];
  /** When the VL server list must be re-read from DNS (Infinity for a static list). */
  vlExpiry: number;
  noGc: boolean;
  removeRequested = false;
  readonly fsServers = new Map<string, Server>();
  readonly fsLock = new RwLock();
  readonly volumes = new Map<number, Volume>();
  readonly volumeNames = new Map<string, Volume>();
  readonly volumeLock = new RwLock();
  lastInactive: number;
  private readonly timer: RecordTimer;
  private readonly manager: SerialTask;
  private settled: Promise<void>;
  private settle!: () => void;
  private dead: Promise<void>;
  private markDead!: () => void;

  constructor(
    readonly net: Net,
    readonly name: string,
    opts: CellOptions,
  ) {
    super(net.clock, net.options.traceHistory);
    this.vlServers = [...(opts.vlServers ?? [])];
    this.vlExpiry = this.vlServers.length > 0 || !net.ops.resolveVlServers ? Infinity : this.clock.now();
    this.noGc = opts.noGc ?? false;
    this.lastInactive = this.clock.now();
    this.timer = new RecordTimer(this.clock, () => {
      this.trace('see_timer');
      this.queueManager();
    });
    this.manager = new SerialTask(
      () => this.managerPass(),
      (e) => net.recordBug(e),
    );
    this.refCount = 1; // the net map's (allocation) ref, dropped when the cell is removed
    this.settled = new Promise((r) => {
      this.settle = r;
    });
    this.dead = new Promise((r) => {
      this.markDead = r;
    });
    net.register(this);
    this.trace('alloc');
  }

  get id(): string {
    return this.name;
  }

  get timerDue(): number | null {
    return this.timer.due;
  }

  get info(): CellInfo {
    return this;
  }

  flagList(): string[] {
    const f: string[] = [this.state];
    if (this.noGc) f.push('NO_GC');
    if (this.removeRequested) f.push('REMOVE');
    return f;
  }

  isDying(): boolean {
    return this.state === 'REMOVING' || this.state === 'DEAD';
  }

  // ---- named ref/use operations ----

  useCell(reason: CellTraceReason): void {
    this.incRef();
    const n = this.incUse();
    this.trace(reason);
    if (n === 1) this.rearm(); // in use: only a DNS refresh may remain due
  }

  unuseCell(reason: CellTraceReason): void {
    const n = this.decUse();
    this.trace(reason);
    if (n === 0) {
      this.lastInactive = this.clock.now();
      if (this.removeRequested || !this.net.live) this.queueManager();
      else this.rearm();
    }
    this.put(reason);
  }

  /** Finds or creates a file-server record in this cell, with a use for the caller. */
  lookupServer(uuid: string, uniquifier?: number): Promise<Server> {
    return lookupServer(this, uuid, uniquifier);
  }

  /** Finds or creates a volume record in this cell, with a use for the caller. */
  lookupVolume(nameOrId: string): Promise<Volume> {
    return lookupVolume(this, nameOrId);
  }

  /** Resolves once the cell is ACTIVE (or was removed before it got there). */
  whenSettled(): Promise<void> {
    return this.settled;
  }

  /** Resolves once the cell is DEAD (erased from the net; it is freed after its last server). */
  whenDead(): Promise<void> {
    return this.dead;
  }

  /** Remove as soon as unused (explicit removal, close). */
  requestRemoval(): void {
    if (this.isDying()) return;
    this.removeRequested = true;
    this.trace('remove_request');
    this.queueManager();
  }

  private setState(s: CellState): void {
    this.state = s;
    this.trace('state', s);
    if (s !== 'SETTING_UP') this.settle();
    if (s === 'DEAD') this.markDead();
  }

  private gcDelay(): number {
    if (this.removeRequested || !this.net.live || this.vlServers.length === 0) return 0;
    return this.net.options.cellGcDelayMs;
  }

  private expired(): boolean {
    if (this.useCount > 0) return false;
    if (this.removeRequested || !this.net.live) return true;
    return !this.noGc && this.lastInactive + this.gcDelay() <= this.clock.now();
  }

  // ---- manager ----

  queueManager(): void {
    if (this.state === 'DEAD' || this.freed) return;
    this.manager.kick();
  }

  private async managerPass(): Promise<void> {
    if (this.state === 'DEAD' || this.freed) return;
    this.get('get_manager'); // the record must outlive its manager pass
    try {
      this.trace('manage');
      if (this.state === 'SETTING_UP') {
        if (this.vlExpiry <= this.clock.now()) await this.refreshVlServers();
        if (this.state === 'SETTING_UP') this.setState('ACTIVE');
      }
      if (this.state === 'ACTIVE') {
        if (this.expired()) await this.remove();
        else if (this.vlExpiry <= this.clock.now()) await this.refreshVlServers();
      }
      if (this.state === 'ACTIVE') this.rearm();
    } finally {
      this.put('put_manager');
    }
  }

  /** Arms the manager timer for the next GC check or DNS refresh, whichever is first. */
  private rearm(): void {
    if (this.state !== 'ACTIVE') return;
    let due = this.vlExpiry;
    if (this.useCount === 0 && (!this.noGc || this.removeRequested)) {
      due = Math.min(due, this.lastInactive + this.gcDelay());
    }
    this.timer.cancel();
    if (!Number.isFinite(due)) return;
    const ms = Math.max(0, due - this.clock.now());
    if (this.timer.arm(ms)) this.trace('timer_arm', `${ms}ms`);
  }

  shutdownTimer(): void {
    this.timer.shutdown();
  }

  private async refreshVlServers(): Promise<void> {
    const resolve = this.net.ops.resolveVlServers;
    if (!resolve) {
      this.vlExpiry = Infinity;
      return;
    }
    try {
      const ans = await resolve.call(this.net.ops, this.name, this.net.signal);
      const ttl = Math.min(DNS_MAX_TTL_MS, Math.max(DNS_MIN_TTL_MS, ans.ttlSeconds * 1000));
      this.vlExpiry = this.clock.now() + ttl;
      // An empty answer never replaces a list that has servers.
      if (ans.servers.length > 0 || this.vlServers.length === 0) this.vlServers = [...ans.servers];
      this.trace('vl_refresh', `${this.vlServers.join(',')} ttl=${ttl}ms`);
    } catch (e) {
      this.vlExpiry = this.clock.now() + DNS_RETRY_MS;
      this.trace('vl_refresh_fail', (e as { code?: string })?.code ?? String(e));
    }
  }

  /** ACTIVE → REMOVING (unless resurrected) → purge → DEAD, then drop the allocation ref. */
  private async remove(): Promise<void> {
    const wr = await this.net.cellsLock.write();
    try {
      if (this.useCount > 0) {
        this.trace('remove_resurrected');
        return;
      }
      this.setState('REMOVING');
      if (this.net.cells.get(this.name) === this) this.net.cells.delete(this.name);
    } finally {
      wr();
    }
    this.shutdownTimer();
    const servers = await this.fsLock.withRead(() => [...this.fsServers.values()]);
    const active = servers.filter((s) => s.use > 0).length;
    if (active > 0) this.net.stats.purgeWithActiveServers++;
    this.trace('purge', `servers=${servers.length} active=${active} volumes=${this.volumes.size}`);
    for (const s of servers) s.queueDestroyer('purge');
    const volumes = await this.volumeLock.withRead(() => [...this.volumes.values()]);
    for (const v of volumes) v.queueDestroyer('purge');
    this.setState('DEAD');
    this.put('put_remove');
  }

  protected free(): void {
    this.shutdownTimer();
    this.freed = true;
    this.trace('free');
    this.net.unregister(this);
  }
}
