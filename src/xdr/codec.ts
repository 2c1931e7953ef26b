// Declarative XDR codecs in the rxgen conventions. A Codec<T, In> decodes to T and encodes from In
// (In differs only where encoding is more forgiving, e.g. names given as string or bytes).
// Every codec knows the minimum size of its encoding, so counted arrays can reject a count that the
// remaining bytes cannot possibly hold before allocating anything, and the maximum, so a whole
// message (an RPC's reply) can be refused as soon as it grows past what its definition allows.

import { XdrError } from './errors.js';
import { XdrReader } from './reader.js';
import { padLength, XdrWriter } from './writer.js';

export { XdrError, type XdrErrorCode } from './errors.js';
export { XdrReader } from './reader.js';
export { padLength, XdrWriter } from './writer.js';

export interface Codec<T, In = T> {
  /** Smallest number of bytes any value takes on the wire. */
  readonly minSize: number;
  /** Largest number of bytes any value takes (from the declared maxima; huge where none is declared). */
  readonly maxSize: number;
  /** Exact size when every value takes the same number of bytes. */
  readonly fixedSize?: number;
  encode(w: XdrWriter, v: In): void;
  decode(r: XdrReader): T;
}

/** Any codec, for constraints. */
// biome-ignore lint/suspicious/noExplicitAny: the encode side must accept every input type here
export type AnyCodec = Codec<unknown, any>;
export type Decoded<C> = C extends Codec<infer T, infer _In> ? T : never;
export type Encoded<C> = C extends Codec<infer _T, infer In> ? In : never;

const MAX_U32 = 0xffff_ffff;

function fixed<T, In = T>(size: number, encode: Codec<T, In>['encode'], decode: Codec<T, In>['decode']) {
  return { minSize: size, maxSize: size, fixedSize: size, encode, decode } as Codec<T, In>;
}

// ---- scalars -------------------------------------------------------------------------------------

export const u32: Codec<number> = fixed(
  4,
  (w, v) => w.u32(v),
  (r) => r.u32(),
);
export const i32: Codec<number> = fixed(
  4,
  (w, v) => w.i32(v),
  (r) => r.i32(),
);
export const bool: Codec<boolean> = fixed(
  4,
  (w, v) => w.bool(v),
  (r) => r.bool(),
);
/** afs_int64 as bigint. */
export const hyper: Codec<bigint> = fixed(
  8,
  (w, v) => w.hyper(v),
  (r) => r.hyper(),
);
/** afs_uint64 as bigint. */
export const uhyper: Codec<bigint> = fixed(
  8,
  (w, v) => w.uhyper(v),
  (r) => r.uhyper(),
);
/** afs_uint64 as a number; values beyond 2^53 − 1 are XDR_RANGE. */
export const u64: Codec<number> = fixed(
  8,
  (w, v) => w.u64(v),
  (r) => r.u64(),
);
/** afs_int64 as a number; values beyond ±(2^53 − 1) are XDR_RANGE. */
export const i64: Codec<number> = fixed(
  8,
  (w, v) => w.i64(v),
  (r) => r.i64(),
);

// rxgen widens char and short to a full word each; OpenAFS sign-extends the signed ones on encode
// and truncates on decode, so we do the same.
function narrow(bits: 8 | 16, signed: boolean): Codec<number> {
  const shift = 32 - bits;
  const lo = signed ? -(1 << (bits - 1)) : 0;
  const hi = (1 << bits) - 1; // accept the unsigned spelling of a signed value too
  return fixed(
    4,
    (w, v) => {
      if (!Number.isInteger(v) || v < lo || v > hi)
        throw new XdrError('XDR_RANGE', `not a ${bits}-bit value: ${v}`);
      w.i32(signed ? (v << shift) >> shift : v);
    },
    (r) => {
      const x = r.u32();
      return signed ? (x << shift) >> shift : x & hi;
    },
  );
}
/** rxgen `char`: one word, sign-extended. */
export const char = narrow(8, true);
/** rxgen `u_char`. */
export const uchar = narrow(8, false);
/** rxgen `short`. */
export const short = narrow(16, true);
/** rxgen `u_short`. */
export const ushort = narrow(16, false);

/** An enumeration carried as a u32; values outside `allowed` are XDR_BAD_VALUE both ways. */
export function enumU32<E extends number>(allowed: readonly E[]): Codec<E> {
  const ok = new Set<number>(allowed);
  const bad = (v: number, at?: number) =>
    new XdrError('XDR_BAD_VALUE', `enum value ${v} not in {${allowed.join(',')}}`, at);
  return fixed(
    4,
    (w, v) => {
      if (!ok.has(v)) throw bad(v);
      w.u32(v);
    },
    (r) => {
      const at = r.offset;
      const v = r.u32();
      if (!ok.has(v)) throw bad(v, at);
      return v as E;
    },
  );
}

