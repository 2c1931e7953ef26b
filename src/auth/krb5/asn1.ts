// A small DER encoder/decoder: just the universal types Kerberos (RFC 4120) uses, with context
// [n] EXPLICIT and [APPLICATION n] wrappers. Decoding is bounds-checked everywhere and throws
// Asn1Error; it never reads past the TLV it was given.

import { Asn1Error } from './errors.js';

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_SEQUENCE = 0x30;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_GENERAL_STRING = 0x1b;

/** Longest length we accept: 4 length octets (Kerberos messages are far smaller). */
const MAX_LENGTH_OCTETS = 4;

// ---------------------------------------------------------------------------------------------
// Encoding

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single-octet identifier (all Kerberos tags are ≤ 30). */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function derInteger(value: number | bigint): Buffer {
  let v = BigInt(value);
  const out: number[] = [];
  // Two's complement, minimal: emit bytes until the remaining value is just sign extension.
  for (;;) {
    const byte = Number(v & 0xffn);
    out.unshift(byte);
    v >>= 8n;
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return tlv(TAG_INTEGER, Buffer.from(out));
}

export function derOctetString(b: Buffer): Buffer {
  return tlv(TAG_OCTET_STRING, b);
}

/** KerberosString: GeneralString restricted to IA5 in practice; we write UTF-8 bytes. */
export function derGeneralString(s: string): Buffer {
  return tlv(TAG_GENERAL_STRING, Buffer.from(s, 'utf8'));
}

/** KerberosTime: "YYYYMMDDHHMMSSZ", whole seconds. */
export function derGeneralizedTime(d: Date): Buffer {
  const iso = d.toISOString(); // 2024-01-02T03:04:05.678Z
  const s = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(TAG_GENERALIZED_TIME, Buffer.from(s, 'ascii'));
}

/** A 32-bit flags BIT STRING (KDCOptions, APOptions, TicketFlags): bit 0 is the MSB. */
export function derFlags32(flags: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = 0; // no unused bits
  b.writeUInt32BE(flags >>> 0, 1);
  return tlv(TAG_BIT_STRING, b);
}

export function derSequence(items: Buffer[]): Buffer {
  return tlv(TAG_SEQUENCE, Buffer.concat(items));
}

/** [n] EXPLICIT: constructed context-specific tag around one element. */
export function derExplicit(n: number, inner: Buffer): Buffer {
  return tlv(0xa0 | n, inner);
}

/** [APPLICATION n]: constructed application tag around one element. */
export function derApplication(n: number, inner: Buffer): Buffer {
  return tlv(0x60 | n, inner);
}

/** SEQUENCE of explicitly tagged fields; undefined fields are OPTIONAL and left out. */
export function derFields(fields: Array<[number, Buffer | undefined]>): Buffer {
  const parts: Buffer[] = [];
  for (const [n, v] of fields) if (v !== undefined) parts.push(derExplicit(n, v));
  return derSequence(parts);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface Tlv {
  tag: number;
  /** The content octets (a view into the input). */
  content: Buffer;
  /** The whole TLV including header (a view into the input). */
  raw: Buffer;
}

/** Reads consecutive TLVs from a buffer without ever going past its end. */
export class DerReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.buf[this.pos];
  }

  read(): Tlv {
    const start = this.pos;
    const b = this.buf;
    if (start + 2 > b.length) throw new Asn1Error('ASN1_TRUNCATED', 'DER: header past end of input');
    const tag = b[start] as number;
    if ((tag & 0x1f) === 0x1f)
      throw new Asn1Error('ASN1_BAD_TAG', 'DER: multi-octet tags are not used by Kerberos');
    let p = start + 1;
    const first = b[p++] as number;
    let len: number;
    if (first < 0x80) {
      len = first;
    } else {
      const n = first & 0x7f;
      if (n === 0) throw new Asn1Error('ASN1_BAD_LENGTH', 'DER: indefinite length is not DER');
      if (n > MAX_LENGTH_OCTETS) throw new Asn1Error('ASN1_BAD_LENGTH', `DER: ${n} length octets`);
      if (p + n > b.length) throw new Asn1Error('ASN1_TRUNCATED', 'DER: length octets past end of input');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (b[p++] as number);
    }
    if (p + len > b.length) {
      throw new Asn1Error('ASN1_TRUNCATED', `DER: value of ${len} bytes runs past end of input`);
    }
    this.pos = p + len;
    return { tag, content: b.subarray(p, p + len), raw: b.subarray(start, p + len) };
  }

  expect(tag: number): Tlv {
    const t = this.read();
    if (t.tag !== tag) {
      throw new Asn1Error(
        'ASN1_BAD_TAG',
        `DER: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`,
      );
    }
    return t;
  }

  end(): void {
    if (!this.done) throw new Asn1Error('ASN1_BAD_LENGTH', 'DER: trailing bytes after value');
  }
}

