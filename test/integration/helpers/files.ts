// Shared by the Files acceptance tests: a client on the loopback cell, a scratch directory that is
// always removed, deterministic content, and patience for the FUSE referee's attribute cache.
import { createCipheriv, createHash } from 'node:crypto';
import { AfsClient, type AfsClientOptions } from '../../../src/client.js';
import { AfsError } from '../../../src/rpc/errors.js';
import { type CellEnv, cellEnv } from './cell.js';

export function clientFor(env: CellEnv, extra: Partial<AfsClientOptions> = {}): AfsClient {
  return new AfsClient({ cellServDB: env.cellServDb, cell: env.cell, ...extra });
}

/** An admin client (mount points need the 'a' right on the directory). */
export function adminClient(env: CellEnv): AfsClient {
  return clientFor(env, { auth: { localauth: {} } });
}

export interface Scratch {
  env: CellEnv;
  /** /afs/<cell>/rw/<name> */
  path: string;
  /** The same directory as the fixture names it: <rwVolume>:/<name> */
  fixturePath: string;
  name: string;
  remove(): Promise<void>;
}

/** A fresh directory in the RW test volume, made by `client`; remove() deletes it whatever is left. */
export async function scratchDir(client: AfsClient, tag: string): Promise<Scratch> {
  const env = await cellEnv();
  const name = `${tag}-${process.pid}-${Date.now().toString(36)}`;
  const path = `${env.rwDir}/${name}`;
  await client.fs.mkdir(path);
  return {
    env,
    path,
    name,
    fixturePath: `${env.rwVolume}:/${name}`,
    async remove() {
      // No fallback through the mount: `rm -r` there would descend through mount points into
      // other volumes. A failure here is a library bug the run must show.
      await client.fs.rm(path, { recursive: true, force: true });
    },
  };
}

/** Deterministic bytes for (size, seed): AES-CTR keystream, fast enough for 64 MiB. */
export function pattern(size: number, seed: number): Buffer {
  const key = createHash('sha256').update(`tsafs-files-${seed}`).digest();
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return c.update(Buffer.alloc(size));
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Retry `fn` until it stops throwing (the FUSE client caches attributes and names ~1 s). */
export async function eventually<T>(fn: () => Promise<T> | T, ms = 4000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** An assert.rejects predicate: an AfsError with this Node code (and, if given, this AFS name). */
export function isAfsError(code: string, afsName?: string) {
  return (e: unknown): boolean => {
    if (!(e instanceof AfsError)) throw e;
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code} (${e.afsName}): ${e.message}`);
    if (afsName !== undefined && e.afsName !== afsName)
      throw new Error(`expected AFS ${afsName}, got ${e.afsName}: ${e.message}`);
    return true;
  };
}
