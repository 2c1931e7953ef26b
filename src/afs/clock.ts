// The one source of time for the record layer. Records never call setTimeout/Date directly, so the
// simulation can drive the real record code with a fake clock and step it deterministically.

export interface TimerHandle {
  /** Stops the timer; safe to call more than once or after it fired. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences are meaningful). */
  now(): number;
  /** Runs fn once after ms; the timer must never keep the process alive. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

// setTimeout overflows above 2^31-1 ms and then fires immediately.
const MAX_TIMER_MS = 0x7fffffff;

/** Real time: performance.now() and unref()ed Node timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
