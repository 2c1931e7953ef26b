// Entry names come from the file server, and a hostile or broken server can send anything. A name
// that is empty, "." or "..", or holds "/" or NUL does not name one entry of the directory it was
// listed in: joined to a path and walked again it would lead somewhere else (the parent, another
// cell). Every recursive operation (rm, cp, readdir recursive, the CLI's get -r and put -r) asks
// this one rule before following or acting on a name.

/** Linux NAME_MAX (and AFS's own limit). */
export const NAME_MAX = 255;

export type UnsafeNameReason = 'empty' | 'dot' | 'dot-dot' | 'slash' | 'nul' | 'too-long';

/**
 * Why a recursive operation did not follow an entry: its name, a name listed twice, or a
 * directory that is not a child of the one listing it (its ".." names another directory, or it
 * was already visited).
 */
export type RefusedReason = UnsafeNameReason | 'duplicate' | 'foreign-directory';

/** Why `name` is not one entry of its directory, or undefined when it is. */
export function unsafeNameReason(name: Uint8Array): UnsafeNameReason | undefined {
  if (name.length === 0) return 'empty';
  if (name.includes(0)) return 'nul';
  if (name.includes(0x2f)) return 'slash';
  if (name.length === 1 && name[0] === 0x2e) return 'dot';
  if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) return 'dot-dot';
  if (name.length > NAME_MAX) return 'too-long';
  return undefined;
}

/** A name for messages: JSON-quoted, bytes that are not printable UTF-8 as \xNN. */
export function printableName(name: Uint8Array | string): string {
  const b = typeof name === 'string' ? Buffer.from(name) : Buffer.from(name);
  const text = b.toString('utf8');
  if (Buffer.from(text).equals(b)) return JSON.stringify(text);
  return `"${[...b].map((c) => (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('')}"`;
}

/** An entry a recursive operation refused to follow, and why. */
export interface RefusedName {
  name: Buffer;
  reason: RefusedReason;
}

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

/** Warn (process 'warning' event) about names a recursive operation skipped. */
export function warnRefused(op: string, dir: string, refused: readonly RefusedName[]): void {
  if (refused.length === 0) return;
  const list = refused.map((r) => `${printableName(r.name)} (${r.reason})`).join(', ');
  process.emitWarning(`${op} '${dir}': skipped entry names that do not name one entry: ${list}`, {
    type: 'TsafsUnsafeNameWarning',
    code: 'TSAFS_UNSAFE_NAME',
  });
}
