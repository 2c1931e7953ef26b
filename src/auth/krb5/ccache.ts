// MIT FILE: credentials cache, format version 4 (0x0504; versions 3 and 2 share the layout minus
// the header block). Found through KRB5CCNAME ("FILE:/path" or a bare path) or /tmp/krb5cc_<uid>.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteReader } from './byte-reader.js';
import type { EncryptionKey } from './enctypes.js';
import { Krb5Error } from './errors.js';
import type { Principal } from './messages.js';

export interface CachedCredential {
  client: Principal;
  server: Principal;
  key: EncryptionKey;
  authtime: Date;
  starttime: Date;
  endtime: Date;
  renewTill: Date;
  isSkey: boolean;
  flags: number;
  /** Ticket DER. */
  ticket: Buffer;
  secondTicket: Buffer;
}

export interface CredentialCache {
  version: number;
  /** KDC clock offset from the header (seconds, microseconds), if present. */
  timeOffset?: { seconds: number; microseconds: number } | undefined;
  defaultPrincipal: Principal;
  credentials: CachedCredential[];
}

export class CcacheFormatError extends Krb5Error {
  constructor(message: string) {
    super('KRB5_CC_FORMAT', message);
    this.name = 'CcacheFormatError';
  }
}

/** The realm MIT uses for its configuration entries, which are not credentials. */
export const CCACHE_CONF_REALM = 'X-CACHECONF:';

/**
 * The cache file named by KRB5CCNAME, or the MIT default. FILE: and DIR: (a collection: its
 * `primary` file names the current cache, "tkt" when absent; DIR::path names one cache) are
 * files; KEYRING:, KCM: and the rest live in the kernel or a daemon and are refused, naming the
 * way round.
 */
export function defaultCcachePath(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.KRB5CCNAME;
  if (!name) return `/tmp/krb5cc_${process.getuid ? process.getuid() : 0}`;
  if (name.startsWith('FILE:')) return name.slice(5);
  if (name.startsWith('DIR::')) return name.slice(5);
  if (name.startsWith('DIR:')) {
    const dir = name.slice(4);
    let primary = 'tkt';
    try {
      primary = readFileSync(join(dir, 'primary'), 'utf8').trim() || primary;
    } catch {
      // No primary file: MIT's default name in the collection.
    }
    if (primary.includes('/')) throw new Krb5Error('KRB5_CC_FORMAT', `${dir}/primary names ${primary}`);
    return join(dir, primary);
  }
  const colon = name.indexOf(':');
  if (colon > 0 && !name.startsWith('/')) {
    const type = name.slice(0, colon);
    throw new Krb5Error(
      'KRB5_CC_TYPE',
      `credential cache type ${type} (KRB5CCNAME=${name}) is not supported, only FILE: and DIR:. ` +
        `Either get a ticket into a file cache (KRB5CCNAME=FILE:/tmp/krb5cc_$(id -u)_tsafs kinit, then the ` +
        `same KRB5CCNAME for tsafs login), or let tsafs login ask for the password or use --keytab`,
    );
  }
  return name;
}

function readPrincipal(r: ByteReader): Principal {
  const nameType = r.u32();
  const count = r.u32();
  if (count > 64) throw new CcacheFormatError(`principal with ${count} components`);
  const realm = r.data32().toString('utf8');
  const components: string[] = [];
  for (let i = 0; i < count; i++) components.push(r.data32().toString('utf8'));
  return { realm, nameType, components };
}

export function parseCcache(buf: Buffer): CredentialCache {
  const r = new ByteReader(buf, (m) => new CcacheFormatError(`credential cache: ${m}`));
  const version = r.u16();
  if (version !== 0x0504 && version !== 0x0503 && version !== 0x0502) {
    throw new CcacheFormatError(`unsupported credential cache version 0x${version.toString(16)}`);
  }
  let timeOffset: CredentialCache['timeOffset'];
  if (version === 0x0504) {
    const hlen = r.u16();
    r.need(hlen);
    const end = r.pos + hlen;
    while (r.pos + 4 <= end) {
      const tag = r.u16();
      const len = r.u16();
      if (r.pos + len > end) throw new CcacheFormatError('credential cache header field runs past header');
      if (tag === 1 && len === 8) timeOffset = { seconds: r.s32(), microseconds: r.s32() };
      else r.pos += len;
    }
    r.pos = end;
  }
  const defaultPrincipal = readPrincipal(r);
  const credentials: CachedCredential[] = [];
  while (r.pos < buf.length) {
    const client = readPrincipal(r);
    const server = readPrincipal(r);
    const enctype = r.u16();
    if (version === 0x0503) r.u16(); // v3 repeats the enctype
    const key = r.data32();
    const authtime = new Date(r.u32() * 1000);
    const starttime = new Date(r.u32() * 1000);
    const endtime = new Date(r.u32() * 1000);
    const renewTill = new Date(r.u32() * 1000);
    const isSkey = r.u8() !== 0;
    const flags = r.u32();
    const naddr = r.u32();
    for (let i = 0; i < naddr; i++) {
      r.u16();
      r.data32();
    }
    const nauth = r.u32();
    for (let i = 0; i < nauth; i++) {
      r.u16();
      r.data32();
    }
    const ticket = r.data32();
    const secondTicket = r.data32();
    credentials.push({
      client,
      server,
      key: { enctype, key },
      authtime,
      starttime,
      endtime,
      renewTill,
      isSkey,
      flags,
      ticket,
      secondTicket,
    });
  }
  return { version, timeOffset, defaultPrincipal, credentials };
}

export async function readCcache(path = defaultCcachePath()): Promise<CredentialCache> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Krb5Error('KRB5_CC_NOTFOUND', `no credential cache at ${path}`, { cause: e });
  }
  return parseCcache(buf);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
function data(b: Buffer): Buffer {
  return Buffer.concat([u32(b.length), b]);
}
function secs(d: Date): Buffer {
  return u32(Math.floor(d.getTime() / 1000));
}
function principal(p: Principal): Buffer {
  return Buffer.concat([
    u32(p.nameType),
    u32(p.components.length),
    data(Buffer.from(p.realm, 'utf8')),
    ...p.components.map((c) => data(Buffer.from(c, 'utf8'))),
  ]);
}

/** Serialises a version-4 cache (with no header fields unless a time offset is given). */
export function serializeCcache(
  cc: Pick<CredentialCache, 'defaultPrincipal' | 'credentials' | 'timeOffset'>,
): Buffer {
  const header = cc.timeOffset
    ? Buffer.concat([u16(1), u16(8), u32(cc.timeOffset.seconds), u32(cc.timeOffset.microseconds)])
    : Buffer.alloc(0);
  const parts: Buffer[] = [u16(0x0504), u16(header.length), header, principal(cc.defaultPrincipal)];
  for (const c of cc.credentials) {
    parts.push(
      principal(c.client),
      principal(c.server),
      u16(c.key.enctype),
      data(c.key.key),
      secs(c.authtime),
      secs(c.starttime),
      secs(c.endtime),
      secs(c.renewTill),
      Buffer.from([c.isSkey ? 1 : 0]),
      u32(c.flags),
      u32(0),
      u32(0),
      data(c.ticket),
      data(c.secondTicket),
    );
  }
  return Buffer.concat(parts);
}

/** Writes the cache atomically with mode 0600 (it holds session keys). */
export async function writeCcache(
  path: string,
  cc: Pick<CredentialCache, 'defaultPrincipal' | 'credentials' | 'timeOffset'>,
): Promise<void> {
  const tmp = `${path}.tsafs-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, serializeCcache(cc), { mode: 0o600, flag: 'wx' });
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
