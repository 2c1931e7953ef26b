// The cell's second file server as scripts/cell sets it up: both servers in the VLDB, the
// replicated volume with released RO sites on both and its known file, the volume that lives only
// on server 2, and the empty cover that keeps server 2 off server 1's /vicepa. Read-only checks:
// faults are staged by the tests in test/serial.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { AfsClient } from '../../src/client.js';
import { type Server2Env, server2Env } from '../serial/helpers-server2.js';
import { testClient } from './helpers/afs-client.js';
import { type CellEnv, cellEnv, sha256File, vosExamine } from './helpers/cell.js';

const run = promisify(execFile);
let env: CellEnv;
let s2: Server2Env;
let client: AfsClient;
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

before(async () => {
  env = await cellEnv();
  s2 = await server2Env();
  client = await testClient({ cacheSize: false });
});
after(() => client.close());

test('both file servers are in the VLDB, each at its own address', async () => {
  const { stdout } = await run('vos', ['listaddrs', '-noresolve', '-localauth']);
  const addrs = stdout.split('\n').map((l) => l.trim());
  assert.ok(addrs.includes(env.addr), stdout);
  assert.ok(addrs.includes(s2.addr2), stdout);
});

test('the replicated volume: RW on server 1, released RO sites on both servers', async () => {
  const ex = await vosExamine(s2.repVolume, { noResolve: true });
  assert.match(ex, new RegExp(`server ${re(env.addr)} partition /vicepa RW Site`));
  assert.match(ex, new RegExp(`server ${re(env.addr)} partition /vicepa RO Site`));
  assert.match(ex, new RegExp(`server ${re(s2.addr2)} partition /vicepb RO Site`));
  assert.doesNotMatch(ex, /Not released|New release|Old release/i);
});

test('the server-2-only volume has one site, on server 2', async () => {
  const ex = await vosExamine(s2.solo2Volume, { noResolve: true });
  assert.match(ex, /number of sites -> 1/);
  assert.match(ex, new RegExp(`server ${re(s2.addr2)} partition /vicepb RW Site`));
});

test('server 2 attaches no volume of server 1 (its /vicepa is an empty cover)', async () => {
  const { stdout } = await run('vos', ['listvol', s2.addr2, '-localauth'], { timeout: 60_000 });
  assert.doesNotMatch(stdout, /partition \/vicepa: [1-9]/, stdout);
  assert.match(stdout, new RegExp(`${re(s2.repVolume)}\\.readonly\\s+\\d+ RO`), stdout);
});

test('AFS_REP_DIR reaches the read-only instance; its file has the sha256 the fixture wrote', async () => {
  const path = `${s2.repDir}/${s2.repFile}`;
  const st = await client.fs.stat(path);
  const { stdout } = await run('vos', ['examine', `${s2.repVolume}.readonly`, '-localauth']);
  const roId = Number(/^\S+\s+(\d+) RO/m.exec(stdout)?.[1]);
  assert.equal(st.fid.volume, roId, 'the RO volume id');
  assert.equal(st.size, s2.repSize);
  const data = (await client.fs.readFile(path)) as Buffer;
  assert.equal(createHash('sha256').update(data).digest('hex'), s2.repSha256);
  // and the OpenAFS cache manager agrees
  assert.equal(await sha256File(path), s2.repSha256);
});

test('AFS_SOLO2_DIR is writable by anyone', async () => {
  const f = `${s2.solo2Dir}/cell-server2-${process.pid}`;
  await client.fs.writeFile(f, 'on server 2\n');
  try {
    assert.equal(await client.fs.readFile(f, 'utf8'), 'on server 2\n');
  } finally {
    await client.fs.rm(f, { force: true });
  }
});
