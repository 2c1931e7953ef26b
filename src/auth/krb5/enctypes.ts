// RFC 3961 simplified profile with the RFC 3962 AES enctypes: aes128-cts-hmac-sha1-96 (17) and
// aes256-cts-hmac-sha1-96 (18). AES itself comes from node:crypto (CBC without padding, and ECB);
// ciphertext stealing, n-fold, DK and PBKDF2 string-to-key are done here.

import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { Krb5CryptoError } from './errors.js';

export const ENCTYPE_AES128_CTS_HMAC_SHA1_96 = 17;
export const ENCTYPE_AES256_CTS_HMAC_SHA1_96 = 18;
export const CKSUMTYPE_HMAC_SHA1_96_AES128 = 15;
export const CKSUMTYPE_HMAC_SHA1_96_AES256 = 16;

/** Key usage numbers (RFC 4120 §7.5.1) used by this client. */
export const KeyUsage = {
  AS_REQ_PA_ENC_TIMESTAMP: 1,
  KDC_REP_TICKET: 2,
  AS_REP_ENCPART: 3,
  TGS_REQ_AUTH_CKSUM: 6,
  TGS_REQ_AUTH: 7,
  TGS_REP_ENCPART_SESSKEY: 8,
  TGS_REP_ENCPART_SUBKEY: 9,
  AP_REQ_AUTH: 11,
} as const;

export interface EncryptionKey {
  enctype: number;
  key: Buffer;
}

interface AesProfile {
  enctype: number;
  cksumtype: number;
  keyBytes: number;
  cipher: 'aes-128' | 'aes-256';
}

const PROFILES: ReadonlyMap<number, AesProfile> = new Map([
  [17, { enctype: 17, cksumtype: 15, keyBytes: 16, cipher: 'aes-128' }],
  [18, { enctype: 18, cksumtype: 16, keyBytes: 32, cipher: 'aes-256' }],
]);

const BLOCK = 16;
const HMAC_BYTES = 12; // HMAC-SHA1 truncated to 96 bits
const DEFAULT_ITERATIONS = 4096;

export function isSupportedEnctype(enctype: number): boolean {
  return PROFILES.has(enctype);
}

/** Enctypes we offer, strongest first. */
export const SUPPORTED_ENCTYPES: readonly number[] = [
  ENCTYPE_AES256_CTS_HMAC_SHA1_96,
  ENCTYPE_AES128_CTS_HMAC_SHA1_96,
];

export function enctypeName(enctype: number): string {
  if (enctype === 17) return 'aes128-cts-hmac-sha1-96';
  if (enctype === 18) return 'aes256-cts-hmac-sha1-96';
  return `enctype-${enctype}`;
}

function profile(enctype: number): AesProfile {
  const p = PROFILES.get(enctype);
  if (!p) throw new Krb5CryptoError('KRB5_BAD_ENCTYPE', `unsupported enctype ${enctype}`);
  return p;
}

