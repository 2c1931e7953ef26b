// XdrReader: bounded big-endian XDR decoding over a Buffer. Every read checks the bytes that remain
// first and throws XdrError('XDR_SHORT'), so a truncated or hostile message never reaches Buffer's own
// RangeError and never makes us allocate for data that is not there. Opaque data is returned as a
// zero-copy view of the input buffer.

import { XdrError } from './errors.js';
import { padLength } from './writer.js';

const TWO32 = 0x1_0000_0000;
const MAX_U32 = 0xffff_ffff;

export class XdrReader {
  private off: number;
  private readonly end: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    if (offset < 0 || end > buf.length || offset > end) throw new RangeError('XdrReader: bad bounds');
    this.off = offset;
    this.end = end;
  }

  get offset(): number {
    return this.off;
  }

  get remaining(): number {
    return this.end - this.off;
  }

  get atEnd(): boolean {
    return this.off === this.end;
  }

  /** Throw XDR_SHORT unless n more bytes are present. */
  need(n: number, what = 'data'): void {
    if (n > this.end - this.off) {
      throw new XdrError('XDR_SHORT', `${what} needs ${n} bytes, ${this.end - this.off} remain`, this.off);
    }
  }

  /** Throw XDR_TRAILING unless the whole input was consumed. */
  expectEnd(): void {
    if (this.off !== this.end) {
      throw new XdrError('XDR_TRAILING', `${this.end - this.off} bytes left over`, this.off);
    }
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  i32(): number {
    this.need(4, 'i32');
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }

  /** XDR bool: OpenAFS's xdr_bool takes any non-zero word as true. */
  bool(): boolean {
    return this.u32() !== 0;
  }

  hyper(): bigint {
    this.need(8, 'hyper');
    const v = this.buf.readBigInt64BE(this.off);
    this.off += 8;
    return v;
  }

  uhyper(): bigint {
    this.need(8, 'uhyper');
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    return v;
  }

  /** Unsigned 64-bit as a number; XDR_RANGE beyond 2^53 − 1. */
  u64(): number {
    this.need(8, 'u64');
    const hi = this.buf.readUInt32BE(this.off);
    const lo = this.buf.readUInt32BE(this.off + 4);
    if (hi > 0x1f_ffff) throw new XdrError('XDR_RANGE', 'u64 beyond 2^53', this.off);
    this.off += 8;
    return hi * TWO32 + lo;
  }

  /** Signed 64-bit as a number; XDR_RANGE outside ±(2^53 − 1). */
  i64(): number {
    this.need(8, 'i64');
    const hi = this.buf.readInt32BE(this.off);
    const lo = this.buf.readUInt32BE(this.off + 4);
    const v = hi * TWO32 + lo;
    if (!Number.isSafeInteger(v)) throw new XdrError('XDR_RANGE', 'i64 beyond 2^53', this.off);
    this.off += 8;
    return v;
  }

  /** n raw bytes, no padding (split-call bulk data). A view, not a copy. */
  raw(n: number): Buffer {
    this.need(n, 'raw bytes');
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  skip(n: number): void {
    this.need(n, 'skip');
    this.off += n;
  }

  /** Everything not yet read, as a view. */
  rest(): Buffer {
    const v = this.buf.subarray(this.off, this.end);
    this.off = this.end;
    return v;
  }

  /** `opaque x[n]`: n bytes plus padding, as a view. */
  fixedOpaque(n: number): Buffer {
    this.need(n + padLength(n), 'fixed opaque');
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n + padLength(n);
    return v;
  }

  /** Read and bound a length word: > max is XDR_TOO_LONG, more than the data present is XDR_SHORT. */
  private length(max: number, what: string): number {
    const at = this.off;
    const len = this.u32();
    if (len > max) throw new XdrError('XDR_TOO_LONG', `${what} length ${len} exceeds ${max}`, at);
    if (len + padLength(len) > this.end - this.off) {
      throw new XdrError('XDR_SHORT', `${what} length ${len} but ${this.end - this.off} bytes remain`, at);
    }
    return len;
  }

  /** `opaque x<max>` as a view of the input. */
  opaque(max = MAX_U32): Buffer {
    const len = this.length(max, 'opaque');
    const v = this.buf.subarray(this.off, this.off + len);
    this.off += len + padLength(len);
    return v;
  }

  /** `string s<max>` decoded as UTF-8 (invalid sequences become U+FFFD; use opaque() for exact bytes). */
  string(max = MAX_U32): string {
    const len = this.length(max, 'string');
    const v = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len + padLength(len);
    return v;
  }
}
