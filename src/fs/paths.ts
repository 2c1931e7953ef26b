// Arguments as node:fs/promises takes them, checked before any RPC with Node's error codes:
// paths as string, Buffer or file: URL; options as an encoding string or an object (copied at
// call time, so a caller mutating it afterwards changes nothing); modes as numbers or octal
// strings; open flags as strings or O_* numbers; AbortSignals.

import { fileURLToPath } from 'node:url';
import { type OpenFlags, parseFlags } from './handle.js';
import { invalidArgType, invalidArgValue, outOfRange, parseFileMode, validateInteger } from './node-args.js';

export type PathArg = string | Buffer | URL;

function nodeError(Base: new (m: string) => Error, code: string, message: string): Error & { code: string } {
  return Object.assign(new Base(message), { code });
}

/** A path argument as the layers below take it (string or bytes), or Node's TypeError. */
export function toPath(p: unknown, name = 'path'): string | Buffer {
  let out: string | Buffer;
  if (typeof p === 'string') out = p;
  else if (Buffer.isBuffer(p)) out = p;
  else if (p instanceof Uint8Array) out = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  else if (p instanceof URL) {
    if (p.protocol !== 'file:')
      throw nodeError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
    out = fileURLToPath(p);
  } else throw invalidArgType(name, 'of type string or an instance of Buffer or URL', p);
  if (typeof out === 'string' ? out.includes('\0') : out.includes(0))
    throw invalidArgValue(name, p, 'must be a string, Uint8Array, or URL without null bytes');
  return out;
}

/** The path for messages and error fields. */
export const shownPath = (p: string | Buffer): string => (typeof p === 'string' ? p : p.toString());

/**
 * Options given as an object or an encoding string (null/undefined = defaults), copied now. A
 * string becomes `{ [stringKey]: value }` (encoding for most calls).
 */
export function optionsOf<T extends object>(o: unknown, stringKey = 'encoding'): Partial<T> {
  if (o === undefined || o === null) return {};
  if (typeof o === 'string') return { [stringKey]: o } as Partial<T>;
  if (typeof o !== 'object')
    throw invalidArgType('options', 'one of type string or an instance of Object', o);
  return { ...(o as T) };
}

const ENCODINGS = new Set([
  'ascii',
  'utf8',
  'utf-8',
  'utf16le',
  'utf-16le',
  'ucs2',
  'ucs-2',
  'base64',
  'base64url',
  'latin1',
  'binary',
  'hex',
  'buffer',
]);

/** Node's assertEncoding. */
export function checkEncoding(enc: unknown): void {
  if (enc === undefined || enc === null) return;
  if (typeof enc !== 'string' || !(ENCODINGS.has(enc) || Buffer.isEncoding(enc)))
    throw Object.assign(
      new TypeError(`The argument 'encoding' is invalid encoding. Received ${String(enc)}`),
      {
        code: 'ERR_INVALID_ARG_VALUE',
      },
    );
}

export function checkBoolean(v: unknown, name: string): void {
  if (v !== undefined && typeof v !== 'boolean') throw invalidArgType(name, 'of type boolean', v);
}

export function checkSignal(signal: unknown): void {
  if (signal === undefined) return;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal))
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
}

/** A mode argument (number or octal string), or `def` when undefined. */
export function modeOf(v: unknown, name: string, def: number): number {
  return v === undefined || v === null ? def : parseFileMode(v, name);
}

/** access()/copyFile() mode: an integer 0..7. */
export function smallMode(v: unknown, name: string, def: number): number {
  if (v === undefined || v === null) return def;
  validateInteger(v, name, 0, 7);
  return v;
}

/** Linux O_* values (node's fs.constants on Linux). */
export const O = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY: 0o400,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_DIRECTORY: 0o200000,
  O_NOATIME: 0o1000000,
  O_NOFOLLOW: 0o400000,
  O_SYNC: 0o4010000,
  O_DSYNC: 0o10000,
  O_DIRECT: 0o40000,
  O_NONBLOCK: 0o4000,
} as const;

const FLAG_STRINGS = new Set([
  'r',
  'rs',
  'sr',
  'r+',
  'rs+',
  'sr+',
  'w',
  'wx',
  'xw',
  'w+',
  'wx+',
  'xw+',
  'a',
  'ax',
  'xa',
  'as',
  'sa',
  'a+',
  'ax+',
  'xa+',
  'as+',
  'sa+',
]);

/** Open flags from a string (checked) or O_* number, as the handle takes them. */
export function flagsOf(flags: unknown, def = 'r'): OpenFlags {
  if (flags === undefined || flags === null) return parseFlags(def);
  if (typeof flags === 'object' && 'truncate' in flags) return flags as OpenFlags; // already parsed
  if (typeof flags === 'string') {
    if (!FLAG_STRINGS.has(flags)) throw invalidArgValue('flags', flags, 'is invalid');
    return parseFlags(flags.replace(/^x([wa])/, '$1x'));
  }
  if (typeof flags !== 'number') throw invalidArgValue('flags', flags, 'is invalid');
  validateInteger(flags, 'flags', -(2 ** 31), 2 ** 31 - 1);
  const acc = flags & 3;
  return {
    read: acc === O.O_RDONLY || acc === O.O_RDWR,
    write: acc === O.O_WRONLY || acc === O.O_RDWR,
    create: (flags & O.O_CREAT) !== 0,
    exclusive: (flags & O.O_CREAT) !== 0 && (flags & O.O_EXCL) !== 0,
    truncate: (flags & O.O_TRUNC) !== 0 && acc !== O.O_RDONLY,
    append: (flags & O.O_APPEND) !== 0,
  };
}

/** A length or size argument (truncate len): integer, negatives mean 0 as ftruncate does. */
export function lengthOf(v: unknown, name: string): number {
  if (v === undefined || v === null) return 0;
  validateInteger(v, name);
  return Math.max(0, v);
}

export { outOfRange };
