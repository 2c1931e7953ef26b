// Volume records, by volume id within a cell. A volume owns a server list (a use on each server),
// is refreshed from the VLDB every hour and on VNOVOL/VMOVED, replaces its list only when the VLDB
// answer changed, and is dropped by its own timer/destroyer after its GC delay once unused.

import { RecordTimer, SerialTask } from './gc-timer.js';
import type { Net } from './net.js';
import type { VlEntry } from './ops.js';
import { CountedRecord } from './record.js';
import { CellRemovedError } from './record-errors.js';
import type { RwLock } from './rwlock.js';
import type { ServerCellHost } from './server.js';
import { ServerList } from './server-list.js';
import type { VolumeTraceReason } from './trace.js';

export type VolumeFlag = 'NEEDS_UPDATE' | 'UPDATING' | 'EXPIRED';

/** What a volume needs from its cell (implemented by Cell). */
export interface VolumeCellHost extends ServerCellHost {
  readonly volumes: Map<number, Volume>;
  readonly volumeNames: Map<string, Volume>;
  readonly volumeLock: RwLock;
  get(reason: 'get_server' | 'get_volume'): void;
  put(reason: 'put_server' | 'put_volume'): void;
}

export class Volume extends CountedRecord<VolumeTraceReason> {
  readonly kind = 'volume' as const;
  readonly flags = new Set<VolumeFlag>();
  readonly volumeId: number;
  readonly name: string;
  servers: ServerList;
  updateAt: number;
  unuseTime: number;
  private readonly gcTimer: RecordTimer;
  private readonly destroyer: SerialTask;
  private updating: Promise<void> | null = null;
  private pendingCtl: AbortController | null = null;

  constructor(
    readonly cell: VolumeCellHost,
    entry: VlEntry,
    servers: ServerList,
  ) {
    super(cell.net.clock, cell.net.options.traceHistory);
    this.volumeId = entry.volumeId;
    this.name = entry.name;
    this.servers = servers;
    this.gcTimer = new RecordTimer(this.clock, () => {
      this.trace('see_timer');
      this.queueDestroyer('queue_destroyer');
    });
    this.destroyer = new SerialTask(
      () => this.destroyerPass(),
      (e) => cell.net.recordBug(e),
    );
    this.refCount = 1; // the cell map's ref
    this.unuseTime = this.clock.now();
    this.updateAt = this.clock.now() + cell.net.options.volumeRefreshMs;
    cell.get('get_volume');
    cell.net.register(this);
    this.trace('alloc');
  }

  get id(): string {
    return `${this.cell.name}:${this.volumeId}`;
  }

  get timerDue(): number | null {
    return this.gcTimer.due;
  }

  private get net(): Net {
    return this.cell.net;
  }

  flagList(): string[] {
    return [...this.flags].sort();
  }

  useVolume(reason: VolumeTraceReason): void {
    this.incRef();
    const n = this.incUse();
    this.trace(reason);
    if (n === 1) this.gcTimer.cancel();
  }

  unuseVolume(reason: VolumeTraceReason): void {
    const n = this.decUse();
    this.trace(reason);
    if (n === 0) {
      this.unuseTime = this.clock.now();
      if (!this.flags.has('EXPIRED')) {
        if (this.cell.isDying() || !this.net.live) this.queueDestroyer('queue_destroyer');
        else this.armTimer(this.net.options.volumeGcDelayMs);
      }
    }
    this.put(reason);
  }

  /** The file server answered VNOVOL or VMOVED: re-read the VLDB entry before the next use. */
  noteAbort(code: 'VNOVOL' | 'VMOVED'): void {
    this.flags.add('NEEDS_UPDATE');
    this.trace('needs_update', code);
  }

  /** Refreshes from the VLDB if due (1 h) or flagged; single-flight. Caller holds a use. */
  async ensureCurrent(): Promise<void> {
    if (!this.flags.has('NEEDS_UPDATE') && this.clock.now() < this.updateAt) return;
    if (!this.updating) {
      this.updating = this.update().finally(() => {
        this.updating = null;
      });
    }
    return this.updating;
  }

