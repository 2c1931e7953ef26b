// Cipher throughput: fcrypt-PCBC (every crypt-level Rx packet) and DES-PCBC (tickets only).
// `node dist/bench/crypto.js` prints one JSON object; benchCrypto() returns it.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { DesKey, desPcbcEncrypt, randomDesKey } from '../src/rx/crypto/des.js';
import { FcryptSchedule, fcryptIv, fcryptPcbcInPlace } from '../src/rx/crypto/fcrypt.js';

export interface CryptoBenchResult {
  bytes: number;
  fcryptPcbcEncryptMBps: number;
  fcryptPcbcDecryptMBps: number;
  /** fcrypt over 1408-byte packet payloads, one PCBC run per packet as rxkad does. */
  fcryptPacketMBps: number;
  desPcbcMBps: number;
}

function mbps(bytes: number, ns: bigint): number {
  return Math.round((bytes / (Number(ns) / 1e9) / 1e6) * 10) / 10;
}

function time(fn: () => void): bigint {
  const t0 = process.hrtime.bigint();
  fn();
  return process.hrtime.bigint() - t0;
}

export function benchCrypto(bytes = 16 * 1024 * 1024): CryptoBenchResult {
  const key = randomDesKey();
  const ks = new FcryptSchedule(key);
  const buf = randomBytes(bytes);
  // Warm up the JIT on a slice before timing.
  fcryptPcbcInPlace(ks, fcryptIv(key), buf, 0, 65536, true);
  const enc = time(() => fcryptPcbcInPlace(ks, fcryptIv(key), buf, 0, bytes, true));
  const dec = time(() => fcryptPcbcInPlace(ks, fcryptIv(key), buf, 0, bytes, false));
  const pkt = 1408;
  const n = Math.floor(bytes / pkt);
  const iv = fcryptIv(key);
  const perPacket = time(() => {
    for (let i = 0; i < n; i++) {
      iv[0] = key.readInt32BE(0);
      iv[1] = key.readInt32BE(4);
      fcryptPcbcInPlace(ks, iv, buf, i * pkt, pkt, true);
    }
  });
  const des = new DesKey(randomDesKey());
  const desBytes = Math.min(bytes, 16 * 1024 * 1024);
  const desIn = buf.subarray(0, desBytes);
  const desTime = time(() => desPcbcEncrypt(des, key, desIn));
  return {
    bytes,
    fcryptPcbcEncryptMBps: mbps(bytes, enc),
    fcryptPcbcDecryptMBps: mbps(bytes, dec),
    fcryptPacketMBps: mbps(n * pkt, perPacket),
    desPcbcMBps: mbps(desBytes, desTime),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(benchCrypto()));
}
