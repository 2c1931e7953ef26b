// AFS access control lists as FetchACL returns and StoreACL takes them: text of the form
// "<npos>\n<nneg>\n" followed by npos then nneg lines "<name>\t<rights>\n" (the server writes a
// tab, libacl acl_Externalize; it reads any whitespace). Rights are a bit mask (libacl prs_fs.h)
// printed as a signed decimal, so the user bit H (0x80000000) appears as a negative number.

import { AfsError } from '../rpc/errors.js';

export const PRSFS_READ = 0x1; // r
export const PRSFS_WRITE = 0x2; // w
export const PRSFS_INSERT = 0x4; // i
export const PRSFS_LOOKUP = 0x8; // l
export const PRSFS_DELETE = 0x10; // d
export const PRSFS_LOCK = 0x20; // k
export const PRSFS_ADMINISTER = 0x40; // a
/** User-defined bits A..H. */
export const PRSFS_USR0 = 0x01000000;

/** The text, NUL included, must fit an AFSOpaque of 1024 bytes. */
export const ACL_MAX_LENGTH = 1024;
/** libacl's limit on entries in one ACL (positive and negative together). */
export const ACL_MAX_ENTRIES = 20;
/** PTS names are at most 63 bytes (PR_MAXNAMELEN 64 with its NUL). */
export const ACL_MAX_NAME_LENGTH = 63;

// Letters in the order `fs listacl` prints them.
const LETTERS: ReadonlyArray<readonly [string, number]> = [
  ['r', PRSFS_READ],
  ['l', PRSFS_LOOKUP],
  ['i', PRSFS_INSERT],
  ['d', PRSFS_DELETE],
  ['w', PRSFS_WRITE],
  ['k', PRSFS_LOCK],
  ['a', PRSFS_ADMINISTER],
  ...[...'ABCDEFGH'].map((ch, i) => [ch, (PRSFS_USR0 << i) >>> 0] as const),
];

const KNOWN_BITS = LETTERS.reduce((m, [, bit]) => (m | bit) >>> 0, 0);

/** The `fs setacl` shorthands. "none" removes the entry. */
export const ACL_SHORTHANDS: Readonly<Record<string, number>> = {
  read: PRSFS_READ | PRSFS_LOOKUP,
  write: PRSFS_READ | PRSFS_LOOKUP | PRSFS_INSERT | PRSFS_DELETE | PRSFS_WRITE | PRSFS_LOCK,
  mail: PRSFS_INSERT | PRSFS_LOCK | PRSFS_LOOKUP,
  all: PRSFS_READ | PRSFS_LOOKUP | PRSFS_INSERT | PRSFS_DELETE | PRSFS_WRITE | PRSFS_LOCK | PRSFS_ADMINISTER,
  none: 0,
};

export type AclProblem = 'too-long' | 'malformed' | 'bad-rights' | 'bad-name' | 'too-many-entries';

export class AclError extends AfsError {
  constructor(
    readonly problem: AclProblem,
    detail: string,
  ) {
    super('EINVAL', `EINVAL: bad ACL (${problem}): ${detail}`);
  }
}

export interface AclEntry {
  /** A PTS user or group name (or a bare id for an orphaned entry). */
  name: string;
  /** Rights mask, unsigned. */
  rights: number;
}

export interface Acl {
  positive: AclEntry[];
  negative: AclEntry[];
}

/** "rlidwka" style text for a mask, in `fs listacl` order; bits with no letter are dropped. */
export function rightsToString(rights: number): string {
  let out = '';
  for (const [ch, bit] of LETTERS) if ((rights & bit) !== 0) out += ch;
  return out;
}

/** Parse rights as `fs setacl` does: a shorthand (read, write, mail, all, none) or letters. */
export function parseRights(text: string): number {
  const shorthand = ACL_SHORTHANDS[text];
  if (shorthand !== undefined) return shorthand;
  if (text.length === 0) throw new AclError('bad-rights', 'empty rights');
  let mask = 0;
  for (const ch of text) {
    const letter = LETTERS.find(([c]) => c === ch);
    if (!letter) throw new AclError('bad-rights', `unknown rights letter ${JSON.stringify(ch)} in ${text}`);
    mask = (mask | letter[1]) >>> 0;
  }
  return mask;
}