  private async update(): Promise<void> {
    this.pendingCtl ??= new AbortController();
    const signal = AbortSignal.any([this.net.signal, this.pendingCtl.signal]);
    this.flags.add('UPDATING');
    try {
      const entry = await this.net.ops.vlGetEntry(this.cell.info, String(this.volumeId), signal);
      signal.throwIfAborted();
      if (this.servers.matches(entry)) {
        // Same sites: still pass on each server's uniquifier so address changes are noticed.
        for (const s of entry.sites)
          this.servers.entries.find((e) => e.server.uuid === s.uuid)?.server.noteUniquifier(s.uniquifier);
        this.trace('update_same');
      } else {
        const next = await ServerList.build(this.cell, entry);
        if (this.flags.has('EXPIRED')) {
          next.release();
          return;
        }
        const old = this.servers;
        this.servers = next;
        old.release();
        this.trace('update_replace', next.key);
      }
      this.flags.delete('NEEDS_UPDATE');
      this.updateAt = this.clock.now() + this.net.options.volumeRefreshMs;
    } catch (e) {
      this.trace('update_fail', (e as { code?: string })?.code ?? String(e));
      throw e;
    } finally {
      this.flags.delete('UPDATING');
    }
  }

  private armTimer(ms: number): void {
    if (this.gcTimer.arm(ms)) this.trace('timer_arm', `${ms}ms`);
  }

  shutdownTimer(): void {
    if (this.gcTimer.shutdown()) this.trace('timer_shutdown');
  }

  queueDestroyer(reason: VolumeTraceReason): void {
    if (this.flags.has('EXPIRED') || this.freed) return;
    this.trace(reason);
    this.destroyer.kick();
  }

  private async destroyerPass(): Promise<void> {
    if (this.flags.has('EXPIRED')) return;
    this.get('get_destroyer');
    try {
      const wr = await this.cell.volumeLock.write();
      let expired = false;
      try {
        const dying = this.cell.isDying() || !this.net.live;
        const graceOver = this.unuseTime + this.net.options.volumeGcDelayMs <= this.clock.now();
        if (this.useCount > 0) this.trace('destroyer_in_use');
        else if (dying || graceOver) {
          expired = true;
          this.flags.add('EXPIRED');
          if (this.cell.volumes.get(this.volumeId) === this) this.cell.volumes.delete(this.volumeId);
          if (this.cell.volumeNames.get(this.name) === this) this.cell.volumeNames.delete(this.name);
          this.trace('expired');
        } else if (!this.gcTimer.armed) {
          this.armTimer(this.unuseTime + this.net.options.volumeGcDelayMs - this.clock.now());
        }
      } finally {
        wr();
      }
      if (expired) {
        this.shutdownTimer();
        this.pendingCtl?.abort(new CellRemovedError(this.cell.name));
        this.servers.release();
        this.put('put_map');
      }
    } finally {
      this.put('put_destroyer');
    }
  }

  protected free(): void {
    this.shutdownTimer();
    this.freed = true;
    this.trace('free');
    this.net.unregister(this);
    this.cell.put('put_volume');
  }
}

/**
 * Finds the volume by name or decimal id in the cell, or reads its VLDB entry and builds it,
 * returning it with a use held by the caller.
 */
export async function lookupVolume(cell: VolumeCellHost, nameOrId: string): Promise<Volume> {
  const net = cell.net;
  if (!net.live) throw net.closedError();
  if (cell.isDying()) throw new CellRemovedError(cell.name);
  const byKey = (): Volume | undefined =>
    /^\d+$/.test(nameOrId) ? cell.volumes.get(Number(nameOrId)) : cell.volumeNames.get(nameOrId);
  const rd = await cell.volumeLock.read();
  let vol: Volume | undefined;
  try {
    vol = byKey();
    vol?.useVolume('use_lookup');
  } finally {
    rd();
  }
  if (vol) return vol;

  const entry = await net.ops.vlGetEntry(cell.info, nameOrId, net.signal);
  const list = await ServerList.build(cell, entry);
  let installed = false;
  const wr = await cell.volumeLock.write();
  try {
    vol = cell.volumes.get(entry.volumeId);
    if (vol) vol.useVolume('use_lookup');
    else if (!cell.isDying() && net.live) {
      vol = new Volume(cell, entry, list);
      cell.volumes.set(entry.volumeId, vol);
      cell.volumeNames.set(entry.name, vol);
      installed = true;
      vol.useVolume('use_lookup');
    }
  } finally {
    wr();
  }
  if (!installed) list.release();
  if (!vol) throw net.live ? new CellRemovedError(cell.name) : net.closedError();
  return vol;
}
