// Runs one FileHandle case twice, against client.fs on the loopback cell and against real
// node:fs/promises on a local temporary directory, and asserts both give the same result or the
// same error. On the AFS side the file's bytes are also read through OpenAFS's own afsd.fuse mount
// (the referee), which must agree with what tsafs reads.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AfsClient } from '../../../src/client.js';
import { cellEnv } from '../helpers/cell.js';
import { adminClient, eventually, type Scratch, scratchDir } from '../helpers/files.js';

export type FileHandle = fsp.FileHandle;
type Fs = Pick<typeof fsp, 'open' | 'readFile' | 'writeFile' | 'stat'>;

export interface Side {
  kind: 'afs' | 'node';
  fs: Fs;
  /** A fresh path in this side's directory. */
  path(name: string): string;
  /** The file's bytes as latin1 text; on AFS also checked against the FUSE mount. */
  contents(p: string): Promise<string>;
}

export interface Sides {
  afs: Side;
  node: Side;
  client: AfsClient;
  scratch: Scratch;
}

/** What a case produced, comparable across sides: its value, or the error's Node-visible shape. */
export async function outcome(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await fn() };
  } catch (e) {
    const err = e as Error & { code?: string; syscall?: string };
    return {
      error: err.code ?? err.message,
      syscall: err.syscall,
      type: e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'RangeError' : 'Error',
    };
  }
}

/** Registers the before/after hooks and returns the two sides (filled in once `before` ran). */
export function conformanceSides(tag: string): Sides {
  const sides = {} as Sides;
  let n = 0;
  let local = '';
  before(async () => {
    await cellEnv();
    sides.client = adminClient(await cellEnv());
    sides.scratch = await scratchDir(sides.client, tag);
    local = await fsp.mkdtemp(join(tmpdir(), `tsafs-${tag}-`));
    const afsDir = sides.scratch.path;
    sides.afs = {
      kind: 'afs',
      fs: sides.client.fs as unknown as Fs,
      path: (name) => `${afsDir}/${n++}-${name}`,
      async contents(p) {
        const mine = ((await sides.client.fs.readFile(p)) as Buffer).toString('latin1');
        await eventually(async () => assert.equal((await fsp.readFile(p)).toString('latin1'), mine, 'FUSE'));
        return mine;
      },
    };
    sides.node = {
      kind: 'node',
      fs: fsp,
      path: (name) => join(local, `${n++}-${name}`),
      contents: async (p) => (await fsp.readFile(p)).toString('latin1'),
    };
  });
  after(async () => {
    await sides.scratch?.remove();
    await sides.client?.close();
    if (local) await fsp.rm(local, { recursive: true, force: true });
  });
  return sides;
}

/** A test asserting `fn` gives the same outcome on AFS as on a local disk (and returning it). */
export function conformance(sides: Sides, name: string, fn: (s: Side) => Promise<unknown>): void {
  test(name, async () => {
    const node = await outcome(() => fn(sides.node));
    const afs = await outcome(() => fn(sides.afs));
    if (process.env.TSAFS_SHOW_OUTCOMES)
      console.log(
        name,
        JSON.stringify(node, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
      );
    assert.deepStrictEqual(afs, node);
  });
}

/** Open `p` holding `content` with `flags`, run `fn`, close, and give back fn's value with the file's bytes. */
export async function withFile<T>(
  s: Side,
  name: string,
  content: string,
  flags: string,
  fn: (fh: FileHandle, p: string) => Promise<T>,
): Promise<{ result: T; file: string }> {
  const p = s.path(name);
  await s.fs.writeFile(p, Buffer.from(content, 'latin1'));
  const fh = await s.fs.open(p, flags);
  let result: T;
  try {
    result = await fn(fh, p);
  } finally {
    await fh.close();
  }
  return { result, file: await s.contents(p) };
}
