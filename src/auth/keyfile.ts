// OpenAFS server key files (src/auth/keys.c). Two files in the server config directory:
//  KeyFile     rxkad DES keys: count, then {kvno, 8 key bytes} per key; all integers big-endian.
//  KeyFileExt  every other key type: count, then per key {meta length (≥16, extra skipped),
//              type, kvno, subtype, key length, key bytes}; records are packed, not word-aligned.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const KEYTYPE_RXKAD = 0;
export const KEYTYPE_RXGK = 1;
export const KEYTYPE_RXKAD_KRB5 = 2;
const KEYTYPE_NAMES: Record<number, string> = { 0: 'rxkad', 1: 'rxgk', 2: 'rxkad_krb5' };

export function keyTypeName(type: number): string {
  return KEYTYPE_NAMES[type] ?? `type${type}`;
}

export class KeyFileError extends Error {
  readonly code: 'KEYFILE_CORRUPT' | 'KEYFILE_UNREADABLE';
  readonly path: string | undefined;
  constructor(code: KeyFileError['code'], detail: string, path?: string, cause?: unknown) {
    super(`${path ?? 'key file'}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'KeyFileError';
    this.code = code;
    this.path = path;
  }
}

export interface ServerKey {
  /** 0 rxkad (DES, from KeyFile), 1 rxgk, 2 rxkad_krb5 (Kerberos 5 enctype keys). */
  type: number;
  kvno: number;
  /** For rxkad_krb5 and rxgk: the Kerberos enctype (17/18 = AES). 0 for DES keys. */
  subType: number;
  key: Buffer;
}

// OpenAFS caps key counts well below this; the bound only stops a corrupt count from looping.
const MAX_KEYS = 4096;

/** Parse the bytes of a KeyFile. */
export function parseKeyFile(buf: Buffer, path?: string): ServerKey[] {
  if (buf.length < 4) throw new KeyFileError('KEYFILE_CORRUPT', 'shorter than its key count', path);
  const n = buf.readInt32BE(0);
  if (n < 0 || n > MAX_KEYS || buf.length < 4 + 12 * n) {
    throw new KeyFileError('KEYFILE_CORRUPT', `count ${n} does not fit ${buf.length} bytes`, path);
  }
  const keys: ServerKey[] = [];
  for (let i = 0; i < n; i++) {
    const o = 4 + 12 * i;
    keys.push({
      type: KEYTYPE_RXKAD,
      kvno: buf.readInt32BE(o),
      subType: 0,
      key: Buffer.from(buf.subarray(o + 4, o + 12)),
    });
  }
  return keys;
}

/** Parse the bytes of a KeyFileExt. */
export function parseKeyFileExt(buf: Buffer, path?: string): ServerKey[] {
  const need = (o: number, n: number) => {
    if (o + n > buf.length) throw new KeyFileError('KEYFILE_CORRUPT', `truncated at byte ${o}`, path);
  };
  need(0, 4);
  const n = buf.readInt32BE(0);
  if (n < 0 || n > MAX_KEYS) throw new KeyFileError('KEYFILE_CORRUPT', `key count ${n}`, path);
  const keys: ServerKey[] = [];
  let o = 4;
  for (let i = 0; i < n; i++) {
    need(o, 16);
    const meta = buf.readInt32BE(o);
    if (meta < 16) throw new KeyFileError('KEYFILE_CORRUPT', `record ${i} meta length ${meta}`, path);
    const type = buf.readInt32BE(o + 4);
    const kvno = buf.readInt32BE(o + 8);
    const subType = buf.readInt32BE(o + 12);
    o += meta; // fields added by later versions are skipped
    need(o, 4);
    const len = buf.readInt32BE(o);
    o += 4;
    if (len < 0) throw new KeyFileError('KEYFILE_CORRUPT', `record ${i} key length ${len}`, path);
    need(o, len);
    keys.push({ type, kvno, subType, key: Buffer.from(buf.subarray(o, o + len)) });
    o += len;
  }
  return keys;
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyFileError('KEYFILE_UNREADABLE', (e as Error).message, path, e);
  }
}

/** All keys of a server config directory (e.g. /etc/openafs/server); missing files mean no keys. */
export async function loadServerKeys(confDir: string): Promise<ServerKey[]> {
  const kf = join(confDir, 'KeyFile');
  const kx = join(confDir, 'KeyFileExt');
  const a = await readOptional(kf);
  const b = await readOptional(kx);
  return [...(a ? parseKeyFile(a, kf) : []), ...(b ? parseKeyFileExt(b, kx) : [])];
}

/** Serialize DES keys in KeyFile format (for tests and fixtures). */
export function formatKeyFile(keys: readonly { kvno: number; key: Uint8Array }[]): Buffer {
  const out = Buffer.alloc(4 + 12 * keys.length);
  out.writeInt32BE(keys.length, 0);
  keys.forEach((k, i) => {
    out.writeInt32BE(k.kvno, 4 + 12 * i);
    out.set(k.key.subarray(0, 8), 8 + 12 * i);
  });
  return out;
}

/** Serialize typed keys in KeyFileExt format (for tests and fixtures). */
export function formatKeyFileExt(keys: readonly ServerKey[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0].writeInt32BE(keys.length, 0);
  for (const k of keys) {
    const h = Buffer.alloc(20);
    h.writeInt32BE(16, 0);
    h.writeInt32BE(k.type, 4);
    h.writeInt32BE(k.kvno, 8);
    h.writeInt32BE(k.subType, 12);
    h.writeInt32BE(k.key.length, 16);
    parts.push(h, k.key);
  }
  return Buffer.concat(parts);
}