/** Decodes exactly one TLV occupying all of `buf`, of the given tag; returns its content. */
export function unwrap(buf: Buffer, tag: number): Buffer {
  const r = new DerReader(buf);
  const t = r.expect(tag);
  r.end();
  return t.content;
}

export function decodeInteger(buf: Buffer): number {
  const c = unwrap(buf, TAG_INTEGER);
  if (c.length === 0) throw new Asn1Error('ASN1_BAD_VALUE', 'DER: empty INTEGER');
  // Kerberos integers are Int32 or UInt32; five bytes covers UInt32 with a sign octet.
  if (c.length > 5) throw new Asn1Error('ASN1_BAD_VALUE', 'DER: INTEGER wider than 32 bits');
  let v = (c[0] as number) & 0x80 ? -1n : 0n;
  for (const byte of c) v = (v << 8n) | BigInt(byte);
  if (v < -0x80000000n || v > 0xffffffffn)
    throw new Asn1Error('ASN1_BAD_VALUE', 'DER: INTEGER out of 32-bit range');
  return Number(v);
}

export function decodeOctetString(buf: Buffer): Buffer {
  return unwrap(buf, TAG_OCTET_STRING);
}

export function decodeGeneralString(buf: Buffer): string {
  return unwrap(buf, TAG_GENERAL_STRING).toString('utf8');
}

export function decodeGeneralizedTime(buf: Buffer): Date {
  const s = unwrap(buf, TAG_GENERALIZED_TIME).toString('ascii');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
  if (!m) throw new Asn1Error('ASN1_BAD_VALUE', 'DER: KerberosTime is not YYYYMMDDHHMMSSZ');
  const [, y, mo, d, h, mi, se] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)));
}

/** A BIT STRING of up to 32 bits as a number with bit 0 in the MSB. */
export function decodeFlags32(buf: Buffer): number {
  const c = unwrap(buf, TAG_BIT_STRING);
  if (c.length < 1) throw new Asn1Error('ASN1_BAD_VALUE', 'DER: empty BIT STRING');
  const bits = Buffer.alloc(4);
  c.subarray(1, 5).copy(bits);
  return bits.readUInt32BE(0);
}

/** The elements of a SEQUENCE OF, each as a full TLV. */
export function decodeSequenceOf(buf: Buffer): Buffer[] {
  const r = new DerReader(unwrap(buf, TAG_SEQUENCE));
  const out: Buffer[] = [];
  while (!r.done) out.push(r.read().raw);
  return out;
}

/**
 * The fields of a SEQUENCE whose members are [n] EXPLICIT: a map from n to the inner TLV.
 * Tags must ascend (DER order), which also rules out duplicates.
 */
export class DerFields {
  private readonly map = new Map<number, Buffer>();
  constructor(
    seq: Buffer,
    private readonly what: string,
  ) {
    const r = new DerReader(unwrap(seq, TAG_SEQUENCE));
    let last = -1;
    while (!r.done) {
      const t = r.read();
      if ((t.tag & 0xe0) !== 0xa0) throw new Asn1Error('ASN1_BAD_TAG', `${what}: field is not [n] EXPLICIT`);
      const n = t.tag & 0x1f;
      if (n <= last) throw new Asn1Error('ASN1_BAD_TAG', `${what}: fields out of order`);
      last = n;
      const inner = new DerReader(t.content);
      const v = inner.read();
      inner.end();
      this.map.set(n, v.raw);
    }
  }

  has(n: number): boolean {
    return this.map.has(n);
  }

  opt(n: number): Buffer | undefined {
    return this.map.get(n);
  }

  req(n: number): Buffer {
    const v = this.map.get(n);
    if (v === undefined) throw new Asn1Error('ASN1_BAD_VALUE', `${this.what}: missing field [${n}]`);
    return v;
  }
}

/** Content of an [APPLICATION n] wrapper (one inner element), as the inner TLV. */
export function unwrapApplication(buf: Buffer, n: number): Buffer {
  const c = unwrap(buf, 0x60 | n);
  const r = new DerReader(c);
  const inner = r.read();
  r.end();
  return inner.raw;
}
