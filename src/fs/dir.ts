// opendir(): a Dir as node:fs/promises has it — read() one entry at a time (null at the end),
// async iteration that closes the Dir when done, close() once (ERR_DIR_CLOSED after).

import type { AfsDirent } from './stats.js';

function dirClosed(): Error & { code: string } {
  return Object.assign(new Error('Directory handle was closed'), { code: 'ERR_DIR_CLOSED' });
}

export class AfsDir<N extends string | Buffer = string> {
  #entries: Promise<AfsDirent<N>[]> | undefined;
  #next = 0;
  #closed = false;

  constructor(
    readonly path: string,
    private readonly list: () => Promise<AfsDirent<N>[]>,
  ) {}

  /** The next entry, or null after the last. On a closed Dir it throws at once, as Node's does. */
  read(): Promise<AfsDirent<N> | null> {
    if (this.#closed) throw dirClosed();
    this.#entries ??= this.list();
    return this.#entries.then((all) => all[this.#next++] ?? null);
  }

  async close(): Promise<void> {
    if (this.#closed) throw dirClosed();
    this.#closed = true;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<AfsDirent<N>> {
    try {
      for (;;) {
        const e = await this.read();
        if (e === null) return;
        yield e;
      }
    } finally {
      if (!this.#closed) await this.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.close();
  }
}
