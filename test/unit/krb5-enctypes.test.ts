import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checksum,
  ctsDecrypt,
  ctsEncrypt,
  decrypt,
  deriveKey,
  encrypt,
  nfold,
  stringToKey,
  verifyChecksum,
} from '../../src/auth/krb5/enctypes.js';
import { Krb5CryptoError } from '../../src/auth/krb5/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('n-fold matches RFC 3961 appendix A.1', () => {
  const cases: Array<[string, number, string]> = [
    ['012345', 64, 'be072631276b1955'],
    ['password', 56, '78a07b6caf85fa'],
    ['Rough Consensus, and Running Code', 64, 'bb6ed30870b7f0e0'],
    ['password', 168, '59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e'],
    ['MASSACHVSETTS INSTITVTE OF TECHNOLOGY', 192, 'db3b0d8f0b061e603282b308a50841229ad798fab9540c1b'],
    ['Q', 168, '518a54a215a8452a518a54a215a8452a518a54a215'],
    ['kerberos', 64, '6b65726265726f73'],
    ['kerberos', 128, '6b65726265726f737b9b5b2b93132b93'],
    ['kerberos', 168, '8372c236344e5f1550cd0747e15d62ca7a5a3bcea4'],
    ['kerberos', 256, '6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4'],
  ];
  for (const [input, bits, want] of cases) {
    assert.equal(nfold(Buffer.from(input), bits / 8).toString('hex'), want, `${bits}-fold(${input})`);
  }
});

test('string-to-key matches RFC 3962 appendix B', () => {
  const it = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const gclef = Buffer.from([0xf0, 0x9d, 0x84, 0x9e]);
  const cases: Array<[string | Buffer, string | Buffer, number, string, string]> = [
    [
      'password',
      'ATHENA.MIT.EDUraeburn',
      1,
      '42263c6e89f4fc28b8df68ee09799f15',
      'fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161',
    ],
    [
      'password',
      'ATHENA.MIT.EDUraeburn',
      2,
      'c651bf29e2300ac27fa469d693bdda13',
      'a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff',
    ],
    [
      'password',
      'ATHENA.MIT.EDUraeburn',
      1200,
      '4c01cd46d632d01e6dbe230a01ed642a',
      '55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a',
    ],
    [
      'password',
      hex('1234567878563412'),
      5,
      'e9b23d52273747dd5c35cb55be619d8e',
      '97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31',
    ],
    [
      'X'.repeat(64),
      'pass phrase equals block size',
      1200,
      '59d1bb789a828b1aa54ef9c2883f69ed',
      '89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34',
    ],
    [
      'X'.repeat(65),
      'pass phrase exceeds block size',
      1200,
      'cb8005dc5f90179a7f02104c0018751d',
      'd78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b',
    ],
    [
      gclef,
      'EXAMPLE.COMpianist',
      50,
      'f149c1f2e154a73452d43e7fe62a56e5',
      '4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e',
    ],
  ];
  for (const [pw, salt, n, k128, k256] of cases) {
    assert.equal(stringToKey(17, pw, salt, it(n)).key.toString('hex'), k128, `aes128 iter ${n}`);
    assert.equal(stringToKey(18, pw, salt, it(n)).key.toString('hex'), k256, `aes256 iter ${n}`);
  }
});

test('AES-CTS matches RFC 3962 appendix B in both directions', () => {
  const key = Buffer.from('chicken teriyaki');
  const plain = Buffer.from("I would like the General Gau's Chicken, please, and wonton soup.");
  const iv = Buffer.alloc(16);
  const cases: Array<[number, string]> = [
    [17, 'c6353568f2bf8cb4d8a580362da7ff7f97'],
    [31, 'fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5'],
    [32, '39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584'],
    [47, '97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5'],
    [48, '97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8'],
    [
      64,
      '97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8',
    ],
  ];
  for (const [n, want] of cases) {
    const c = ctsEncrypt(17, key, iv, plain.subarray(0, n));
    assert.equal(c.toString('hex'), want, `encrypt ${n}`);
    assert.deepEqual(ctsDecrypt(17, key, iv, c), plain.subarray(0, n), `decrypt ${n}`);
  }
});

test('DK matches the published Kc/Ke/Ki for usage 2', () => {
  const b128 = hex('42263C6E89F4FC28B8DF68EE09799F15');
  const b256 = hex('FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161');
  const c = (k: number) => Buffer.from([0, 0, 0, 2, k]);
  assert.equal(deriveKey(17, b128, c(0x99)).toString('hex'), '34280a382bc92769b2da2f9ef066854b');
  assert.equal(deriveKey(17, b128, c(0xaa)).toString('hex'), '5b14fc4e250e14ddf9dccf1af6674f53');
  assert.equal(deriveKey(17, b128, c(0x55)).toString('hex'), '4ed31063621684f09ae8d89991af3e8f');
  assert.equal(
    deriveKey(18, b256, c(0xaa)).toString('hex'),
    'c7cfd9cd75fe793a586a542d87e0d1396f1134a104bb1a9190b8c90ada3ddf37',
  );
  assert.equal(
    deriveKey(18, b256, c(0x55)).toString('hex'),
    '97151b4c76945063e2eb0529dc067d97d7bba90776d8126d91f34f3101aea8ba',
  );
});

test('encrypt/decrypt round-trips every length and rejects tampering and wrong usage', () => {
  for (const enctype of [17, 18]) {
    const k = stringToKey(enctype, 'secret', 'EXAMPLE.ORGuser');
    for (let len = 0; len <= 70; len++) {
      const plain = Buffer.alloc(len, len);
      const c = encrypt(k, 3, plain);
      assert.equal(c.length, 16 + len + 12);
      assert.deepEqual(decrypt(k, 3, c), plain);
      const bad = Buffer.from(c);
      bad[len % bad.length] = (bad[len % bad.length] as number) ^ 1;
      assert.throws(
        () => decrypt(k, 3, bad),
        (e: unknown) => e instanceof Krb5CryptoError && e.code === 'KRB5_BAD_INTEGRITY',
      );
    }
    const c = encrypt(k, 3, Buffer.from('hello'));
    assert.throws(
      () => decrypt(k, 8, c),
      (e: unknown) => e instanceof Krb5CryptoError && e.code === 'KRB5_BAD_INTEGRITY',
    );
    assert.throws(
      () => decrypt(k, 3, c.subarray(0, 20)),
      (e: unknown) => e instanceof Krb5CryptoError && e.code === 'KRB5_BAD_MSIZE',
    );
  }
});

test('checksums verify only with the same key, usage and data', () => {
  const k = stringToKey(18, 'secret', 'EXAMPLE.ORGuser');
  const m = checksum(k, 6, Buffer.from('body'));
  assert.equal(m.length, 12);
  assert.ok(verifyChecksum(k, 6, Buffer.from('body'), m));
  assert.ok(!verifyChecksum(k, 7, Buffer.from('body'), m));
  assert.ok(!verifyChecksum(k, 6, Buffer.from('bodY'), m));
  assert.throws(
    () => stringToKey(23, 'x', 'y'),
    (e: unknown) => e instanceof Krb5CryptoError && e.code === 'KRB5_BAD_ENCTYPE',
  );
});
