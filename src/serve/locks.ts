// WebDAV write locks (RFC 4918 class 2) held in memory, each exclusive lock on a file backed by an
// AFS lock so other AFS clients that honour locks see it too.

import { randomUUID } from 'node:crypto';
import type { AfsLock } from '../fs/lock.js';

export interface DavLock {
  token: string;
  /** The href it was taken on (collections end with /). */
  href: string;
  depthInfinity: boolean;
  exclusive: boolean;
  /** The client's <owner> element, echoed back verbatim. */
  owner: string;
  timeoutSeconds: number;
  expires: number;
  afs: AfsLock | undefined;
}

export const DEFAULT_LOCK_SECONDS = 600;
export const MAX_LOCK_SECONDS = 3600;

export class LockTable {
  readonly #locks = new Map<string, DavLock>();

  newToken(): string {
    return `opaquelocktoken:${randomUUID()}`;
  }

  add(l: DavLock): void {
    this.#locks.set(l.token, l);
  }

  get(token: string): DavLock | undefined {
    this.#expire();
    return this.#locks.get(token);
  }

  async remove(token: string): Promise<boolean> {
    const l = this.#locks.get(token);
    if (!l) return false;
    this.#locks.delete(token);
    await l.afs?.release();
    return true;
  }

  refresh(l: DavLock, seconds: number): void {
    l.timeoutSeconds = seconds;
    l.expires = Date.now() + seconds * 1000;
  }

  /** Locks that cover href: on it, on an ancestor with depth infinity, or (when deep) below it. */
  covering(href: string, deep = false): DavLock[] {
    this.#expire();
    const out: DavLock[] = [];
    const h = trimSlash(href);
    for (const l of this.#locks.values()) {
      const lh = trimSlash(l.href);
      if (lh === h) out.push(l);
      else if (l.depthInfinity && h.startsWith(`${lh}/`)) out.push(l);
      else if (deep && lh.startsWith(`${h}/`)) out.push(l);
    }
    return out;
  }

  /** Drops the locks on href and below (the resource was deleted or moved away). */
  async forget(href: string): Promise<void> {
    const h = trimSlash(href);
    for (const l of [...this.#locks.values()]) {
      const lh = trimSlash(l.href);
      if (lh === h || lh.startsWith(`${h}/`)) await this.remove(l.token);
    }
  }

  async close(): Promise<void> {
    for (const t of [...this.#locks.keys()]) await this.remove(t);
  }

  #expire(): void {
    const now = Date.now();
    for (const l of [...this.#locks.values()]) if (l.expires <= now) void this.remove(l.token);
  }
}

export function trimSlash(h: string): string {
  return h.length > 1 ? h.replace(/\/+$/, '') : h;
}

/** The tokens an If header names (state tokens inside <...>), which is all class 2 needs here. */
export function ifTokens(header: string | undefined): string[] {
  if (!header) return [];
  const out: string[] = [];
  // Skip resource tags (<http://...> outside parentheses); take tokens inside lists, not negated.
  for (const list of header.matchAll(/\(([^)]*)\)/g)) {
    for (const m of list[1]!.matchAll(/(Not\s+)?<([^>]*)>/gi)) if (!m[1]) out.push(m[2]!);
  }
  return out;
}

/** One condition list of an If header: all of its conditions must hold (RFC 4918 §10.4). */
export interface IfList {
  /** The tagged resource (a URL as sent), or undefined for the request's own resource. */
  tag: string | undefined;
  conditions: { not: boolean; token?: string; etag?: string }[];
}

/** The If header as lists; undefined when there is none. Throws on text it cannot read. */
export function parseIf(header: string | undefined): IfList[] | undefined {
  if (!header) return undefined;
  const lists: IfList[] = [];
  let tag: string | undefined;
  const re = /\s*(?:<([^>]*)>|\(([^)]*)\))/y;
  let at = 0;
  while (at < header.length) {
    re.lastIndex = at;
    const m = re.exec(header);
    if (!m) {
      if (header.slice(at).trim() === '') break;
      throw new Error('unreadable If header');
    }
    at = re.lastIndex;
    if (m[1] !== undefined) {
      tag = m[1];
      continue;
    }
    const conditions: IfList['conditions'] = [];
    for (const c of m[2]!.matchAll(/\s*(Not\s+)?(?:<([^>]*)>|\[([^\]]*)\])/gi))
      conditions.push({ not: !!c[1], ...(c[2] !== undefined ? { token: c[2] } : { etag: c[3] }) });
    lists.push({ tag, conditions });
  }
  return lists;
}
