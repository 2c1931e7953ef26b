// Argument checks with node:fs's error shapes (TypeError/RangeError carrying Node's `code`), so that
// code written against node:fs/promises sees the same failure before any RPC is sent.

import { inspect } from 'node:util';

type Ctor = new (message: string) => Error;

function make(Base: Ctor, code: string, message: string): Error & { code: string } {
  const e = new Base(message) as Error & { code: string };
  e.code = code;
  return e;
}

/** How Node describes the value it received in an argument error. */
function received(v: unknown): string {
  if (v == null) return ` Received ${v}`;
  if (typeof v === 'function') return ` Received function ${v.name}`;
  if (typeof v === 'object') {
    if (v.constructor?.name) return ` Received an instance of ${v.constructor.name}`;
    return ` Received ${inspect(v, { depth: -1 })}`;
  }
  let shown = inspect(v, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof v} (${shown})`;
}

export function invalidArgType(name: string, expected: string, value: unknown): Error & { code: string } {
  const what = name.includes('.') ? 'property' : 'argument';
  return make(
    TypeError,
    'ERR_INVALID_ARG_TYPE',
    `The "${name}" ${what} must be ${expected}.${received(value)}`,
  );
}

export function invalidArgValue(name: string, value: unknown, reason: string): Error & { code: string } {
  return make(
    TypeError,
    'ERR_INVALID_ARG_VALUE',
    `The argument '${name}' ${reason}. Received ${inspect(value)}`,
  );
}

export function outOfRange(name: string, range: string, value: unknown): Error & { code: string } {
  return make(
    RangeError,
    'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`,
  );
}

export function validateInteger(
  value: unknown,
  name: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

export function isArrayBufferView(v: unknown): v is ArrayBufferView {
  return ArrayBuffer.isView(v);
}

/** The bytes of any ArrayBufferView (Buffer, TypedArray, DataView), without copying. */
export function viewBytes(v: ArrayBufferView, offset = 0, length = v.byteLength - offset): Buffer {
  return Buffer.from(v.buffer, v.byteOffset + offset, length);
}

export function validateBufferArray(
  buffers: unknown,
  name = 'buffers',
): asserts buffers is ArrayBufferView[] {
  if (!Array.isArray(buffers) || !buffers.every(isArrayBufferView))
    throw invalidArgType(name, 'an ArrayBufferView[]', buffers);
}

/** node:fs positions: a non-negative safe integer is a place in the file; anything else is "here". */
export function positionOf(p: unknown): number | null {
  return typeof p === 'number' && Number.isSafeInteger(p) && p >= 0 ? p : null;
}

/** A file mode: a number, or an octal string ('644'), as node:fs parses it. */
export function parseFileMode(value: unknown, name: string): number {
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value))
      throw invalidArgValue(name, value, 'must be a 32-bit unsigned integer or an octal string');
    value = Number.parseInt(value, 8);
  }
  validateInteger(value, name, 0, 2 ** 32 - 1);
  return value;
}

/** atime/mtime arguments: a Date, seconds as a number or numeric string (node:fs's toUnixTimestamp). */
export function toUnixSeconds(t: unknown, name: string): number {
  if (typeof t === 'string' && !Number.isNaN(Number(t))) return Number(t);
  if (typeof t === 'number' && !Number.isNaN(t)) return !Number.isFinite(t) || t < 0 ? Date.now() / 1000 : t;
  if (t instanceof Date) return t.getTime() / 1000;
  throw invalidArgType(name, 'an instance of Date or an Time in seconds', t);
}
