// The two small mechanisms every record uses: its own management timer (armed, cancelled, or shut
// down for good by the destroyer) and a serialised task (destroyer/manager: one run at a time; a
// kick during a run asks for one more pass instead of running concurrently).

import type { Clock, TimerHandle } from './clock.js';

export class RecordTimer {
  due: number | null = null;
  private handle: TimerHandle | null = null;
  private dead = false;

  constructor(
    private readonly clock: Clock,
    private readonly onFire: () => void,
  ) {}

  get armed(): boolean {
    return this.handle !== null;
  }

  get isShutdown(): boolean {
    return this.dead;
  }

  /** (Re)arms for ms from now; false if the timer was shut down. */
  arm(ms: number): boolean {
    if (this.dead) return false;
    this.handle?.cancel();
    this.due = this.clock.now() + ms;
    this.handle = this.clock.setTimer(() => {
      this.handle = null;
      this.due = null;
      this.onFire();
    }, ms);
    return true;
  }

  /** False if nothing was armed. */
  cancel(): boolean {
    if (!this.handle) return false;
    this.handle.cancel();
    this.handle = null;
    this.due = null;
    return true;
  }

  /** Cancels and refuses every later arm(). False if already shut down. */
  shutdown(): boolean {
    if (this.dead) return false;
    this.cancel();
    this.dead = true;
    return true;
  }
}

export class SerialTask {
  private running = false;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    /** A pass must not throw; if it does (a bug), the error goes here instead of being lost. */
    private readonly onError: (e: unknown) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again);
    } catch (e) {
      this.onError(e);
    } finally {
      this.running = false;
    }
  }
}
