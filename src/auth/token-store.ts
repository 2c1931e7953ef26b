// Where tokens live between tsafs processes: one JSON file, mode 0600, one token per cell.
// Written atomically (temporary file + rename). Tokens are never printed or logged.

import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { type RxkadToken, type StoredToken, tokenFromStored, tokenToStored } from './token.js';

export function defaultTokenPath(): string {
  if (process.env.TSAFS_TOKENS) return process.env.TSAFS_TOKENS;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'tsafs', 'tokens.json');
}

export class TokenStore {
  constructor(readonly path: string = defaultTokenPath()) {}

  private async load(): Promise<Record<string, StoredToken>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    const o = JSON.parse(text) as unknown;
    if (typeof o !== 'object' || o === null) return {};
    return o as Record<string, StoredToken>;
  }

  private async save(all: Record<string, StoredToken>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(all, null, 1)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
  }

  async get(cell: string): Promise<RxkadToken | undefined> {
    const s = (await this.load())[cell.toLowerCase()];
    return s ? tokenFromStored(s) : undefined;
  }

  async list(): Promise<RxkadToken[]> {
    return Object.values(await this.load()).map((s) => tokenFromStored(s));
  }

  async put(t: RxkadToken): Promise<void> {
    const all = await this.load();
    all[t.cell.toLowerCase()] = tokenToStored(t);
    await this.save(all);
  }

  /** Forget one cell's token, or all of them. */
  async remove(cell?: string): Promise<number> {
    const all = await this.load();
    const keys = cell ? [cell.toLowerCase()].filter((k) => k in all) : Object.keys(all);
    for (const k of keys) delete all[k];
    await this.save(all);
    return keys.length;
  }
}
