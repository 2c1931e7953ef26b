// rxkad-kdf (draft-kaduk-afs3-rxkad-kdf; OpenAFS ticket5.c tkt_DeriveDesKey): turn a Kerberos 5
// session key of a non-DES enctype into the 8-byte DES key rxkad needs. NIST SP800-108 counter
// mode with HMAC-MD5: K_i = HMAC-MD5(key, i ‖ "rxkad\0" ‖ 00 00 00 40), first 8 bytes, odd
// parity; a weak key advances the counter instead of being patched.
import { createHmac } from 'node:crypto';
import { isWeakDesKey, setOddParity } from '../rx/crypto/des.js';

export class RxkadKdfError extends Error {
  readonly code: 'RXKAD_KDF_ENCTYPE' | 'RXKAD_KDF_KEYLEN' | 'RXKAD_KDF_EXHAUSTED';
  constructor(code: RxkadKdfError['code'], message: string) {
    super(message);
    this.name = 'RxkadKdfError';
    this.code = code;
  }
}

const LABEL = Buffer.from('rxkad\0', 'latin1');
const L64 = Buffer.from([0, 0, 0, 64]);

/** The KDF proper over raw key bytes. */
export function deriveRxkadKey(key: Uint8Array): Buffer {
  for (let i = 1; i <= 255; i++) {
    const k = createHmac('md5', key).update(Buffer.of(i)).update(LABEL).update(L64).digest().subarray(0, 8);
    setOddParity(k);
    if (!isWeakDesKey(k)) return Buffer.from(k);
  }
  throw new RxkadKdfError('RXKAD_KDF_EXHAUSTED', 'all 255 derived keys were weak');
}

/**
 * Inverse of RFC 3961's 3DES random-to-key: each 8-byte block's last byte carries the low bits
 * of the previous seven; rebuild the 7 random bytes per block.
 */
export function compressParityBits(key: Uint8Array): Buffer {
  if (key.length % 8 !== 0) throw new RxkadKdfError('RXKAD_KDF_KEYLEN', `3DES key of ${key.length} bytes`);
  const out = Buffer.alloc((key.length / 8) * 7);
  for (let b = 0; b < key.length / 8; b++) {
    let bits = key[8 * b + 7] >> 1;
    for (let j = 0; j < 7; j++) {
      out[7 * b + j] = (key[8 * b + j] & 0xfe) | (bits & 1);
      bits >>= 1;
    }
  }
  return out;
}

const DES_ENCTYPES = new Set([1, 2, 3]); // des-cbc-crc, des-cbc-md4, des-cbc-md5
const DES3_ENCTYPES = new Set([5, 7, 16]); // des3-cbc-md5, old-des3-cbc-sha1, des3-cbc-sha1
const REFUSED_ENCTYPES = new Set([0, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15]);

/** The rxkad session key for a Kerberos 5 session key of `enctype`. */
export function rxkadSessionKeyFromKrb5(enctype: number, key: Uint8Array): Buffer {
  if (DES_ENCTYPES.has(enctype)) {
    if (key.length !== 8) throw new RxkadKdfError('RXKAD_KDF_KEYLEN', `DES key of ${key.length} bytes`);
    return Buffer.from(key);
  }
  if (enctype < 0 || REFUSED_ENCTYPES.has(enctype)) {
    throw new RxkadKdfError('RXKAD_KDF_ENCTYPE', `enctype ${enctype} cannot key rxkad`);
  }
  const material = DES3_ENCTYPES.has(enctype) ? compressParityBits(key) : Buffer.from(key);
  if (material.length < 7) throw new RxkadKdfError('RXKAD_KDF_KEYLEN', `key of ${material.length} bytes`);
  return deriveRxkadKey(material);
}
