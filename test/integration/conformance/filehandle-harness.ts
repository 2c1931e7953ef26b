// FileHandle cases on the shared conformance harness (harness.ts): each runs on AFS and on a local
// disk and must give the same outcome. On the AFS side a file's bytes are also read through
// OpenAFS's own afsd.fuse mount (the referee), which must agree with what tsafs reads.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import type { AfsClient } from '../../../src/client.js';
import { eventually, type Scratch } from '../helpers/files.js';
import { type Side as CaseSide, conformanceHarness, type Harness, outcomeOf, same } from './harness.js';

export type FileHandle = fsp.FileHandle;

export interface Side extends CaseSide {
  /** A path in this case's directory. */
  path(name: string): string;
  /** The file's bytes as latin1 text; on AFS also checked against the FUSE mount. */
  contents(p: string): Promise<string>;
}

export interface Sides {
  readonly client: AfsClient;
  readonly scratch: Scratch;
  /** For AFS-only tests: fresh paths in the scratch directory, and the refereed contents. */
  afs: { path(name: string): string; contents(p: string): Promise<string> };
  harness: Harness;
}

/** The outcome of a call inside a case (values as they are, errors as the harness shows them). */
export const outcome = (fn: () => Promise<unknown>) => outcomeOf(fn, '\0');

async function afsContents(h: Harness, p: string): Promise<string> {
  const mine = ((await h.client.fs.readFile(p)) as Buffer).toString('latin1');
  await eventually(async () => assert.equal((await fsp.readFile(p)).toString('latin1'), mine, 'FUSE'));
  return mine;
}

export function conformanceSides(tag: string): Sides {
  const h = conformanceHarness(tag);
  let n = 0;
  return {
    harness: h,
    get client() {
      return h.client;
    },
    get scratch() {
      return h.scratch;
    },
    afs: {
      path: (name) => `${h.scratch.path}/${name}-${n++}`,
      contents: (p) => afsContents(h, p),
    },
  };
}

export function conformance(sides: Sides, name: string, fn: (s: Side) => Promise<unknown>): void {
  const h = sides.harness;
  same(h, name, (s) =>
    fn({
      ...s,
      path: (rel) => s.p(rel),
      contents: async (p) =>
        s.kind === 'afs' ? afsContents(h, p) : (await fsp.readFile(p)).toString('latin1'),
    }),
  );
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