// ---- byte strings ----------------------------------------------------------------------------------

/** Wire size of the longest `<max>` byte string: length word, bytes, padding. */
const counted = (max: number) => 4 + max + padLength(max);

/** `string s<max>` as UTF-8; encode accepts bytes too. */
export function string(max = MAX_U32): Codec<string, string | Uint8Array> {
  return {
    minSize: 4,
    maxSize: counted(max),
    encode: (w, v) => w.string(v, max),
    decode: (r) => r.string(max),
  };
}

/** `string s<max>` as exact bytes (AFS names are bytes); encode accepts a UTF-8 string too. */
export function stringBytes(max = MAX_U32): Codec<Buffer, string | Uint8Array> {
  return {
    minSize: 4,
    maxSize: counted(max),
    encode: (w, v) => w.string(v, max),
    decode: (r) => r.opaque(max),
  };
}

/** `opaque x<max>`, decoded as a zero-copy view of the input buffer. */
export function opaque(max = MAX_U32): Codec<Buffer, Uint8Array> {
  return {
    minSize: 4,
    maxSize: counted(max),
    encode: (w, v) => w.opaque(v, max),
    decode: (r) => r.opaque(max),
  };
}

/** `opaque x[n]`, decoded as a zero-copy view. */
export function fixedOpaque(n: number): Codec<Buffer, Uint8Array> {
  const size = n + padLength(n);
  return fixed(
    size,
    (w, v) => w.fixedOpaque(v, n),
    (r) => r.fixedOpaque(n),
  );
}

/**
 * rxgen `char x[n]` (e.g. vldbentry.name[65]): n words, one byte in each, as raw bytes.
 * Encode takes at most n bytes and zero-fills the rest.
 */
export function wordCharsRaw(n: number): Codec<Buffer, Uint8Array> {
  return fixed(
    4 * n,
    (w, v) => {
      if (v.length > n) throw new XdrError('XDR_TOO_LONG', `${v.length} chars exceed char[${n}]`);
      w.ensure(4 * n);
      for (let i = 0; i < n; i++) w.i32(i < v.length ? (v[i]! << 24) >> 24 : 0);
    },
    (r) => {
      r.need(4 * n, `char[${n}]`);
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = r.u32() & 0xff;
      return out;
    },
  );
}

/**
 * rxgen `char x[n]` as a NUL-terminated C string: decodes up to the first NUL (UTF-8);
 * encode needs room for the terminator, so at most n − 1 bytes.
 */
export function wordChars(n: number): Codec<string, string | Uint8Array> {
  const raw = wordCharsRaw(n);
  return fixed(
    4 * n,
    (w, v) => {
      const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
      if (bytes.length > n - 1)
        throw new XdrError('XDR_TOO_LONG', `${bytes.length} bytes do not fit char[${n}] with NUL`);
      raw.encode(w, bytes);
    },
    (r) => {
      const bytes = raw.decode(r);
      const nul = bytes.indexOf(0);
      return bytes.toString('utf8', 0, nul < 0 ? n : nul);
    },
  );
}

// ---- composites ------------------------------------------------------------------------------------

/** Counted array `T x<max>`: the count is checked against max and the remaining bytes before allocating. */
export function array<T, In>(item: Codec<T, In>, max = MAX_U32): Codec<T[], readonly In[]> {
  // With zero-size items the remaining-bytes check bounds nothing; no AFS type needs them.
  if (item.minSize <= 0) throw new TypeError('array items must take at least one byte on the wire');
  const size = item.fixedSize;
  return {
    minSize: 4,
    maxSize: 4 + max * item.maxSize,
    encode(w, v) {
      if (v.length > max) throw new XdrError('XDR_TOO_LONG', `array of ${v.length} exceeds ${max}`);
      if (size !== undefined) w.ensure(4 + size * v.length);
      w.u32(v.length);
      for (let i = 0; i < v.length; i++) item.encode(w, v[i]!);
    },
    decode(r) {
      const at = r.offset;
      const count = r.u32();
      if (count > max) throw new XdrError('XDR_TOO_LONG', `array count ${count} exceeds ${max}`, at);
      if (count * item.minSize > r.remaining) {
        throw new XdrError('XDR_SHORT', `array count ${count} cannot fit in ${r.remaining} bytes`, at);
      }
      const out = new Array<T>(count);
      for (let i = 0; i < count; i++) out[i] = item.decode(r);
      return out;
    },
  };
}

