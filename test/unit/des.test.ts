import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  DesKey,
  DesKeyError,
  desCbcDecrypt,
  desCbcEncrypt,
  desPcbcDecrypt,
  desPcbcEncrypt,
  hasOddParity,
  isWeakDesKey,
  randomDesKey,
  setOddParity,
} from '../../src/rx/crypto/des.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('single DES through des-ede-ecb with K‖K: the classic FIPS example block', () => {
  const k = new DesKey(hex('133457799bbcdff1'));
  assert.equal(k.encryptEcb(hex('0123456789abcdef')).toString('hex'), '85e813540f0ab405');
  assert.equal(k.decryptEcb(hex('85e813540f0ab405')).toString('hex'), '0123456789abcdef');
  // A second known answer: key 0123456789abcdef, "Now is t" → 3fa40e8a984d4815.
  const k2 = new DesKey(hex('0123456789abcdef'));
  assert.equal(k2.encryptEcb(Buffer.from('Now is t')).toString('hex'), '3fa40e8a984d4815');
  assert.throws(() => new DesKey(Buffer.alloc(16)), DesKeyError);
});

// OpenSSL destest.c: key 0123456789abcdef, iv fedcba9876543210, the 29 bytes
// "7654321 Now is the time for \0" zero-padded to 32.
const cbcKey = hex('0123456789abcdef');
const cbcIv = hex('fedcba9876543210');
const cbcData = Buffer.from('7654321 Now is the time for \0', 'latin1');

test('DES-PCBC matches the OpenSSL destest pcbc_ok vector and decrypts back', () => {
  const key = new DesKey(cbcKey);
  const ct = desPcbcEncrypt(key, cbcIv, cbcData);
  assert.equal(ct.toString('hex'), 'ccd173ffab2039f46decb470a0e56b15aea6bf61ed7d9c9ff717463b8ab3cc88');
  const pt = desPcbcDecrypt(key, cbcIv, ct);
  assert.deepEqual(pt.subarray(0, cbcData.length), cbcData);
  assert.deepEqual(pt.subarray(cbcData.length), Buffer.alloc(3));
});

test('DES-CBC matches the OpenSSL destest cbc_ok vector and decrypts back', () => {
  const key = new DesKey(cbcKey);
  const ct = desCbcEncrypt(key, cbcIv, cbcData);
  assert.equal(ct.toString('hex'), 'ccd173ffab2039f4acd8aefddfd8a1eb468e91157888ba681d269397f7fe62b4');
  assert.deepEqual(desCbcDecrypt(key, cbcIv, ct).subarray(0, cbcData.length), cbcData);
});

test('PCBC round-trips random data and a flipped bit garbles all later blocks', () => {
  const key = new DesKey(randomDesKey());
  const iv = randomBytes(8);
  const data = randomBytes(64);
  const ct = desPcbcEncrypt(key, iv, data);
  assert.deepEqual(desPcbcDecrypt(key, iv, ct), data);
  ct[3] ^= 0x80;
  const bad = desPcbcDecrypt(key, iv, ct);
  for (let b = 0; b < 8; b++)
    assert.notDeepEqual(bad.subarray(b * 8, b * 8 + 8), data.subarray(b * 8, b * 8 + 8));
});

test('weak-key table: weak keys are involutions, semi-weak keys come in inverse pairs', () => {
  const x = hex('0123456789abcdef');
  for (const w of ['0101010101010101', 'fefefefefefefefe', '1f1f1f1f0e0e0e0e', 'e0e0e0e0f1f1f1f1']) {
    const k = new DesKey(hex(w));
    assert.deepEqual(k.encryptEcb(k.encryptEcb(x)), x, w);
    assert.ok(isWeakDesKey(hex(w)));
  }
  const pairs = [
    ['01fe01fe01fe01fe', 'fe01fe01fe01fe01'],
    ['1fe01fe00ef10ef1', 'e01fe01ff10ef10e'],
    ['01e001e001f101f1', 'e001e001f101f101'],
    ['1ffe1ffe0efe0efe', 'fe1ffe1ffe0efe0e'],
    ['011f011f010e010e', '1f011f010e010e01'],
    ['e0fee0fef1fef1fe', 'fee0fee0fef1fef1'],
  ];
  for (const [a, b] of pairs) {
    assert.deepEqual(new DesKey(hex(b)).encryptEcb(new DesKey(hex(a)).encryptEcb(x)), x, `${a}/${b}`);
    assert.ok(isWeakDesKey(hex(a)) && isWeakDesKey(hex(b)));
  }
  assert.ok(!isWeakDesKey(cbcKey));
});

test('parity: setOddParity fixes every byte; random keys have odd parity and are not weak', () => {
  const k = hex('0000000000000000');
  setOddParity(k);
  assert.equal(k.toString('hex'), '0101010101010101');
  const k2 = hex('fe00ff7f80121314');
  setOddParity(k2);
  assert.ok(hasOddParity(k2));
  assert.ok(!hasOddParity(hex('0001010101010101')));
  for (let i = 0; i < 200; i++) {
    const r = randomDesKey();
    assert.ok(hasOddParity(r));
    assert.ok(!isWeakDesKey(r));
  }
});
