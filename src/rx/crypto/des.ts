// Single DES for rxkad tickets (Kerberos 4 style, DES-PCBC with the key as IV).
// Node 20's OpenSSL 3 refuses 'des-ecb'/'des-cbc' (legacy provider), but 3DES EDE with
// K1 = K2 is E_K(D_K(E_K(x))) = E_K(x): plain DES. So the block cipher comes from OpenSSL as
// 'des-ede-ecb' with the key doubled, and only the chaining modes are written here.
import { type Cipher, createCipheriv, createDecipheriv, type Decipher, randomBytes } from 'node:crypto';

export const DES_BLOCK = 8;

export class DesKeyError extends Error {
  readonly code = 'DES_KEY_LENGTH';
  constructor(length: number) {
    super(`DES key must be 8 bytes, got ${length}`);
    this.name = 'DesKeyError';
  }
}

/** A DES key bound to one OpenSSL ECB encryptor and one decryptor (streaming, no padding). */
export class DesKey {
  private readonly enc: Cipher;
  private readonly dec: Decipher;

  constructor(key: Uint8Array) {
    if (key.length !== 8) throw new DesKeyError(key.length);
    const k2 = Buffer.concat([key, key]);
    this.enc = createCipheriv('des-ede-ecb', k2, null).setAutoPadding(false);
    this.dec = createDecipheriv('des-ede-ecb', k2, null).setAutoPadding(false);
  }

  /** ECB over whole blocks (length a multiple of 8); blocks are independent. */
  encryptEcb(data: Uint8Array): Buffer {
    checkBlocks(data.length);
    return this.enc.update(data);
  }

  decryptEcb(data: Uint8Array): Buffer {
    checkBlocks(data.length);
    return this.dec.update(data);
  }
}

function checkBlocks(n: number): void {
  if (n % DES_BLOCK !== 0) throw new RangeError(`DES data length ${n} is not a multiple of 8`);
}

function padded(data: Uint8Array): Buffer {
  const out = Buffer.alloc((data.length + 7) & ~7);
  out.set(data);
  return out;
}

function xor8(a: Uint8Array, ao: number, b: Uint8Array, bo: number, out: Uint8Array, oo: number): void {
  for (let i = 0; i < 8; i++) out[oo + i] = a[ao + i] ^ b[bo + i];
}

/**
 * PCBC encrypt (zero-padding the last block, as DES_pcbc_encrypt does): C_i = E(P_i ^ X),
 * X = P_i ^ C_i, X_0 = iv. Every block depends on all earlier plaintext, so a corrupted
 * ticket garbles everything after the damage.
 */
export function desPcbcEncrypt(key: DesKey, iv: Uint8Array, data: Uint8Array): Buffer {
  const p = padded(data);
  const out = Buffer.alloc(p.length);
  const x = Buffer.from(iv);
  const t = Buffer.alloc(8);
  for (let o = 0; o < p.length; o += 8) {
    xor8(p, o, x, 0, t, 0);
    const c = key.encryptEcb(t);
    c.copy(out, o);
    xor8(p, o, c, 0, x, 0);
  }
  return out;
}

export function desPcbcDecrypt(key: DesKey, iv: Uint8Array, data: Uint8Array): Buffer {
  checkBlocks(data.length);
  const out = Buffer.alloc(data.length);
  const x = Buffer.from(iv);
  for (let o = 0; o < data.length; o += 8) {
    const d = key.decryptEcb(data.subarray(o, o + 8));
    xor8(d, 0, x, 0, out, o);
    xor8(data, o, out, o, x, 0);
  }
  return out;
}

/** CBC encrypt (zero-padding the last block). */
export function desCbcEncrypt(key: DesKey, iv: Uint8Array, data: Uint8Array): Buffer {
  const p = padded(data);
  const out = Buffer.alloc(p.length);
  let prev: Uint8Array = iv;
  let prevOff = 0;
  const t = Buffer.alloc(8);
  for (let o = 0; o < p.length; o += 8) {
    xor8(p, o, prev, prevOff, t, 0);
    key.encryptEcb(t).copy(out, o);
    prev = out;
    prevOff = o;
  }
  return out;
}

export function desCbcDecrypt(key: DesKey, iv: Uint8Array, data: Uint8Array): Buffer {
  checkBlocks(data.length);
  // CBC decryption has no serial dependency: decrypt all blocks at once, then XOR.
  const d = key.decryptEcb(data);
  for (let o = 0; o < d.length; o += 8) {
    if (o === 0) xor8(d, 0, iv, 0, d, 0);
    else xor8(d, o, data, o - 8, d, o);
  }
  return d;
}

/** Force odd parity in each byte (the low bit is the DES parity bit). */
export function setOddParity(key: Uint8Array): void {
  for (let i = 0; i < key.length; i++) {
    let b = key[i] & 0xfe;
    let ones = 0;
    for (let v = b; v; v >>= 1) ones += v & 1;
    if (ones % 2 === 0) b |= 1;
    key[i] = b;
  }
}

export function hasOddParity(key: Uint8Array): boolean {
  for (const byte of key) {
    let ones = 0;
    for (let v = byte; v; v >>= 1) ones += v & 1;
    if (ones % 2 === 0) return false;
  }
  return true;
}

// The 4 weak and 12 semi-weak DES keys (with odd parity), the set DES_is_weak_key rejects.
const WEAK_KEYS = new Set([
  '0101010101010101',
  'fefefefefefefefe',
  '1f1f1f1f0e0e0e0e',
  'e0e0e0e0f1f1f1f1',
  '01fe01fe01fe01fe',
  'fe01fe01fe01fe01',
  '1fe01fe00ef10ef1',
  'e01fe01ff10ef10e',
  '01e001e001f101f1',
  'e001e001f101f101',
  '1ffe1ffe0efe0efe',
  'fe1ffe1ffe0efe0e',
  '011f011f010e010e',
  '1f011f010e010e01',
  'e0fee0fef1fef1fe',
  'fee0fee0fef1fef1',
]);

export function isWeakDesKey(key: Uint8Array): boolean {
  return WEAK_KEYS.has(Buffer.from(key).toString('hex'));
}

/** A fresh random DES key: odd parity, never weak or semi-weak (like DES_new_random_key). */
export function randomDesKey(): Buffer {
  for (;;) {
    const k = randomBytes(8);
    setOddParity(k);
    if (!isWeakDesKey(k)) return k;
  }
}
