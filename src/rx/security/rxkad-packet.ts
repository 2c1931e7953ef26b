// The per-connection half of rxkad shared by client and server: the header checksum and the
// auth/crypt payload transforms (OpenAFS rxkad_common.c: DeriveXORInfo, ComputeSum,
// PreparePacket, CheckPacket; crypt_conn.c).
import { type InspectOptionsStylized, inspect } from 'node:util';
import { FcryptSchedule, fcryptBlock, fcryptIv, fcryptPcbcInPlace } from '../crypto/fcrypt.js';
import { REDACTED, redactedView } from '../crypto/redact.js';
import {
  RXKADDATALEN,
  RXKADINCONSISTENCY,
  RXKADPACKETSHORT,
  RXKADSEALEDINCON,
  RxkadError,
} from './rxkad-errors.js';
import type { SecuredHeader } from './types.js';

/** rxkad security levels: 0 clear (checksummed headers), 1 auth (+ sealed prefix), 2 crypt. */
export type RxkadLevel = 0 | 1 | 2;
export const RXKAD_CLEAR = 0;
export const RXKAD_AUTH = 1;
export const RXKAD_CRYPT = 2;
export const RXKAD_LEVEL_NAMES = ['clear', 'auth', 'crypt'] as const;

export function isRxkadLevel(n: number): n is RxkadLevel {
  return n === 0 || n === 1 || n === 2;
}

/** Security header bytes per level (rxkad_SetLevel); the trailer (padding) is at most as big. */
export function rxkadHeaderSize(level: RxkadLevel): number {
  return level === RXKAD_AUTH ? 4 : level === RXKAD_CRYPT ? 8 : 0;
}

/**
 * The 16-byte endpoint {epoch, cid with channel bits clear, cksum, securityIndex}, big-endian.
 * It routes the v2 RESPONSE and, encrypted, seeds the per-connection checksum.
 */
export function rxkadEndpoint(epoch: number, cid: number, cksum: number, securityIndex: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(epoch >>> 0, 0);
  b.writeUInt32BE((cid & ~3) >>> 0, 4);
  b.writeUInt32BE(cksum >>> 0, 8);
  b.writeUInt32BE(securityIndex >>> 0, 12);
  return b;
}

export class RxkadPacketCodec {
  readonly level: RxkadLevel;
  readonly headerSize: number;
  private readonly ks: FcryptSchedule;
  private readonly iv: Int32Array; // the session key as two words: the IV of every PCBC run
  private readonly preSeq: Int32Array;
  private readonly scratch = new Int32Array(2);
  private readonly chain = new Int32Array(2);
  /** Peers that never checksum send 0; once a nonzero checksum is seen every packet must carry one. */
  private cksumSeen = false;

  [inspect.custom](_depth: number, options: InspectOptionsStylized): string {
    return redactedView('RxkadPacketCodec', { level: this.level, sessionKey: REDACTED }, options);
  }

  constructor(sessionKey: Uint8Array, level: RxkadLevel, epoch: number, cid: number, securityIndex: number) {
    this.level = level;
    this.headerSize = rxkadHeaderSize(level);
    this.ks = new FcryptSchedule(sessionKey);
    this.iv = fcryptIv(sessionKey);
    // preSeq = last block of PCBC(endpoint with cksum 0), IV = session key.
    const ep = rxkadEndpoint(epoch, cid, 0, securityIndex);
    const chain = Int32Array.from(this.iv);
    fcryptPcbcInPlace(this.ks, chain, ep, 0, 16, true);
    this.preSeq = Int32Array.of(ep.readInt32BE(8), ep.readInt32BE(12));
  }

  /** The 16-bit header checksum: fcrypt-ECB of {callNumber, channel‖seq} ^ preSeq, bits 16-31 of word 1. */
  computeSum(h: SecuredHeader): number {
    const w0 = h.callNumber ^ this.preSeq[0];
    const w1 = (((h.cid & 3) << 30) | (h.seq & 0x3fffffff)) ^ this.preSeq[1];
    fcryptBlock(this.ks, w0, w1, true, this.scratch);
    const t = (this.scratch[1] >>> 16) & 0xffff;
    return t === 0 ? 1 : t;
  }

  seal(h: SecuredHeader, payload: Buffer): { payload: Buffer; cksum: number } {
    const cksum = this.computeSum(h);
    if (this.level === RXKAD_CLEAR) return { payload, cksum };
    const len = payload.length;
    if (len > 0xffff)
      throw new RxkadError(RXKADDATALEN, `payload of ${len} bytes does not fit the 16-bit length`);
    const prefix = ((((h.seq ^ h.callNumber) & 0xffff) << 16) | len) >>> 0;
    const hdr = this.headerSize;
    if (this.level === RXKAD_AUTH) {
      // Only the first 8 bytes (prefix + start of data) are encrypted; short packets are padded to 8.
      const out = Buffer.alloc(Math.max(8, len + hdr));
      out.writeUInt32BE(prefix, 0);
      payload.copy(out, hdr);
      fcryptBlock(this.ks, out.readInt32BE(0), out.readInt32BE(4), true, this.scratch);
      out.writeInt32BE(this.scratch[0], 0);
      out.writeInt32BE(this.scratch[1], 4);
      return { payload: out, cksum };
    }
    // crypt: {prefix, 0} then the data, zero-padded to 8, all PCBC-encrypted from the session-key IV.
    const out = Buffer.alloc((len + hdr + 7) & ~7);
    out.writeUInt32BE(prefix, 0);
    payload.copy(out, hdr);
    this.chain.set(this.iv);
    fcryptPcbcInPlace(this.ks, this.chain, out, 0, out.length, true);
    return { payload: out, cksum };
  }

  open(h: SecuredHeader, cksum: number, payload: Buffer): Buffer {
    if (cksum !== 0) this.cksumSeen = true;
    if (this.cksumSeen && this.computeSum(h) !== cksum) {
      throw new RxkadError(RXKADSEALEDINCON, `header checksum mismatch (seq ${h.seq}, call ${h.callNumber})`);
    }
    if (this.level === RXKAD_CLEAR) return payload;
    const len = payload.length;
    if (len < 8) throw new RxkadError(RXKADPACKETSHORT, `sealed payload of ${len} bytes`);
    let data: Buffer;
    if (this.level === RXKAD_AUTH) {
      data = Buffer.from(payload);
      fcryptBlock(this.ks, data.readInt32BE(0), data.readInt32BE(4), false, this.scratch);
      data.writeInt32BE(this.scratch[0], 0);
      data.writeInt32BE(this.scratch[1], 4);
    } else if (this.level === RXKAD_CRYPT) {
      if (len % 8 !== 0)
        throw new RxkadError(RXKADDATALEN, `encrypted payload of ${len} bytes is not whole blocks`);
      data = Buffer.from(payload);
      this.chain.set(this.iv);
      fcryptPcbcInPlace(this.ks, this.chain, data, 0, len, false);
    } else {
      throw new RxkadError(RXKADINCONSISTENCY, `level ${this.level}`);
    }
    const word = data.readUInt32BE(0);
    if (word >>> 16 !== ((h.seq ^ h.callNumber) & 0xffff)) {
      throw new RxkadError(
        RXKADSEALEDINCON,
        `sealed prefix does not match seq ${h.seq}, call ${h.callNumber}`,
      );
    }
    const nlen = word & 0xffff;
    if (nlen + this.headerSize > len) {
      throw new RxkadError(RXKADDATALEN, `sealed length ${nlen} exceeds the ${len}-byte payload`);
    }
    return data.subarray(this.headerSize, this.headerSize + nlen);
  }
}
