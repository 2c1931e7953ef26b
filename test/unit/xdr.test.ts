import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  array,
  bool,
  type Codec,
  char,
  decode,
  encode,
  enumU32,
  fixedArray,
  fixedOpaque,
  hyper,
  i32,
  i64,
  opaque,
  optional,
  short,
  string,
  stringBytes,
  struct,
  u32,
  u64,
  uchar,
  uhyper,
  ushort,
  wordChars,
  wordCharsRaw,
  XdrError,
  XdrReader,
  XdrWriter,
} from '../../src/xdr/codec.js';

const hex = (b: Buffer) => b.toString('hex');
const words = (...w: number[]) => {
  const b = Buffer.alloc(4 * w.length);
  w.forEach((x, i) => {
    b.writeUInt32BE(x >>> 0, 4 * i);
  });
  return b;
};
function xdrErr(code: string) {
  return (e: unknown) => e instanceof XdrError && e.code === code;
}

test('scalars encode big-endian, 64-bit as high word then low word', () => {
  assert.equal(hex(encode(u32, 0xdeadbeef)), 'deadbeef');
  assert.equal(hex(encode(i32, -2)), 'fffffffe');
  assert.equal(hex(encode(bool, true)), '00000001');
  assert.equal(hex(encode(u64, 2 ** 32 + 5)), '0000000100000005');
  assert.equal(hex(encode(i64, -1)), 'ffffffffffffffff');
  assert.equal(hex(encode(i64, -(2 ** 32) - 1)), 'fffffffeffffffff');
  assert.equal(hex(encode(hyper, -2n)), 'fffffffffffffffe');
  assert.equal(hex(encode(uhyper, 0x0102030405060708n)), '0102030405060708');
  for (const v of [0, 1, 2 ** 31, 2 ** 32 - 1]) assert.equal(decode(u32, encode(u32, v)), v);
  for (const v of [0, -1, 2 ** 31 - 1, -(2 ** 31)]) assert.equal(decode(i32, encode(i32, v)), v);
  for (const v of [0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) assert.equal(decode(u64, encode(u64, v)), v);
  for (const v of [0, -1, -(2 ** 40) + 3, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]) {
    assert.equal(decode(i64, encode(i64, v)), v);
  }
  assert.equal(decode(bool, words(7)), true, 'any non-zero word is true, as in OpenAFS xdr_bool');
});

test('out-of-range values are XDR_RANGE on encode, and unsafe 64-bit numbers on decode', () => {
  assert.throws(() => encode(u32, -1), xdrErr('XDR_RANGE'));
  assert.throws(() => encode(u32, 2 ** 32), xdrErr('XDR_RANGE'));
  assert.throws(() => encode(u32, 1.5), xdrErr('XDR_RANGE'));
  assert.throws(() => encode(i32, 2 ** 31), xdrErr('XDR_RANGE'));
  assert.throws(() => encode(u64, 2 ** 53), xdrErr('XDR_RANGE'));
  assert.throws(() => encode(uhyper, -1n), xdrErr('XDR_RANGE'));
  assert.throws(() => encode(hyper, 1n << 63n), xdrErr('XDR_RANGE'));
  assert.throws(() => decode(u64, words(0x20_0000, 0)), xdrErr('XDR_RANGE'));
  assert.equal(decode(uhyper, words(0x20_0000, 0)), 1n << 53n, 'the bigint form has no such limit');
});

test('char and short widen to a word: signed ones sign-extend, decode truncates like OpenAFS', () => {
  assert.equal(hex(encode(char, -1)), 'ffffffff');
  assert.equal(hex(encode(char, 0xe9)), 'ffffffe9', 'an unsigned spelling of a signed char is accepted');
  assert.equal(decode(char, words(0xff)), -1);
  assert.equal(decode(uchar, words(0xffffff80)), 0x80);
  assert.equal(decode(short, words(0xffff)), -1);
  assert.equal(decode(ushort, words(0x1_2345)), 0x2345);
  assert.throws(() => encode(char, 256), xdrErr('XDR_RANGE'));
  assert.throws(() => encode(ushort, -1), xdrErr('XDR_RANGE'));
});

test('strings and opaques: length word, bytes, zero padding to 4; bounds both ways', () => {
  assert.equal(hex(encode(string(65), 'root.cell')), '00000009726f6f742e63656c6c000000');
  assert.equal(hex(encode(string(), '')), '00000000');
  assert.equal(hex(encode(opaque(), Buffer.from([1, 2, 3, 4]))), '0000000401020304');
  assert.equal(hex(encode(fixedOpaque(5), Buffer.from('abcde'))), '6162636465000000');
  assert.equal(decode(string(), encode(string(), 'naïve ☃')), 'naïve ☃');
  const raw = Buffer.from([0x66, 0xff, 0x00, 0x80]);
  assert.deepEqual(decode(stringBytes(), encode(stringBytes(), raw)), raw, 'bytes survive exactly');
  assert.throws(() => encode(string(8), 'root.cell'), xdrErr('XDR_TOO_LONG'));
  assert.throws(() => decode(string(8), encode(string(), 'root.cell')), xdrErr('XDR_TOO_LONG'));
  assert.throws(() => decode(opaque(), words(8, 0)), xdrErr('XDR_SHORT'));
  // Padding counts: a 5-byte opaque needs 8 bytes after the length.
  assert.throws(
    () => decode(opaque(), Buffer.concat([words(5), Buffer.from('abcde\0\0')])),
    xdrErr('XDR_SHORT'),
  );
  assert.throws(() => encode(fixedOpaque(4), Buffer.alloc(3)), xdrErr('XDR_BAD_VALUE'));
});

test('opaque decodes as a zero-copy view of the input', () => {
  const buf = encode(opaque(), Buffer.from('hello'));
  const v = decode(opaque(), buf);
  assert.equal(v.buffer, buf.buffer);
  buf[4] = 0x4a; // 'J'
  assert.equal(v.toString(), 'Jello');
});

test('wordChars: rxgen char[n] is n words with one byte each', () => {
  const c = wordChars(65);
  const b = encode(c, 'root.cell');
  assert.equal(b.length, 260);
  assert.equal(b.readUInt32BE(0), 0x72);
  assert.equal(b.readUInt32BE(8 * 4), 0x6c);
  assert.equal(b.readUInt32BE(9 * 4), 0, 'NUL terminated');
  assert.equal(decode(c, b), 'root.cell');
  // A byte ≥ 0x80 goes out sign-extended, as OpenAFS's xdr_char does on x86.
  const hi = encode(wordCharsRaw(2), Buffer.from([0xe9, 0x41]));
  assert.equal(hex(hi), 'ffffffe900000041');
  assert.deepEqual(decode(wordCharsRaw(2), hi), Buffer.from([0xe9, 0x41]));
  assert.throws(() => encode(c, 'x'.repeat(65)), xdrErr('XDR_TOO_LONG'), 'no room for the NUL');
  assert.equal(
    decode(c, encode(wordCharsRaw(65), Buffer.alloc(65, 0x61))),
    'a'.repeat(65),
    'unterminated: all n',
  );
  assert.throws(() => decode(c, Buffer.alloc(256)), xdrErr('XDR_SHORT'));
});

test('counted arrays: count beyond max or beyond the bytes left is refused before any element is decoded', () => {
  let decodes = 0;
  const spy: Codec<number> = {
    minSize: 4,
    maxSize: 4,
    fixedSize: 4,
    encode: (w, v) => w.u32(v),
    decode: (r) => {
      decodes++;
      return r.u32();
    },
  };
  assert.throws(() => decode(array(spy, 50), words(51)), xdrErr('XDR_TOO_LONG'));
  assert.throws(() => decode(array(spy, 50), words(0xffffffff)), xdrErr('XDR_TOO_LONG'));
  // Unbounded declared max: the remaining-bytes check stops a 4-billion count at once.
  assert.throws(() => decode(array(spy), words(0xffffffff, 1, 2)), xdrErr('XDR_SHORT'));
  assert.throws(() => decode(array(array(spy)), words(0x4000_0000)), xdrErr('XDR_SHORT'));
  // Refused before any element was decoded (the spy counts): no work proportional to the count.
  assert.throws(() => decode(array(spy, 50), words(3, 1, 2)), xdrErr('XDR_SHORT'));
  assert.equal(decodes, 0);
  assert.deepEqual(decode(array(spy, 50), words(2, 7, 8)), [7, 8]);
  assert.throws(() => encode(array(u32, 2), [1, 2, 3]), xdrErr('XDR_TOO_LONG'));
  assert.throws(() => array(struct({})), TypeError, 'zero-size items could not be bounded');
});

test('fixed arrays carry no count and check their whole size up front', () => {
  const c = fixedArray(u32, 3);
  assert.equal(c.fixedSize, 12);
  assert.equal(hex(encode(c, [1, 2, 3])), '000000010000000200000003');
  assert.throws(() => decode(c, words(1, 2)), xdrErr('XDR_SHORT'));
  assert.throws(() => encode(c, [1, 2]), xdrErr('XDR_BAD_VALUE'));
});

test('struct keeps declaration order, infers its type, and rejects index-like field names', () => {
  const s = struct({ zeta: u32, alpha: string(10), mid: optional(i32) });
  const v = { zeta: 1, alpha: 'ab', mid: -3 };
  const b = encode(s, v);
  assert.equal(hex(b), `00000001${'00000002'}61620000${'00000001'}fffffffd`);
  const back: { zeta: number; alpha: string; mid: number | undefined } = decode(s, b);
  assert.deepEqual(back, v);
  assert.deepEqual(decode(s, encode(s, { zeta: 1, alpha: '', mid: undefined })), {
    zeta: 1,
    alpha: '',
    mid: undefined,
  });
  assert.equal(s.minSize, 12);
  // 4 + string<10> (4 + 10 + 2 padding) + optional (flag + 4).
  assert.equal(s.maxSize, 4 + 16 + 8);
  assert.equal(array(s, 3).maxSize, 4 + 3 * 28);
  assert.equal(fixedArray(s, 2).maxSize, 56);
  assert.equal(s.fixedSize, undefined);
  assert.equal(struct({ a: u32, b: hyper }).fixedSize, 12);
  assert.throws(() => struct({ 0: u32 }), TypeError);
});

test('enums are u32 limited to their values', () => {
  const e = enumU32([0, 1] as const);
  assert.equal(decode(e, words(1)), 1);
  assert.throws(() => decode(e, words(2)), xdrErr('XDR_BAD_VALUE'));
  assert.throws(() => encode(e, 5 as 0), xdrErr('XDR_BAD_VALUE'));
});

test('trailing bytes after a whole message are XDR_TRAILING', () => {
  assert.throws(() => decode(u32, words(1, 2)), xdrErr('XDR_TRAILING'));
});

const composite = struct({
  id: u32,
  name: stringBytes(32),
  size: u64,
  dv: hyper,
  tags: array(string(16), 8),
  grid: fixedArray(i32, 2),
  flag: bool,
  link: optional(struct({ a: u32 })),
});

test('every truncation of a valid message is an XdrError, never a RangeError', () => {
  const b = encode(composite, {
    id: 7,
    name: 'volume.readonly',
    size: 2 ** 40 + 1,
    dv: -5n,
    tags: ['a', 'bcd', 'efghi'],
    grid: [1, -1],
    flag: true,
    link: { a: 9 },
  });
  for (let n = 0; n < b.length; n++) {
    assert.throws(
      () => composite.decode(new XdrReader(b, 0, n)),
      (e: unknown) => e instanceof XdrError && (e.code === 'XDR_SHORT' || e.code === 'XDR_TOO_LONG'),
      `prefix of ${n} bytes`,
    );
  }
});

test('round trip of arbitrary composite values (property)', () => {
  fc.assert(
    fc.property(
      fc.record({
        id: fc.nat({ max: 0xffffffff }),
        name: fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a)),
        size: fc.maxSafeNat(),
        dv: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        tags: fc.array(fc.string({ maxLength: 4 }), { maxLength: 8 }),
        grid: fc
          .tuple(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer())
          .map(([a, b]) => [a, b | 0]),
        flag: fc.boolean(),
        link: fc.option(
          fc.nat({ max: 0xffffffff }).map((a) => ({ a })),
          { nil: undefined },
        ),
      }),
      (v) => {
        const b = encode(composite, v);
        assert.equal(b.length % 4, 0);
        assert.deepEqual(decode(composite, b), { ...v });
      },
    ),
    { numRuns: 300 },
  );
});

test('writer grows for big arrays; a 1M-element array round-trips', () => {
  const n = 1_000_000;
  const values = Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0);
  const c = array(u32);
  const b = encode(c, values);
  assert.equal(b.length, 4 + 4 * n);
  assert.equal(b.readUInt32BE(4 + 4 * 12345), values[12345]);
  const back = decode(c, b);
  assert.equal(back.length, n);
  assert.deepEqual(back.slice(-3), values.slice(-3));
  // Speed belongs to benchmarks, not tests (a loaded CI machine must not fail this).
  const w = new XdrWriter(16);
  for (let i = 0; i < 1000; i++) w.string('abcde');
  assert.equal(w.length, 1000 * 12);
});
