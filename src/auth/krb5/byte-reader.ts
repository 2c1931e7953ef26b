// Big-endian reads with bounds, shared by the keytab and ccache parsers. Running past `end`
// throws the parser's own typed error.

export class ByteReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    private readonly fail: (message: string) => Error,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw this.fail('field runs past the end of its record');
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  s32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** A copy, so the result outlives the file buffer. */
  bytes(n: number): Buffer {
    this.need(n);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
  /** Bytes preceded by a 16-bit length (keytab). */
  data16(): Buffer {
    return this.bytes(this.u16());
  }
  /** Bytes preceded by a 32-bit length (ccache). */
  data32(): Buffer {
    return this.bytes(this.u32());
  }
}
