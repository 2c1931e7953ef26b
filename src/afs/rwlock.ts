// An async read/write lock, writer-fair: once a writer waits, later readers queue behind it, so a
// stream of lookups (readers) cannot starve a destroyer or an insertion (writers).

import { RecordAccountingError } from './record-errors.js';

type Waiter = { write: boolean; grant: () => void };
export type Release = () => void;

export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly queue: Waiter[] = [];

  /** Resolves with a release function once shared access is granted. */
  read(): Promise<Release> {
    if (!this.writer && this.queue.length === 0) {
      this.readers++;
      return Promise.resolve(this.releaser(false));
    }
    return new Promise((resolve) =>
      this.queue.push({ write: false, grant: () => resolve(this.releaser(false)) }),
    );
  }

  /** Resolves with a release function once exclusive access is granted. */
  write(): Promise<Release> {
    if (!this.writer && this.readers === 0 && this.queue.length === 0) {
      this.writer = true;
      return Promise.resolve(this.releaser(true));
    }
    return new Promise((resolve) =>
      this.queue.push({ write: true, grant: () => resolve(this.releaser(true)) }),
    );
  }

  async withRead<T>(fn: () => T | Promise<T>): Promise<T> {
    const release = await this.read();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async withWrite<T>(fn: () => T | Promise<T>): Promise<T> {
    const release = await this.write();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** For inspection and tests. */
  get state(): { readers: number; writer: boolean; waiting: number } {
    return { readers: this.readers, writer: this.writer, waiting: this.queue.length };
  }

  private releaser(write: boolean): Release {
    let done = false;
    return () => {
      if (done) throw new RecordAccountingError('rwlock released twice');
      done = true;
      if (write) this.writer = false;
      else this.readers--;
      this.drain();
    };
  }

  // Grants in arrival order: one writer alone, or a run of consecutive readers.
  private drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.write) {
        if (this.writer || this.readers > 0) return;
        this.queue.shift();
        this.writer = true;
        head.grant();
        return;
      }
      if (this.writer) return;
      this.queue.shift();
      this.readers++;
      head.grant();
    }
  }
}
