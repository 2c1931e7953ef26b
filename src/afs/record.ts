// Shared shape of net-owned records: a ref count (lifetime) and a use count (who really uses it),
// changed only through named operations that leave a trace.

import type { Clock } from './clock.js';
import { RecordAccountingError } from './record-errors.js';
import { publishTrace, type RecordKind, type TraceReason, TraceRing } from './trace.js';

let nextDebugId = 1;

export abstract class CountedRecord<R extends TraceReason = TraceReason> {
  abstract readonly kind: RecordKind;
  abstract readonly id: string;
  readonly debugId = nextDebugId++;
  protected refCount = 0;
  protected useCount = 0;
  readonly history: TraceRing;
  freed = false;

  constructor(
    protected readonly clock: Clock,
    historySize: number,
  ) {
    this.history = new TraceRing(historySize);
  }

  get ref(): number {
    return this.refCount;
  }

  get use(): number {
    return this.useCount;
  }

  /** Flag names for inspection and leak reports. */
  abstract flagList(): string[];

  /** Takes a ref (lifetime only). */
  get(reason: R): void {
    this.incRef();
    this.trace(reason);
  }

  /** Drops a ref; the last one frees the record. */
  put(reason: R): void {
    const zero = this.decRef();
    this.trace(reason);
    if (zero) this.free();
  }

  /** Called once when the last ref is dropped. */
  protected abstract free(): void;

  trace(reason: R, note?: string): void {
    const e = {
      kind: this.kind,
      id: this.id,
      debugId: this.debugId,
      reason,
      ref: this.refCount,
      use: this.useCount,
      at: this.clock.now(),
      ...(note === undefined ? {} : { note }),
    };
    this.history.push(e);
    publishTrace(e);
  }

  protected assertLive(what: string): void {
    if (this.freed) throw new RecordAccountingError(`${what} on freed ${this.kind} ${this.id}`);
  }

  protected incRef(): void {
    this.assertLive('get');
    this.refCount++;
  }

  /** Returns true when the ref count reached zero. */
  protected decRef(): boolean {
    if (this.refCount <= 0) throw new RecordAccountingError(`${this.kind} ${this.id} ref underflow`);
    this.refCount--;
    return this.refCount === 0;
  }

  protected incUse(): number {
    this.assertLive('use');
    return ++this.useCount;
  }

  protected decUse(): number {
    if (this.useCount <= 0) throw new RecordAccountingError(`${this.kind} ${this.id} use underflow`);
    return --this.useCount;
  }
}
