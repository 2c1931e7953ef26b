// Where tokens live between tsafs processes: one JSON file, mode 0600, one token per cell.
// Written atomically: an exclusively created temporary file with an unpredictable name in the same
// directory, then rename (a symlink planted at a guessable name cannot receive the key). As ssh
// does for ~/.ssh, a directory that other users can write to or that another user owns is refused,
// for reading too (a planted file there would hand us someone else's token). Tokens are never
// printed or logged.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type RxkadToken, type StoredToken, tokenFromStored, tokenToStored } from './token.js';

export class TokenStoreUnsafeError extends Error {
  override readonly name = 'TokenStoreUnsafeError';
  readonly code = 'ERR_TSAFS_TOKEN_STORE_UNSAFE';
  constructor(
    readonly directory: string,
    reason: string,
  ) {
    super(`refusing the token store in ${directory}: ${reason}`);
  }
}

export function defaultTokenPath(): string {
  if (process.env.TSAFS_TOKENS) return process.env.TSAFS_TOKENS;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'tsafs', 'tokens.json');
}

export class TokenStore {
  constructor(readonly path: string = defaultTokenPath()) {}

  /** Refuse a directory others could plant or replace files in (missing is fine: nothing to read). */
  private async checkDirectory(): Promise<void> {
    const dir = dirname(this.path);
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
      throw new TokenStoreUnsafeError(dir, `it belongs to uid ${st.uid}, not to us (uid ${uid})`);
    }
    if (st.mode & 0o022) {
      const mode = (st.mode & 0o7777).toString(8);
      throw new TokenStoreUnsafeError(dir, `others can write to it (mode ${mode}); run chmod go-w '${dir}'`);
    }
  }

  private async load(): Promise<Record<string, StoredToken>> {
    await this.checkDirectory();
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
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await this.checkDirectory();
    const tmp = join(dir, `.${basename(this.path)}.${randomBytes(12).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      try {
        await fh.writeFile(`${JSON.stringify(all, null, 1)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
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
