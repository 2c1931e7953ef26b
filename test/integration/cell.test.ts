// The loopback cell every other integration test stands on: databases with quorum, the volumes
// and ACLs scripts/cell promises, and the afsd.fuse referee agreeing with the libafscp fixture.
// Nothing here skips: a missing piece of the cell is a failure.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type CellEnv,
  CellToolError,
  cellEnv,
  fixture,
  fixtureWrite,
  parseFixtureFile,
  sha256File,
  udebug,
  vosExamine,
  vosListVldb,
} from './helpers/cell.js';

let env: CellEnv;
const tag = `cell-test-${process.pid}-${Date.now().toString(36)}`;
const made: string[] = [];

before(async () => {
  env = await cellEnv();
});

after(async () => {
  for (const p of made.reverse()) await fixture(['rm', p]).catch(() => undefined);
});

test('the VLDB holds the volumes scripts/cell creates, with released RO sites', async () => {
  const vldb = await vosListVldb();
  for (const v of ['root.afs', 'root.cell', env.rwVolume, env.roVolume, env.privateVolume]) {
    assert.match(vldb, new RegExp(`^${v.replace('.', '\\.')}\\s*$`, 'm'), `${v} in vos listvldb`);
  }
  for (const v of ['root.cell', env.roVolume]) {
    const ex = await vosExamine(v, { noResolve: true });
    assert.match(ex, /RO Site/, `${v} has an RO site`);
    assert.doesNotMatch(ex, /Not released|New release|Old release/i, `${v} is released`);
    assert.match(ex, new RegExp(`server ${env.addr.replace(/\./g, '\\.')} partition /vicepa RW Site`));
  }
  assert.match(await vosExamine(env.rwVolume), /MaxQuota\s+0 K/, 'test volumes have no quota');
});

test('both ubik databases have quorum on the cell address', async () => {
  for (const port of [7003, 7002]) {
    const text = await udebug(port);
    assert.match(text, /Recovery state 1f/, `udebug ${port}`);
    assert.match(text, /I am sync site/, `udebug ${port}`);
    assert.match(
      text,
      new RegExp(`Host's addresses are: ${env.addr.replace(/\./g, '\\.')}`),
      `udebug ${port}`,
    );
  }
});

test('the fixture writes as admin and reads back the same bytes', async () => {
  const path = `${env.rwDir}/${tag}-rt`;
  made.push(path);
  const w = await fixtureWrite(path, 1412 * 32 + 1, 11);
  assert.equal(w.size, 1412 * 32 + 1);
  const ex = await vosExamine(env.rwVolume);
  assert.match(ex, new RegExp(`RWrite\\s+${w.volume}\\b`), 'the FID names the RW test volume');
  const r = parseFixtureFile((await fixture(['read', `${env.cell}:${env.rwVolume}:/${tag}-rt`])).stdout);
  assert.deepEqual(r, w);
  const st = (await fixture(['stat', path])).stdout;
  assert.match(
    st,
    new RegExp(`fid=${w.volume}\\.${w.vnode}\\.${w.unique} .*type=file size=${w.size} mode=0644`),
  );
  // a different seed gives different content
  const other = await fixtureWrite(path, w.size, 12);
  assert.notEqual(other.sha256, w.sha256);
  assert.equal(other.vnode, w.vnode, 'rewriting keeps the FID');
});

test('the read-only directory refuses writes, even from admin', async () => {
  await assert.rejects(fixture(['write', `${env.roDir}/${tag}`, '1']), CellToolError);
});

test('/afs is mounted by afsd.fuse and shows the fixture data bit-exact', async (t) => {
  assert.ok(existsSync('/dev/fuse'), '/dev/fuse exists on this kind of machine (CI too)');
  assert.deepEqual((await readdir(join(env.mount, env.cell))).sort(), [
    'private',
    'rep',
    'ro',
    'rw',
    'solo2',
  ]);
  for (const size of [0, 1, 1413, 3 * 1024 * 1024 + 7]) {
    await t.test(`${size} bytes`, async () => {
      const path = `${env.rwDir}/${tag}-${size}`;
      made.push(path);
      const w = await fixtureWrite(path, size, size + 1);
      assert.equal((await stat(path)).size, size);
      assert.equal(await sha256File(path), w.sha256);
    });
  }
});

test('ACLs: anonymous FUSE may write the RW dir, read the RO dir, and not enter the private dir', async () => {
  const mine = join(env.rwDir, `${tag}-anon`);
  made.push(mine);
  await writeFile(mine, 'written anonymously through afsd.fuse\n');
  const seen = parseFixtureFile((await fixture(['read', mine])).stdout);
  assert.equal(seen.size, 38);
  const hello = await readFile(join(env.roDir, 'hello.txt'));
  assert.equal(hello.length, 1413);
  await assert.rejects(readdir(env.privateDir), { code: 'EACCES' });
  assert.match((await fixture(['getacl', env.privateDir])).stdout, /^system:administrators\t127$/m);
  assert.doesNotMatch((await fixture(['getacl', env.privateDir])).stdout, /anyuser/);
  assert.match((await fixture(['getacl', env.rwDir])).stdout, /^system:anyuser\t63$/m, 'rlidwk');
});

test('a large file written by the fixture reads back through /afs with the same sha256', async () => {
  const path = `${env.rwDir}/${tag}-large`;
  made.push(path);
  const size = 64 * 1024 * 1024 + 1412;
  const w = await fixtureWrite(path, size, 99);
  assert.equal(await sha256File(path), w.sha256);
  await rm(path).catch(() => undefined); // anonymous delete right (d) via FUSE
  made.pop();
  await assert.rejects(fixture(['stat', path]), CellToolError);
});
