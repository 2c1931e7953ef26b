import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  FcryptKeyError,
  FcryptSchedule,
  fcryptEcb,
  fcryptIv,
  fcryptPcbcDecrypt,
  fcryptPcbcEncrypt,
  fcryptPcbcInPlace,
} from '../../src/rx/crypto/fcrypt.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const theQuick = Buffer.from('The quick brown fox jumps over the lazy dogs.\0\0\0', 'latin1');

// Linux crypto/testmgr.h pcbc(fcrypt) vectors; the last two also appear in OpenAFS
// src/rxkad/test/fc_test.c (from Arla).
const vectors = [
  { key: '0000000000000000', iv: '0000000000000000', pt: hex('0000000000000000'), ct: '0e0900c73ef7ed41' },
  { key: '114477aadd003366', iv: '0000000000000000', pt: hex('123456789abcdef0'), ct: 'd8ed787477ec0680' },
  {
    key: 'f0e1d2c3b4a59687',
    iv: 'fedcba9876543210',
    pt: theQuick,
    ct: '00f00e1175e62382 eeac98624451e484 c359d8aa6460aef7 d2d9137972a34503 23b562d70cf527d1 f8913cac442292ef',
  },
  {
    key: 'fedcba9876543210',
    iv: 'f0e1d2c3b4a59687',
    pt: theQuick,
    ct: 'ca90f59dcbd4d23c 01887f3e316e629d d8e057a3063a4258 2a28fe72522fdde0 1989091c2a8e8c94 fcc768e488aade0f',
  },
];

test('fcrypt PCBC matches the published pcbc(fcrypt) vectors, both directions', () => {
  assert.equal(theQuick.length, 48);
  for (const v of vectors) {
    const ks = new FcryptSchedule(hex(v.key));
    const ct = fcryptPcbcEncrypt(ks, hex(v.iv), v.pt);
    assert.equal(ct.toString('hex'), v.ct.replace(/\s+/g, ''), `key ${v.key}`);
    assert.deepEqual(fcryptPcbcDecrypt(ks, hex(v.iv), ct), v.pt);
  }
});

test('fcrypt ECB of one block equals PCBC with a zero IV, and decrypts back', () => {
  const ks = new FcryptSchedule(hex('114477aadd003366'));
  const block = hex('123456789abcdef0');
  const out = Buffer.alloc(8);
  fcryptEcb(ks, block, 0, out, 0, true);
  assert.equal(out.toString('hex'), 'd8ed787477ec0680');
  fcryptEcb(ks, out, 0, out, 0, false);
  assert.deepEqual(out, block);
});

test('PCBC zero-pads a partial last block and chains across split buffers', () => {
  const ks = new FcryptSchedule(hex('f0e1d2c3b4a59687'));
  const iv = hex('fedcba9876543210');
  // 45 bytes of text: the padded encryption equals the 48-byte vector (its tail is NULs).
  const short = theQuick.subarray(0, 45);
  assert.equal(fcryptPcbcEncrypt(ks, iv, short).toString('hex'), vectors[2].ct.replace(/\s+/g, ''));
  // Chaining value carried between two calls gives the same result as one call.
  const data = randomBytes(64);
  const whole = fcryptPcbcEncrypt(ks, iv, data);
  const split = Buffer.from(data);
  const state = fcryptIv(iv);
  fcryptPcbcInPlace(ks, state, split, 0, 24, true);
  fcryptPcbcInPlace(ks, state, split, 24, 40, true);
  assert.deepEqual(split, whole);
  assert.throws(() => fcryptPcbcInPlace(ks, fcryptIv(iv), split, 0, 12, true), RangeError);
});

test('PCBC: a flipped ciphertext bit garbles every later block (error propagation)', () => {
  const ks = new FcryptSchedule(randomBytes(8));
  const iv = randomBytes(8);
  const data = randomBytes(40);
  const ct = fcryptPcbcEncrypt(ks, iv, data);
  ct[9] ^= 1;
  const back = fcryptPcbcDecrypt(ks, iv, ct);
  assert.deepEqual(back.subarray(0, 8), data.subarray(0, 8));
  for (let b = 1; b < 5; b++)
    assert.notDeepEqual(back.subarray(b * 8, b * 8 + 8), data.subarray(b * 8, b * 8 + 8));
});

test('the key schedule ignores parity bits and rejects wrong key sizes', () => {
  const a = new FcryptSchedule(hex('f0e1d2c3b4a59687'));
  const b = new FcryptSchedule(hex('f1e0d3c2b5a49786'));
  assert.deepEqual(a.sub, b.sub);
  assert.throws(() => new FcryptSchedule(Buffer.alloc(7)), FcryptKeyError);
});

test('PCBC in place gives the same bytes at every alignment of the range (word views and scratch copy)', () => {
  const key = hex('fedcba9876543210');
  const ks = new FcryptSchedule(key);
  const data = randomBytes(4096);
  const reference = fcryptPcbcEncrypt(ks, key, data);
  for (let shift = 0; shift < 8; shift++) {
    // A buffer whose payload starts `shift` bytes into a larger one: 4-aligned or not.
    const outer = Buffer.alloc(data.length + 16, 0xa5);
    data.copy(outer, shift);
    const iv = fcryptIv(key);
    fcryptPcbcInPlace(ks, iv, outer, shift, data.length, true);
    assert.deepEqual(outer.subarray(shift, shift + data.length), reference, `shift ${shift}`);
    assert.ok(
      outer.subarray(0, shift).every((b) => b === 0xa5),
      `bytes before the range, shift ${shift}`,
    );
    assert.ok(
      outer.subarray(shift + data.length).every((b) => b === 0xa5),
      `bytes after, shift ${shift}`,
    );
    fcryptPcbcInPlace(ks, fcryptIv(key), outer, shift, data.length, false);
    assert.deepEqual(outer.subarray(shift, shift + data.length), data, `decrypt, shift ${shift}`);
  }
});
