// Text shapes shared by the file commands: ls-style mode strings and dates, FIDs, rights.

import { rightsToString } from '../afs/acl.js';
import type { AFSFid } from '../rpc/types.js';

const S_IFMT = 0o170000;
const TYPE_CHAR = new Map<number, string>([
  [0o040000, 'd'],
  [0o100000, '-'],
  [0o120000, 'l'],
]);

/** "drwxr-xr-x" from a st_mode (setuid/setgid/sticky as ls shows them). */
export function modeString(mode: number): string {
  const t = TYPE_CHAR.get(mode & S_IFMT) ?? '?';
  const rwx = (bits: number, special: boolean, lower: string, upper: string) =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? lower : upper) : bits & 1 ? 'x' : '-'}`;
  return (
    t +
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's', 'S') +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's', 'S') +
    rwx(mode & 7, (mode & 0o1000) !== 0, 't', 'T')
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HALF_YEAR_MS = 182.5 * 24 * 3600 * 1000;

/** ls -l's date: "Nov 28 04:17" within half a year of now, "Nov 28  2024" otherwise (local time). */
export function lsDate(d: Date, now = Date.now()): string {
  const day = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)}`;
  if (Math.abs(now - d.getTime()) < HALF_YEAR_MS)
    return `${day} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${day}  ${d.getFullYear()}`;
}

export function fidString(f: AFSFid): string {
  return `${f.volume}.${f.vnode}.${f.unique}`;
}

/** Rights letters, "none" when the mask has none. */
export function rightsText(mask: number): string {
  return rightsToString(mask) || 'none';
}

/** A name (bytes) as a JSON string; bytes that are not UTF-8 also given as hex. */
export function jsonName(name: Buffer): { name: string; nameHex?: string } {
  const text = name.toString('utf8');
  return Buffer.from(text).equals(name) ? { name: text } : { name: text, nameHex: name.toString('hex') };
}

/** Run `fn` over `items` with at most `limit` in flight, results in order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Concatenate a directory path and an entry name as bytes. */
export function childPath(dir: string | Buffer, name: Buffer): Buffer {
  const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
  return Buffer.concat([d, d[d.length - 1] === 0x2f ? Buffer.alloc(0) : Buffer.from('/'), name]);
}

/** C0 controls, DEL, the C1 controls (U+009B is CSI to many terminals) and U+FFFD (bytes not UTF-8). */
function isControl(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0xfffd;
}

/**
 * A server-supplied name as a terminal should see it: every control character and every byte that
 * is not UTF-8 becomes '?', as GNU `ls -q` (--hide-control-chars) shows them, so a name cannot
 * drive the terminal. Printable UTF-8 stays as it is.
 */
export function terminalSafe(name: Buffer): Buffer {
  const text = name.toString('utf8');
  let out = '';
  for (const ch of text) out += isControl(ch.codePointAt(0)!) ? '?' : ch;
  return out === text && Buffer.byteLength(text) === name.length ? name : Buffer.from(out);
}
