// Before an entry name from the server becomes part of a local path (get -r) it must name exactly
// one new entry inside the target directory: the rule every recursive operation shares
// (fs/names.ts), plus the local separator where it is not "/".

import { sep } from 'node:path';
import { unsafeNameReason as entryNameReason, UnsafeNameError, type UnsafeNameReason } from '../fs/names.js';

export { NAME_MAX, printableName, UnsafeNameError, type UnsafeNameReason } from '../fs/names.js';

/** Why `name` must not become a local path component, or undefined when it may. */
export function unsafeNameReason(name: Buffer): UnsafeNameReason | undefined {
  const r = entryNameReason(name);
  if (r) return r;
  if (sep !== '/' && name.includes(Buffer.from(sep))) return 'slash';
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
