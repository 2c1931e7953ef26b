// MIT keytab files (format 0x0502, and 0x0501 read-only): a list of (principal, kvno, key) entries.
// Holes (negative record sizes, left by deletions) are skipped.

import { readFile } from 'node:fs/promises';
import type { EncryptionKey } from './enctypes.js';
import { Krb5Error } from './errors.js';
import type { Principal } from './messages.js';

export interface KeytabEntry {
  principal: Principal;
  timestamp: Date;
  kvno: number;
  key: EncryptionKey;
}

export class KeytabFormatError extends Krb5Error {
  constructor(message: string) {
    super('KRB5_KT_FORMAT', message);
    this.name = 'KeytabFormatError';
  }
}

class Cursor {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end: number,
  ) {}
  need(n: number): void {
    if (this.pos + n > this.end) throw new KeytabFormatError('keytab entry runs past its record');
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
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return Buffer.from(v);
  }
  str16(): string {
    return this.bytes(this.u16()).toString('utf8');
  }
}

export function parseKeytab(buf: Buffer): KeytabEntry[] {
  if (buf.length < 2 || buf[0] !== 5 || (buf[1] !== 1 && buf[1] !== 2)) {
    throw new KeytabFormatError('not an MIT keytab (bad version bytes)');
  }
  const v1 = buf[1] === 1;
  if (v1) throw new KeytabFormatError('keytab version 0x0501 (native byte order) is not supported');
  const out: KeytabEntry[] = [];
  let pos = 2;
  while (pos + 4 <= buf.length) {
    const size = buf.readInt32BE(pos);
    pos += 4;
    if (size === 0) break; // MIT treats a zero size as end of data
    if (size < 0) {
      pos += -size;
      continue;
    }
    if (pos + size > buf.length) throw new KeytabFormatError('keytab record runs past end of file');
    const c = new Cursor(buf, pos + size);
    c.pos = pos;
    const ncomp = c.u16();
    const realm = c.str16();
    const components: string[] = [];
    for (let i = 0; i < ncomp; i++) components.push(c.str16());
    const nameType = c.u32();
    const timestamp = new Date(c.u32() * 1000);
    let kvno = c.u8();
    const enctype = c.u16();
    const key = c.bytes(c.u16());
    // Newer writers append a 32-bit kvno; it wins when present and non-zero.
    if (c.pos + 4 <= c.end) {
      const k32 = c.u32();
      if (k32 !== 0) kvno = k32;
    }
    out.push({ principal: { realm, nameType, components }, timestamp, kvno, key: { enctype, key } });
    pos += size;
  }
  return out;
}

export async function readKeytab(path: string): Promise<KeytabEntry[]> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Krb5Error(
      'KRB5_KT_NOTFOUND',
      `cannot read keytab ${path}: ${(e as NodeJS.ErrnoException).code}`,
      {
        cause: e,
      },
    );
  }
  return parseKeytab(buf);
}

/** Entries for one principal, highest kvno first. */
export function keytabEntriesFor(entries: KeytabEntry[], p: Principal): KeytabEntry[] {
  return entries
    .filter(
      (e) =>
        e.principal.realm === p.realm &&
        e.principal.components.length === p.components.length &&
        e.principal.components.every((c, i) => c === p.components[i]),
    )
    .sort((a, b) => b.kvno - a.kvno);
}
