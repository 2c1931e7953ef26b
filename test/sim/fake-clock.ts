// A fake clock with an event queue, stepped deterministically: each due event runs, then every
// microtask it caused is drained before the next one (the record code only waits on promises and
// this clock, so one setImmediate turn drains it completely).

import type { Clock, TimerHandle } from '../../src/afs/clock.js';

interface Ev {
  due: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private queue: Ev[] = [];

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const ev: Ev = { due: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    // Keep the queue ordered by (due, seq): FIFO among timers due at the same instant.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.due > ev.due) i--;
    this.queue.splice(i, 0, ev);
    return {
      cancel: () => {
        if (!ev.live) return;
        ev.live = false;
        const j = this.queue.indexOf(ev);
        if (j >= 0) this.queue.splice(j, 1);
      },
    };
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.queue.length;
  }

  nextDue(): number | undefined {
    return this.queue[0]?.due;
  }

  /** Runs one event (if any is due by `until`) and drains what it caused; false when none is. */
  async step(until = Infinity): Promise<boolean> {
    const ev = this.queue[0];
    if (!ev || ev.due > until) return false;
    this.queue.shift();
    ev.live = false;
    this.t = ev.due;
    ev.fn();
    await settle();
    return true;
  }

  /** Runs every event due up to `until`, then sets the time to `until`. */
  async advanceTo(until: number): Promise<void> {
    await settle();
    while (await this.step(until)) {}
    if (until > this.t) this.t = until;
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }

  /** Steps until pred() holds or no event is left (or maxTime is reached). */
  async runUntil(pred: () => boolean, maxTime = Infinity): Promise<boolean> {
    await settle();
    while (!pred()) {
      if (!(await this.step(maxTime))) return pred();
    }
    return true;
  }

  /** A promise resolved after ms of fake time; rejects with signal.reason on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        h.cancel();
        reject(signal!.reason);
      };
      const h = this.setTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
