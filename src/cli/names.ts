// Entry names come from the file server, and a hostile or broken server can send anything. Before
// an entry name becomes part of a local path (get -r) it must name exactly one new entry inside
// the target directory: never empty, ".", "..", nothing with "/" or NUL, at most NAME_MAX bytes.

import { sep } from 'node:path';

/** Linux NAME_MAX (and AFS's own limit). */
export const NAME_MAX = 255;

export type UnsafeNameReason = 'empty' | 'dot' | 'dot-dot' | 'slash' | 'nul' | 'too-long';

export class UnsafeNameError extends Error {
  override readonly name = 'UnsafeNameError';
  readonly code = 'ERR_TSAFS_UNSAFE_NAME';
  constructor(
    readonly entryName: Buffer,
    readonly reason: UnsafeNameReason,
  ) {
    super(`refusing entry name ${printableName(entryName)} (${reason})`);
  }
}

/** A name for messages: JSON-quoted, bytes that are not printable UTF-8 as \xNN. */
export function printableName(name: Buffer | string): string {
  const b = typeof name === 'string' ? Buffer.from(name) : name;
  const text = b.toString('utf8');
  if (Buffer.from(text).equals(b)) return JSON.stringify(text);
  return `"${[...b].map((c) => (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('')}"`;
}

/** Why `name` must not become a local path component, or undefined when it may. */
export function unsafeNameReason(name: Buffer): UnsafeNameReason | undefined {
  if (name.length === 0) return 'empty';
  if (name.includes(0)) return 'nul';
  if (name.includes(0x2f)) return 'slash';
  if (sep !== '/' && name.includes(Buffer.from(sep))) return 'slash';
  if (name.length === 1 && name[0] === 0x2e) return 'dot';
  if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) return 'dot-dot';
  if (name.length > NAME_MAX) return 'too-long';
  return undefined;
}

/** The local path of entry `name` inside `dir` (as bytes, so non-UTF-8 names survive). */
export function localChildPath(dir: string | Buffer, name: Buffer | string): Buffer {
  const n = typeof name === 'string' ? Buffer.from(name) : name;
  const reason = unsafeNameReason(n);
  if (reason) throw new UnsafeNameError(Buffer.from(n), reason);
  const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const slash = d.length > 0 && d[d.length - 1] === 0x2f ? Buffer.alloc(0) : Buffer.from('/');
  return Buffer.concat([d, slash, n]);
}