/** Fixed array `T x[n]`: exactly n items, no count on the wire. */
export function fixedArray<T, In>(item: Codec<T, In>, n: number): Codec<T[], readonly In[]> {
  const size = item.fixedSize;
  return {
    minSize: n * item.minSize,
    maxSize: n * item.maxSize,
    ...(size === undefined ? {} : { fixedSize: n * size }),
    encode(w, v) {
      if (v.length !== n)
        throw new XdrError('XDR_BAD_VALUE', `fixed array needs ${n} items, got ${v.length}`);
      if (size !== undefined) w.ensure(size * n);
      for (let i = 0; i < n; i++) item.encode(w, v[i]!);
    },
    decode(r) {
      r.need(n * item.minSize, `fixed array [${n}]`);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = item.decode(r);
      return out;
    },
  };
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type StructFields = Record<string, AnyCodec>;
export type StructOf<F extends StructFields> = Simplify<{ -readonly [K in keyof F]: Decoded<F[K]> }>;
export type StructIn<F extends StructFields> = Simplify<{ [K in keyof F]: Encoded<F[K]> }>;

/**
 * A struct: fields in declaration order, no padding between them. Field names must not look like
 * array indices, because JavaScript would reorder such keys.
 */
export function struct<F extends StructFields>(fields: F): Codec<StructOf<F>, StructIn<F>> {
  const keys = Object.keys(fields);
  for (const k of keys) {
    if (/^(0|[1-9]\d*)$/.test(k)) throw new TypeError(`struct field name "${k}" would be reordered`);
  }
  const codecs = keys.map((k) => fields[k]!);
  let minSize = 0;
  let maxSize = 0;
  let fixedSize: number | undefined = 0;
  for (const c of codecs) {
    minSize += c.minSize;
    maxSize += c.maxSize;
    fixedSize = fixedSize === undefined || c.fixedSize === undefined ? undefined : fixedSize + c.fixedSize;
  }
  const n = keys.length;
  return {
    minSize,
    maxSize,
    ...(fixedSize === undefined ? {} : { fixedSize }),
    encode(w, v) {
      if (fixedSize !== undefined) w.ensure(fixedSize);
      const o = v as Record<string, unknown>;
      for (let i = 0; i < n; i++) codecs[i]!.encode(w, o[keys[i]!] as never);
    },
    decode(r) {
      r.need(minSize, 'struct');
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) o[keys[i]!] = codecs[i]!.decode(r);
      return o as StructOf<F>;
    },
  };
}

/** A struct with no fields (RPCs without IN or OUT parameters). */
export const empty = struct({});

/** rxgen pointer / optional: a present flag word, then the item if present. */
export function optional<T, In>(item: Codec<T, In>): Codec<T | undefined, In | undefined | null> {
  return {
    minSize: 4,
    maxSize: 4 + item.maxSize,
    encode(w, v) {
      if (v === undefined || v === null) {
        w.u32(0);
      } else {
        w.u32(1);
        item.encode(w, v);
      }
    },
    decode(r) {
      return r.bool() ? item.decode(r) : undefined;
    },
  };
}

/** A codec whose values are converted on the way in and out (friendly views of raw structs). */
export function transform<T, In, U, UIn = U>(
  inner: Codec<T, In>,
  fromWire: (t: T, r: XdrReader) => U,
  toWire: (u: UIn) => In,
): Codec<U, UIn> {
  return {
    minSize: inner.minSize,
    maxSize: inner.maxSize,
    ...(inner.fixedSize === undefined ? {} : { fixedSize: inner.fixedSize }),
    encode: (w, v) => inner.encode(w, toWire(v)),
    decode: (r) => {
      const at = r.offset;
      const t = inner.decode(r);
      try {
        return fromWire(t, r);
      } catch (e) {
        // Conversion failures are about the bytes just read: report them as XDR errors at that spot.
        if (e instanceof XdrError) throw e;
        throw new XdrError('XDR_BAD_VALUE', (e as Error).message, at);
      }
    },
  };
}

// ---- whole messages ---------------------------------------------------------------------------------

/** Encode one value into a fresh buffer. */
export function encode<In>(codec: Codec<unknown, In>, v: In): Buffer {
  const w = new XdrWriter(codec.fixedSize ?? 256);
  codec.encode(w, v);
  return w.finish();
}

/** Decode one value that must occupy the whole buffer (trailing bytes are XDR_TRAILING). */
export function decode<T>(codec: Codec<T, never>, buf: Buffer): T {
  const r = new XdrReader(buf);
  const v = codec.decode(r);
  r.expectEnd();
  return v;
}
