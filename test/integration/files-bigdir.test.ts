// Issue 4 acceptance, big directories: 10,000 live entries with deleted entries (free slots the
// server reuses), long names spanning several 32-byte slots, and names whose hashes collide (the
// same bucket, and the same full 32-bit hash), listed by tsafs exactly as `ls -f` lists them
// through the afsd.fuse mount: same names, same order. Built by tsafs, then by the mount.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { dirHash, nameBlobs } from '../../src/afs/dir.js';
import type { AfsClient } from '../../src/client.js';
import { cellEnv } from './helpers/cell.js';
import { adminClient, type Scratch, scratchDir } from './helpers/files.js';

const run = promisify(execFile);
const LIVE = 10_000;
const DELETED = 1_000;

/** The full 32-bit value OpenAFS's DirHash computes before it folds it into a bucket. */
function fullHash(name: Buffer): number {
  let h = 0;
  for (const b of name) h = (Math.imul(h, 173) + b) >>> 0;
  return h;
}

/** Pairs of distinct printable names with the same full hash (birthday search, deterministic). */
function fullHashCollisions(pairs: number): Buffer[] {
  const seen = new Map<number, Buffer>();
  const out: Buffer[] = [];
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  for (let i = 0; out.length < pairs * 2; i++) {
    let n = i;
    let s = 'hc-';
    for (let k = 0; k < 6; k++) {
      s += alphabet[n % alphabet.length];
      n = Math.floor(n / alphabet.length);
    }
    const b = Buffer.from(s);
    const h = fullHash(b);
    const prev = seen.get(h);
    if (prev) {
      out.push(prev, b);
      seen.delete(h);
    } else seen.set(h, b);
  }
  return out;
}

/** Names that all fall in one hash bucket (bucket 0 is the special case of the fold). */
function sameBucket(bucket: number, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; out.length < count; i++) {
    const b = Buffer.from(`b${bucket}-${i}`);
    if (dirHash(b) === bucket) out.push(b);
  }
  return out;
}

/** Long names: 16..255 bytes, so entries occupy 2 to 9 slots. */
function longNames(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const len = 16 + ((i * 37) % 240);
    return Buffer.from(`long-${i}-`.padEnd(len, String.fromCharCode(97 + (i % 26))));
  });
}

/** 10,000 live names plus 1,000 to delete, interleaved so the deletions leave holes. */
function namePlan(): { create: Buffer[]; remove: Set<string> } {
  const special = [
    ...fullHashCollisions(50),
    ...sameBucket(0, 150),
    ...sameBucket(127, 100),
    ...longNames(400),
    Buffer.from('x'.repeat(255)),
  ];
  const filler = Array.from({ length: LIVE - special.length }, (_, i) => Buffer.from(`e${i}`));
  const live = [...special, ...filler];
  const doomed = Array.from({ length: DELETED }, (_, i) => Buffer.from(`del-${i}-${'d'.repeat(i % 60)}`));
  // Interleave: one doomed name every ~10 live names, so the deletions leave holes of various
  // sizes all through the pages, and the names created after reuse some of them.
  const create: Buffer[] = [];
  let d = 0;
  for (let i = 0; i < live.length; i++) {
    if (i % 10 === 0 && d < doomed.length) create.push(doomed[d++]!);
    create.push(live[i]!);
  }
  return { create, remove: new Set(doomed.map((b) => b.toString('latin1'))) };
}

/** `ls -f` through the mount: directory order, "." and ".." dropped. */
async function lsF(path: string): Promise<string[]> {
  const { stdout } = await run('ls', ['-f', path], { encoding: 'buffer', maxBuffer: 64 << 20 });
  return stdout
    .toString('latin1')
    .split('\n')
    .filter((n) => n !== '' && n !== '.' && n !== '..');
}

async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

let client: AfsClient;
let dir: Scratch;

before(async () => {
  client = adminClient(await cellEnv());
  dir = await scratchDir(client, 'files-bigdir');
});
after(async () => {
  await dir?.remove();
  await client?.close();
});

const inDir = (d: string, n: Buffer) => Buffer.concat([Buffer.from(`${d}/`), n]);

