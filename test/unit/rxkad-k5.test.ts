import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compressParityBits,
  deriveRxkadKey,
  RxkadKdfError,
  rxkadSessionKeyFromKrb5,
} from '../../src/auth/rxkad-k5.js';
import { hasOddParity, isWeakDesKey } from '../../src/rx/crypto/des.js';

const hex = (s: string) => Buffer.from(s, 'hex');

// Known answers: HMAC-MD5(key, 01 ‖ "rxkad\0" ‖ 00000040) computed with the OpenSSL command line
// (`openssl dgst -md5 -mac HMAC -macopt hexkey:…`), first 8 bytes, odd parity fixed by hand.
test('rxkad-kdf known answers (counter 1 is not weak)', () => {
  const aes256 = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  // HMAC = b70db5e30b276b16…  → parity-adjusted b60db5e30b266b16
  assert.equal(deriveRxkadKey(aes256).toString('hex'), 'b60db5e30b266b16');
  const aes128 = hex('0123456789abcdeffedcba9876543210');
  // HMAC = 64db97ab189bcb35…  → 64da97ab199bcb34
  assert.equal(deriveRxkadKey(aes128).toString('hex'), '64da97ab199bcb34');
  assert.equal(rxkadSessionKeyFromKrb5(18, aes256).toString('hex'), 'b60db5e30b266b16');
  assert.equal(rxkadSessionKeyFromKrb5(17, aes128).toString('hex'), '64da97ab199bcb34');
});

test('derived keys always have odd parity and are never weak', () => {
  for (let i = 0; i < 300; i++) {
    const k = deriveRxkadKey(Buffer.from(`session key ${i}`));
    assert.equal(k.length, 8);
    assert.ok(hasOddParity(k));
    assert.ok(!isWeakDesKey(k));
  }
});

test('enctype handling: DES passes through, refused enctypes and short keys are typed errors', () => {
  const des = hex('0123456789abcdef');
  assert.deepEqual(rxkadSessionKeyFromKrb5(3, des), des);
  assert.throws(() => rxkadSessionKeyFromKrb5(1, Buffer.alloc(16)), RxkadKdfError);
  for (const e of [0, 4, 6, 8, 15, -1]) {
    assert.throws(
      () => rxkadSessionKeyFromKrb5(e, Buffer.alloc(32)),
      (x: unknown) => x instanceof RxkadKdfError && x.code === 'RXKAD_KDF_ENCTYPE',
    );
  }
  assert.throws(() => rxkadSessionKeyFromKrb5(23, Buffer.alloc(6)), RxkadKdfError);
  // 3DES: the parity-carrying byte of each 8 is folded back into 7 random bytes first.
  const k3 = Buffer.alloc(24, 0xff);
  assert.equal(compressParityBits(k3).length, 21);
  assert.deepEqual(rxkadSessionKeyFromKrb5(16, k3), deriveRxkadKey(compressParityBits(k3)));
});

test('compressParityBits rebuilds the low bits from the eighth byte', () => {
  // Low bits of bytes 0..6 come from bits 1..7 of byte 7.
  const block = hex('0000000000000082'); // 0x82 >> 1 = 0x41: bits 0 and 6 set
  assert.equal(compressParityBits(block).toString('hex'), '01000000000001');
});
