// cacheDir: file data kept on disk is reused by a later client (a restart) only where the server
// still reports the same data version.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AfsClient } from '../../src/client.js';
import { testClient } from './helpers/afs-client.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';

let env: CellEnv;
let cacheDir: string;
let path: string;

before(async () => {
  env = await cellEnv();
  cacheDir = await mkdtemp(join(tmpdir(), 'tsafs-cache-'));
  path = `${env.rwDir}/cachedir-${process.pid}-${Date.now().toString(36)}`;
});
after(async () => {
  const c = await testClient();
  await c.fs.rm(path, { force: true }).catch(() => {});
  await c.close();
  await rm(cacheDir, { recursive: true, force: true });
});

/** Read the file and count the FetchData64 calls it took. */
async function readCounting(c: AfsClient): Promise<{ sha: string; fetches: number }> {
  const ep = c.endpoint;
  const orig = ep.call.bind(ep);
  let fetches = 0;
  ep.call = (o) => {
    if (o.label === 'FS.FetchData64') fetches++;
    return orig(o);
  };
  try {
    const data = (await c.fs.readFile(path)) as Buffer;
    return { sha: createHash('sha256').update(data).digest('hex'), fetches };
  } finally {
    ep.call = orig;
  }
}

test('a later client reads unchanged data from the disk cache, and a changed file from the server', async () => {
  const data = Buffer.alloc(3 * 1024 * 1024 + 77);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 255;
  const sha = createHash('sha256').update(data).digest('hex');
  const w = await testClient();
  await w.fs.writeFile(path, data);
  await w.close();

  const a = await testClient({ cacheDir });
  const first = await readCounting(a);
  assert.equal(first.sha, sha);
  assert.ok(first.fetches > 0, 'the first client fetched the data');
  await a.close();

  const b = await testClient({ cacheDir });
  const second = await readCounting(b);
  await b.close();
  assert.equal(second.sha, sha);
  assert.equal(second.fetches, 0, 'the second client read every chunk from the disk cache');

  const w2 = await testClient();
  await w2.fs.writeFile(path, 'changed');
  await w2.close();
  const c = await testClient({ cacheDir });
  const third = await readCounting(c);
  await c.close();
  assert.equal(
    third.sha,
    createHash('sha256').update('changed').digest('hex'),
    'a new data version is fetched',
  );
  assert.ok(third.fetches > 0);
});