function checkName(name: string): void {
  if (name.length === 0 || Buffer.byteLength(name) > ACL_MAX_NAME_LENGTH || /[\s\0]/.test(name)) {
    throw new AclError('bad-name', `unusable ACL entry name ${JSON.stringify(name)}`);
  }
}

function parseCount(line: string | undefined, what: string): number {
  if (line === undefined || !/^\d{1,4}$/.test(line)) {
    throw new AclError('malformed', `${what} count ${JSON.stringify(line)} is not a small decimal number`);
  }
  return Number(line);
}

/** Parse the text of FetchACL (a trailing NUL, as servers send it, is allowed). */
export function parseAcl(input: string | Buffer): Acl {
  let text = typeof input === 'string' ? input : input.toString('utf8');
  if (Buffer.byteLength(text) > ACL_MAX_LENGTH) {
    throw new AclError('too-long', `${Buffer.byteLength(text)} bytes, more than ${ACL_MAX_LENGTH}`);
  }
  if (text.endsWith('\0')) text = text.slice(0, -1);
  if (text.includes('\0')) throw new AclError('malformed', 'NUL inside the ACL text');
  if (!text.endsWith('\n')) throw new AclError('malformed', 'ACL text does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const npos = parseCount(lines[0], 'positive');
  const nneg = parseCount(lines[1], 'negative');
  if (lines.length !== 2 + npos + nneg) {
    throw new AclError('malformed', `${lines.length - 2} entry lines for ${npos} + ${nneg} entries`);
  }
  const entry = (line: string): AclEntry => {
    const m = /^(\S+)[ \t]+(-?\d{1,10})$/.exec(line);
    if (!m) throw new AclError('malformed', `bad entry line ${JSON.stringify(line)}`);
    const value = Number(m[2]);
    if (value < -0x80000000 || value > 0xffffffff) throw new AclError('bad-rights', `rights ${m[2]}`);
    checkName(m[1]!);
    return { name: m[1]!, rights: value >>> 0 };
  };
  return {
    positive: lines.slice(2, 2 + npos).map(entry),
    negative: lines.slice(2 + npos).map(entry),
  };
}

/** The text StoreACL takes (without the NUL, which the RPC layer adds to the opaque). */
export function formatAcl(acl: Acl): string {
  const all = [...acl.positive, ...acl.negative];
  if (all.length > ACL_MAX_ENTRIES) {
    throw new AclError('too-many-entries', `${all.length} entries, at most ${ACL_MAX_ENTRIES}`);
  }
  let text = `${acl.positive.length}\n${acl.negative.length}\n`;
  for (const e of all) {
    checkName(e.name);
    if (
      !Number.isInteger(e.rights) ||
      e.rights < 0 ||
      e.rights > 0xffffffff ||
      (e.rights & ~KNOWN_BITS) !== 0
    ) {
      throw new AclError('bad-rights', `rights ${e.rights} for ${e.name}`);
    }
    text += `${e.name}\t${e.rights | 0}\n`;
  }
  if (Buffer.byteLength(text) + 1 > ACL_MAX_LENGTH) {
    throw new AclError(
      'too-long',
      `${Buffer.byteLength(text) + 1} bytes with the NUL, more than ${ACL_MAX_LENGTH}`,
    );
  }
  return text;
}

/**
 * `fs setacl` for one name: set its rights (replacing any it had) in the positive or negative
 * list; "none" or an empty mask removes the entry. Returns a new ACL.
 */
export function setAclEntry(
  acl: Acl,
  name: string,
  rights: string | number,
  options: { negative?: boolean } = {},
): Acl {
  checkName(name);
  const mask = typeof rights === 'number' ? rights >>> 0 : parseRights(rights);
  const key = options.negative ? 'negative' : 'positive';
  const list = acl[key].filter((e) => e.name !== name);
  if (mask !== 0) {
    const at = acl[key].findIndex((e) => e.name === name);
    const entry = { name, rights: mask };
    if (at >= 0) list.splice(at, 0, entry);
    else list.push(entry);
  }
  return { ...acl, [key]: list };
}

/** The rights an ACL grants a caller who is all of these names (negative rights subtract). */
export function effectiveRights(acl: Acl, names: Iterable<string>): number {
  const set = new Set(names);
  let plus = 0;
  let minus = 0;
  for (const e of acl.positive) if (set.has(e.name)) plus |= e.rights;
  for (const e of acl.negative) if (set.has(e.name)) minus |= e.rights;
  return (plus & ~minus) >>> 0;
}
