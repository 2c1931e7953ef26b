// MIT keytab files (format 0x0502, and 0x0501 read-only): a list of (principal, kvno, key) entries.
// Holes (negative record sizes, left by deletions) are skipped.

import { readFile } from 'node:fs/promises';
import { ByteReader } from './byte-reader.js';
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
    const c = new ByteReader(buf, (m) => new KeytabFormatError(`keytab: ${m}`), pos, pos + size);
    const ncomp = c.u16();
    const realm = c.data16().toString('utf8');
    const components: string[] = [];
    for (let i = 0; i < ncomp; i++) components.push(c.data16().toString('utf8'));
    const nameType = c.u32();
    const timestamp = new Date(c.u32() * 1000);
    let kvno = c.u8();
    const enctype = c.u16();
    const key = c.data16();
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