function checkKey(p: AesProfile, key: Buffer): void {
  if (key.length !== p.keyBytes) {
    throw new Krb5CryptoError(
      'KRB5_BAD_KEYSIZE',
      `${enctypeName(p.enctype)} key must be ${p.keyBytes} bytes`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// AES building blocks

function cbcEncrypt(p: AesProfile, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv(`${p.cipher}-cbc`, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

function cbcDecrypt(p: AesProfile, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const d = createDecipheriv(`${p.cipher}-cbc`, key, iv);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

function ecbDecryptBlock(p: AesProfile, key: Buffer, block: Buffer): Buffer {
  const d = createDecipheriv(`${p.cipher}-ecb`, key, null);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(block), d.final()]);
}

/**
 * CBC with ciphertext stealing (RFC 3962 §5, the CS3 variant: the last two blocks are always
 * swapped, even when the input is a whole number of blocks). Input must be ≥ 16 bytes.
 */
export function ctsEncrypt(enctype: number, key: Buffer, iv: Buffer, plain: Buffer): Buffer {
  const p = profile(enctype);
  if (plain.length < BLOCK) throw new Krb5CryptoError('KRB5_BAD_MSIZE', 'CTS input shorter than one block');
  if (plain.length === BLOCK) return cbcEncrypt(p, key, iv, plain);
  const padded = Buffer.alloc(Math.ceil(plain.length / BLOCK) * BLOCK);
  plain.copy(padded);
  const c = cbcEncrypt(p, key, iv, padded);
  const n = c.length / BLOCK;
  const tail = plain.length - (n - 1) * BLOCK; // bytes in the last (partial) plaintext block
  // Output: C1..C(n-2), Cn, then the first `tail` bytes of C(n-1).
  return Buffer.concat([
    c.subarray(0, (n - 2) * BLOCK),
    c.subarray((n - 1) * BLOCK),
    c.subarray((n - 2) * BLOCK, (n - 2) * BLOCK + tail),
  ]);
}

export function ctsDecrypt(enctype: number, key: Buffer, iv: Buffer, cipher: Buffer): Buffer {
  const p = profile(enctype);
  if (cipher.length < BLOCK) throw new Krb5CryptoError('KRB5_BAD_MSIZE', 'CTS input shorter than one block');
  if (cipher.length === BLOCK) return cbcDecrypt(p, key, iv, cipher);
  const n = Math.ceil(cipher.length / BLOCK);
  const tail = cipher.length - (n - 1) * BLOCK;
  const head = cipher.subarray(0, (n - 2) * BLOCK);
  const cn = cipher.subarray((n - 2) * BLOCK, (n - 1) * BLOCK); // the original last CBC block
  const partial = cipher.subarray((n - 1) * BLOCK); // first `tail` bytes of the original C(n-1)
  // D(Cn) = C(n-1) xor (Pn || 0…): its tail past `tail` bytes is the stolen part of C(n-1).
  const dn = ecbDecryptBlock(p, key, cn);
  const cPrev = Buffer.concat([partial, dn.subarray(tail)]);
  const pn = Buffer.alloc(tail);
  for (let i = 0; i < tail; i++) pn[i] = (dn[i] as number) ^ (partial[i] as number);
  const front = cbcDecrypt(p, key, iv, Buffer.concat([head, cPrev]));
  return Buffer.concat([front, pn]);
}

// ---------------------------------------------------------------------------------------------
// RFC 3961 §5.1 n-fold and §5.3 key derivation

function rotateRightBits(input: Buffer, bits: number): Buffer {
  const total = input.length * 8;
  const out = Buffer.alloc(input.length);
  const r = ((bits % total) + total) % total;
  for (let i = 0; i < total; i++) {
    const src = (i - r + total) % total; // output bit i came from input bit i - r
    if ((input[src >> 3] as number) & (0x80 >> (src & 7)))
      out[i >> 3] = (out[i >> 3] as number) | (0x80 >> (i & 7));
  }
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** n-fold: replicate the input, each copy rotated 13 bits more, and add in ones' complement. */
export function nfold(input: Buffer, outBytes: number): Buffer {
  const lcm = (input.length * outBytes) / gcd(input.length, outBytes);
  const copies: Buffer[] = [];
  for (let k = 0; k < lcm / input.length; k++) copies.push(rotateRightBits(input, 13 * k));
  const big = Buffer.concat(copies);
  const sum = new Array<number>(outBytes).fill(0);
  for (let off = 0; off < big.length; off += outBytes) {
    let carry = 0;
    for (let i = outBytes - 1; i >= 0; i--) {
      const v = (sum[i] as number) + (big[off + i] as number) + carry;
      sum[i] = v & 0xff;
      carry = v >> 8;
    }
    // End-around carry, repeated until it is absorbed.
    while (carry) {
      for (let i = outBytes - 1; i >= 0 && carry; i--) {
        const v = (sum[i] as number) + carry;
        sum[i] = v & 0xff;
        carry = v >> 8;
      }
    }
  }
  return Buffer.from(sum);
}

/** DK(base, constant) = random-to-key(DR(base, constant)); random-to-key is identity for AES. */
export function deriveKey(enctype: number, base: Buffer, constant: Buffer): Buffer {
  const p = profile(enctype);
  checkKey(p, base);
  const out: Buffer[] = [];
  let block = nfold(constant, BLOCK);
  let have = 0;
  while (have < p.keyBytes) {
    block = cbcEncrypt(p, base, Buffer.alloc(BLOCK), block);
    out.push(block);
    have += BLOCK;
  }
  return Buffer.concat(out).subarray(0, p.keyBytes);
}

function usageConstant(usage: number, kind: 0xaa | 0x55 | 0x99): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(usage >>> 0, 0);
  b[4] = kind;
  return b;
}

// ---------------------------------------------------------------------------------------------
// String-to-key (RFC 3962 §4)

/** Iteration count from s2kparams (4-byte big-endian), default 4096. */
export function s2kIterations(params: Buffer | undefined): number {
  if (params === undefined || params.length === 0) return DEFAULT_ITERATIONS;
  if (params.length !== 4) throw new Krb5CryptoError('KRB5_BAD_MSIZE', 's2kparams must be 4 bytes for AES');
  const n = params.readUInt32BE(0);
  // 0 means 2^32 in the RFC; refuse it and anything absurd rather than spin for hours.
  if (n === 0 || n > 10_000_000)
    throw new Krb5CryptoError('KRB5_BAD_MSIZE', `refusing s2k iteration count ${n}`);
  return n;
}

export function stringToKey(
  enctype: number,
  password: string | Buffer,
  salt: string | Buffer,
  params?: Buffer,
): EncryptionKey {
  const p = profile(enctype);
  const iterations = s2kIterations(params);
  const tkey = pbkdf2Sync(password, salt, iterations, p.keyBytes, 'sha1');
  return { enctype, key: deriveKey(enctype, tkey, Buffer.from('kerberos', 'ascii')) };
}

/** The default salt: realm followed by the principal's name components, no separators. */
export function defaultSalt(realm: string, nameComponents: readonly string[]): string {
  return realm + nameComponents.join('');
}

// ---------------------------------------------------------------------------------------------
// Encryption and checksums (RFC 3961 §5.3)

export function encrypt(k: EncryptionKey, usage: number, plain: Buffer, confounder?: Buffer): Buffer {
  const p = profile(k.enctype);
  checkKey(p, k.key);
  const ke = deriveKey(k.enctype, k.key, usageConstant(usage, 0xaa));
  const ki = deriveKey(k.enctype, k.key, usageConstant(usage, 0x55));
  const conf = confounder ?? randomBytes(BLOCK);
  if (conf.length !== BLOCK) throw new Krb5CryptoError('KRB5_BAD_MSIZE', 'confounder must be one block');
  const body = Buffer.concat([conf, plain]);
  const c = ctsEncrypt(k.enctype, ke, Buffer.alloc(BLOCK), body);
  const h = createHmac('sha1', ki).update(body).digest().subarray(0, HMAC_BYTES);
  return Buffer.concat([c, h]);
}

export function decrypt(k: EncryptionKey, usage: number, cipher: Buffer): Buffer {
  const p = profile(k.enctype);
  checkKey(p, k.key);
  if (cipher.length < BLOCK + HMAC_BYTES) {
    throw new Krb5CryptoError('KRB5_BAD_MSIZE', 'ciphertext shorter than confounder plus checksum');
  }
  const ke = deriveKey(k.enctype, k.key, usageConstant(usage, 0xaa));
  const ki = deriveKey(k.enctype, k.key, usageConstant(usage, 0x55));
  const c = cipher.subarray(0, cipher.length - HMAC_BYTES);
  const mac = cipher.subarray(cipher.length - HMAC_BYTES);
  const body = ctsDecrypt(k.enctype, ke, Buffer.alloc(BLOCK), c);
  const want = createHmac('sha1', ki).update(body).digest().subarray(0, HMAC_BYTES);
  if (!timingSafeEqual(want, mac)) {
    throw new Krb5CryptoError('KRB5_BAD_INTEGRITY', `${enctypeName(k.enctype)} integrity check failed`);
  }
  return body.subarray(BLOCK);
}

export function checksumType(enctype: number): number {
  return profile(enctype).cksumtype;
}

/** hmac-sha1-96-aes128/256 keyed checksum with Kc = DK(key, usage || 0x99). */
export function checksum(k: EncryptionKey, usage: number, data: Buffer): Buffer {
  const p = profile(k.enctype);
  checkKey(p, k.key);
  const kc = deriveKey(k.enctype, k.key, usageConstant(usage, 0x99));
  return createHmac('sha1', kc).update(data).digest().subarray(0, HMAC_BYTES);
}

export function verifyChecksum(k: EncryptionKey, usage: number, data: Buffer, mac: Buffer): boolean {
  const want = checksum(k, usage, data);
  return mac.length === want.length && timingSafeEqual(want, mac);
}