/** Empty a big directory 8 unlinks at a time (rm -r is one at a time) and say how long it took. */
async function emptyAndRemove(d: string, diag: (m: string) => void) {
  const t0 = performance.now();
  const names = await client.fs.readdir(d, { encoding: 'buffer' });
  await pool(names, 8, (n) => client.fs.unlink(inDir(d, n)));
  await client.fs.rmdir(d);
  diag(`tsafs removed ${names.length} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function assertListingsAgree(d: string, plan: ReturnType<typeof namePlan>) {
  const ours = (await client.fs.readdir(d, { encoding: 'buffer' })).map((b) => b.toString('latin1'));
  const fuse = await lsF(d);
  assert.equal(ours.length, LIVE);
  assert.equal(fuse.length, LIVE);
  assert.deepEqual(ours, fuse, 'same names in the same (directory) order');
  const want = plan.create.map((b) => b.toString('latin1')).filter((n) => !plan.remove.has(n));
  assert.deepEqual([...ours].sort(), want.sort());
  // Every entry is reachable by name (hash chains intact), colliding names included.
  for (const n of plan.create.slice(0, 600)) {
    const gone = plan.remove.has(n.toString('latin1'));
    if (gone) await assert.rejects(client.fs.lstat(inDir(d, n)), { code: 'ENOENT' });
    else assert.ok((await client.fs.lstat(inDir(d, n))).isFile());
  }
}

test('sanity of the name plan: collisions, buckets and slot spans are really there', () => {
  const plan = namePlan();
  const live = plan.create.filter((b) => !plan.remove.has(b.toString('latin1')));
  assert.equal(live.length, LIVE);
  const byFull = new Map<number, number>();
  for (const b of live) byFull.set(fullHash(b), (byFull.get(fullHash(b)) ?? 0) + 1);
  assert.ok([...byFull.values()].filter((c) => c >= 2).length >= 50, 'full-hash collisions');
  assert.ok(live.filter((b) => dirHash(b) === 0).length >= 150, 'bucket 0');
  assert.ok(
    live.some((b) => nameBlobs(b.length) === 9),
    'a 255-byte name takes 9 slots',
  );
});

test('10,000 entries made by tsafs list identically to ls -f through the mount', {
  timeout: 1_800_000,
}, async (t) => {
  const d = `${dir.path}/by-tsafs`;
  await client.fs.mkdir(d);
  const plan = namePlan();
  const t0 = performance.now();
  await pool(plan.create, 8, (n) => client.fs.writeFile(inDir(d, n), ''));
  const tCreate = performance.now() - t0;
  const t1 = performance.now();
  await pool([...plan.remove], 8, (n) => client.fs.unlink(inDir(d, Buffer.from(n, 'latin1'))));
  const tRemove = performance.now() - t1;
  t.diagnostic(
    `tsafs created ${plan.create.length} entries in ${(tCreate / 1000).toFixed(1)} s ` +
      `(${(tCreate / plan.create.length).toFixed(2)} ms each, 8 at a time); ` +
      `removed ${plan.remove.size} in ${(tRemove / 1000).toFixed(1)} s`,
  );
  const t2 = performance.now();
  await client.fs.readdir(d, { withFileTypes: true });
  t.diagnostic(`readdir withFileTypes of ${LIVE}: ${(performance.now() - t2).toFixed(0)} ms`);
  await assertListingsAgree(d, plan);
  await emptyAndRemove(d, (m) => t.diagnostic(m));
});

test('10,000 entries made through the mount list identically in tsafs', { timeout: 1_800_000 }, async (t) => {
  const d = `${dir.path}/by-fuse`;
  await fsp.mkdir(d);
  const plan = namePlan();
  const t0 = performance.now();
  for (const n of plan.create) await (await fsp.open(inDir(d, n), 'w')).close();
  for (const n of plan.remove) await fsp.unlink(inDir(d, Buffer.from(n, 'latin1')));
  t.diagnostic(`the FUSE mount built it in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await assertListingsAgree(d, plan);
  await emptyAndRemove(d, (m) => t.diagnostic(m));
});
