// The conformance harness for client.fs: every case runs twice — against client.fs on the
// loopback cell (a scratch directory under $AFS_RW_DIR) and against real node:fs/promises on a
// local temporary directory — each time in a fresh directory of its own, and the two outcomes must
// be equal: the value (paths shown relative to the case directory, Stats and Dirents by kind, size
// and mode), or the error's Node-visible fields (code, errno, syscall, path, dest, class). Where
// AFS differs by nature, the case states the AFS outcome it expects instead (`afs`).
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AfsClient } from '../../../src/client.js';
import { cellEnv } from '../helpers/cell.js';
import { adminClient, type Scratch, scratchDir } from '../helpers/files.js';

/** node:fs/promises as both sides are driven (client.fs is checked to fit it by tsc). */
export type Fsp = typeof fsp;

export interface Side {
  kind: 'afs' | 'node';
  fs: Fsp;
  /** This case's own directory on this side. */
  dir: string;
  /** A path inside the case directory. */
  p(rel: string): string;
}

export interface Harness {
  client: AfsClient;
  scratch: Scratch;
  localRoot: string;
}

/** Registers the hooks; the harness is filled in once `before` ran. */
export function conformanceHarness(tag: string): Harness {
  const h = {} as Harness;
  before(async () => {
    h.client = adminClient(await cellEnv());
    h.scratch = await scratchDir(h.client, tag);
    h.localRoot = await fsp.mkdtemp(join(tmpdir(), `tsafs-${tag}-`));
  });
  after(async () => {
    await h.scratch?.remove();
    await h.client?.close();
    if (h.localRoot) await fsp.rm(h.localRoot, { recursive: true, force: true });
  });
  return h;
}

let caseNo = 0;

async function side(h: Harness, kind: 'afs' | 'node', n: number): Promise<Side> {
  const root = kind === 'afs' ? h.scratch.path : h.localRoot;
  const fs = (kind === 'afs' ? h.client.fs : fsp) as unknown as Fsp;
  const dir = `${root}/c${n}`;
  await fs.mkdir(dir);
  return { kind, fs, dir, p: (rel) => (rel ? `${dir}/${rel}` : dir) };
}

/** A value made comparable across the sides: the case directory becomes '<d>'. */
export function normalise(v: unknown, dir: string): unknown {
  if (typeof v === 'string') return v.split(dir).join('<d>');
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return { buffer: normalise(v.toString('latin1'), dir) };
  if (Array.isArray(v)) return v.map((x) => normalise(x, dir));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown> & {
      isFile?: () => boolean;
      isDirectory?: () => boolean;
      isSymbolicLink?: () => boolean;
    };
    if (typeof o.isFile === 'function') {
      const type = o.isFile() ? 'file' : o.isDirectory?.() ? 'dir' : o.isSymbolicLink?.() ? 'link' : 'other';
      if ('mode' in o) return { stats: type, size: normalise(o.size, dir), mode: normalise(o.mode, dir) };
      return { dirent: type, name: normalise(o.name, dir), parentPath: normalise(o.parentPath, dir) };
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normalise(x, dir)]));
  }
  return v;
}

/** The outcome of `fn` on one side: its value, or the error as Node shows it. */
export async function outcomeOf(fn: () => Promise<unknown>, dir: string): Promise<unknown> {
  try {
    return { value: normalise(await fn(), dir) };
  } catch (e) {
    const err = e as Error & {
      code?: string;
      errno?: number;
      syscall?: string;
      path?: string;
      dest?: string;
    };
    const cls = e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'RangeError' : 'Error';
    return normalise(
      {
        error: err.code ?? err.message,
        class: cls,
        ...(err.name === 'AbortError' ? { name: err.name } : {}),
        ...(err.errno !== undefined ? { errno: err.errno } : {}),
        ...(err.syscall !== undefined ? { syscall: err.syscall } : {}),
        ...(err.path !== undefined ? { path: err.path } : {}),
        ...(err.dest !== undefined ? { dest: err.dest } : {}),
      },
      dir,
    );
  }
}

export interface CaseOptions {
  /** The AFS outcome where AFS differs by nature (documented in the README's table). */
  afs?: (nodeOutcome: unknown) => unknown;
}

/** A test: `fn` gives the same outcome on AFS as on a local disk. */
export function same(h: Harness, name: string, fn: (s: Side) => Promise<unknown>, o: CaseOptions = {}): void {
  test(name, async () => {
    const n = caseNo++;
    const node = await side(h, 'node', n);
    const afs = await side(h, 'afs', n);
    const want = await outcomeOf(() => fn(node), node.dir);
    const got = await outcomeOf(() => fn(afs), afs.dir);
    if (process.env.TSAFS_SHOW_OUTCOMES) console.log(name, JSON.stringify(want));
    assert.deepStrictEqual(got, o.afs ? o.afs(want) : want);
  });
}
