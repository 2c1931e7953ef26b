// XdrWriter: big-endian XDR words into a growable buffer, in the rxgen conventions
// (4-byte words, opaque/string data zero-padded to a word boundary, 64-bit as high word then low word).

import { XdrError } from './errors.js';

const TWO32 = 0x1_0000_0000;
const MAX_U32 = 0xffff_ffff;

export function padLength(n: number): number {
  return (4 - (n & 3)) & 3;
}

export class XdrWriter {
  private buf: Buffer;
  private off = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.off;
  }

  /** Make room for n more bytes; callers encoding big arrays reserve once up front. */
  ensure(n: number): void {
    const need = this.off + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  u32(v: number): void {
    // (v >>> 0) === v holds exactly for integers in [0, 2^32): one cheap test for type and range.
    if (v >>> 0 !== v) throw new XdrError('XDR_RANGE', `not a u32: ${v}`);
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.off);
    this.off += 4;
  }

  i32(v: number): void {
    if ((v | 0) !== v) throw new XdrError('XDR_RANGE', `not an i32: ${v}`);
    this.ensure(4);
    this.buf.writeInt32BE(v, this.off);
    this.off += 4;
  }

  bool(v: boolean): void {
    this.u32(v ? 1 : 0);
  }

  /** Signed 64-bit (afs_int64). */
  hyper(v: bigint): void {
    if (v < -(1n << 63n) || v >= 1n << 63n) throw new XdrError('XDR_RANGE', `not an i64: ${v}`);
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.off);
    this.off += 8;
  }

  /** Unsigned 64-bit (afs_uint64). */
  uhyper(v: bigint): void {
    if (v < 0n || v >= 1n << 64n) throw new XdrError('XDR_RANGE', `not a u64: ${v}`);
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.off);
    this.off += 8;
  }

  /** A 64-bit word pair from a safe non-negative integer, without going through bigint. */
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new XdrError('XDR_RANGE', `not a safe u64: ${v}`);
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / TWO32), this.off);
    this.buf.writeUInt32BE(v % TWO32, this.off + 4);
    this.off += 8;
  }

  /** A signed 64-bit word pair from a safe integer. */
  i64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new XdrError('XDR_RANGE', `not a safe i64: ${v}`);
    const hi = Math.floor(v / TWO32);
    this.ensure(8);
    this.buf.writeInt32BE(hi, this.off);
    this.buf.writeUInt32BE(v - hi * TWO32, this.off + 4);
    this.off += 8;
  }

  /** Raw bytes with no length and no padding (split-call bulk data, pre-encoded parts). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.off);
    this.off += bytes.length;
  }

  /** Zero bytes up to the next word boundary after `n` data bytes. */
  pad(n: number): void {
    const p = padLength(n);
    if (p === 0) return;
    this.ensure(p);
    this.buf.fill(0, this.off, this.off + p);
    this.off += p;
  }

  /** `opaque x[n]`: exactly n bytes, then padding. */
  fixedOpaque(bytes: Uint8Array, n: number): void {
    if (bytes.length !== n)
      throw new XdrError('XDR_BAD_VALUE', `fixed opaque needs ${n} bytes, got ${bytes.length}`);
    this.raw(bytes);
    this.pad(n);
  }

  /** `opaque x<max>`: length word, bytes, padding. */
  opaque(bytes: Uint8Array, max = MAX_U32): void {
    if (bytes.length > max)
      throw new XdrError('XDR_TOO_LONG', `opaque of ${bytes.length} bytes exceeds ${max}`);
    this.ensure(4 + bytes.length + 3);
    this.buf.writeUInt32BE(bytes.length, this.off);
    this.off += 4;
    this.raw(bytes);
    this.pad(bytes.length);
  }

  /** `string s<max>`: UTF-8 bytes of a JS string (or the given bytes), length-prefixed and padded. */
  string(s: string | Uint8Array, max = MAX_U32): void {
    if (typeof s !== 'string') {
      this.opaque(s, max);
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    if (len > max) throw new XdrError('XDR_TOO_LONG', `string of ${len} bytes exceeds ${max}`);
    this.ensure(4 + len + 3);
    this.buf.writeUInt32BE(len, this.off);
    this.off += 4;
    this.buf.write(s, this.off, len, 'utf8');
    this.off += len;
    this.pad(len);
  }

  /**
   * The encoded bytes. A view of the internal buffer (no copy): the writer must not be used afterwards
   * unless the caller is done with the returned view.
   */
  finish(): Buffer {
    return this.buf.subarray(0, this.off);
  }
}
