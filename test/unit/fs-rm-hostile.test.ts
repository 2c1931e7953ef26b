// Recursive operations against a server that lists names which do not name one entry ("../x",
// "a/b", a second "..", names of another cell, a directory listed inside itself): nothing outside
// the tree named is ever touched (the fake servers' RPC logs), and what was refused is reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AfsClient } from '../../src/client.js';
import { AfsError } from '../../src/rpc/errors.js';
import { HostileCell } from '../helpers/hostile-dir.js';

// Addresses of our own in 127/8 (port 7000 is the file server port the VLDB implies).
const octet = 100 + (process.pid % 100);
let bad: HostileCell;
let good: HostileCell;
let client: AfsClient;

before(async () => {
  bad = await HostileCell.start(`127.78.${octet}.1`);
  good = await HostileCell.start(`127.78.${octet}.2`);
  client = new AfsClient({
    cellServDB: false,
    thisCell: false,
    cells: { 'hostile.test': [bad.vlAddress], 'good.test': [good.vlAddress] },
    cell: 'hostile.test',
    auth: 'anonymous',
    // The fake sends no callback breaks for the trees the tests build behind the client's back.
    cacheSize: false,
  });
});
after(async () => {
  await client.close();
  await bad.close();
  await good.close();
});

/** Build /target with a clean part and hostile entries; returns the vnodes that may be touched. */
function hostileTree(tag: string) {
  const victim = bad.mkdir(1, `victim-${tag}`);
  const precious = bad.file(victim, 'precious');
  const home = good.mkdir(1, `home-${tag}`);
  const mail = good.file(home, 'mail');
  const target = bad.mkdir(1, `target-${tag}`);
  bad.file(target, 'ok');
  const sub = bad.mkdir(target, 'sub');
  bad.file(sub, 'deep');
  bad.link(target, `../victim-${tag}`, victim);
  bad.link(target, `../../good.test/home-${tag}`, victim);
  bad.link(sub, 'sub/..', sub);
  bad.link(target, 'a/b', victim);
  bad.link(target, '.', target);
  bad.link(target, '..', victim);
  bad.link(target, 'ok', victim); // the same name again, now naming another directory
  bad.link(target, 'loopy', 1); // the volume root listed as a child
  return { victim, precious, home, mail, target, sub, inside: new Set([target, sub]) };
}

test('rm -r of a hostile listing removes only inside the tree and fails naming the refused entries', async () => {
  const t = hostileTree('rm');
  bad.log.length = 0;
  good.log.length = 0;
  const err = await client.fs.rm('/afs/hostile.test/target-rm', { recursive: true }).then(
    () => assert.fail('rm reported success with entries left'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AfsError);
  assert.equal(err.code, 'ENOTEMPTY');
  assert.equal(err.syscall, 'rmdir');
  for (const n of ['../victim-rm', '../../good.test/home-rm', 'a/b', 'sub/..', '"."', '"ok"', 'loopy'])
    assert.ok(err.message.includes(n), `the error names ${n}: ${err.message}`);
  // Every removal was by a directory of the tree, of a name the tree's listing held.
  const removals = bad.removals();
  assert.ok(removals.length > 0);
  for (const r of removals) assert.ok(t.inside.has(r.dir), `removal outside the tree: ${JSON.stringify(r)}`);
  assert.deepEqual(
    removals.map((r) => `${r.rpc} ${r.name}`).sort(),
    ['FS.RemoveFile deep', 'FS.RemoveFile ok'].sort(),
  );
  assert.deepEqual(good.removals(), [], 'nothing removed in the other cell');
  assert.equal(good.log.filter((c) => c.rpc.startsWith('FS.')).length, 0, 'the other cell was never asked');
  assert.ok(bad.has(t.victim) && bad.has(t.precious), 'the victim outside the tree is intact');
  assert.ok(good.has(t.home) && good.has(t.mail));
  // What is left is exactly what was refused, and the directory holding "sub/..".
  assert.deepEqual(
    bad.names(t.target).sort(),
    ['.', '../../good.test/home-rm', '../victim-rm', '..', 'a/b', 'loopy', 'ok', 'sub'].sort(),
  );
  assert.deepEqual(bad.names(t.sub), ['sub/..']);
});

test('rm -r of a clean tree removes it all, by directory FID', async () => {
  const top = bad.mkdir(1, 'clean');
  const a = bad.mkdir(top, 'a');
  const b = bad.mkdir(a, 'b');
  bad.file(b, 'f1');
  bad.file(a, 'f2');
  bad.file(top, 'f3');
  bad.log.length = 0;
  await client.fs.rm('/afs/hostile.test/clean', { recursive: true });
  assert.ok(!bad.names(1).includes('clean'));
  const removals = bad.removals();
  for (const r of removals) assert.ok([1, top, a, b].includes(r.dir));
  assert.equal(removals.length, 6);
  assert.equal(removals.at(-1)?.dir, 1, 'the top directory goes last, from its parent');
  // No entry of the tree was looked up by path again: one listing per directory.
  assert.ok(!bad.log.some((c) => c.rpc === 'FS.FetchStatus' && [a, b].includes(c.fid!.vnode)));
});

test('readdir recursive lists only entries that name one entry, and warns about the rest', async () => {
  hostileTree('rd');
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    bad.log.length = 0;
    good.log.length = 0;
    const names = await client.fs.readdir('/afs/hostile.test/target-rd', { recursive: true });
    assert.deepEqual([...names].sort(), ['ok', 'sub', 'sub/deep', 'loopy'].sort());
    const dirents = await client.fs.readdir('/afs/hostile.test/target-rd', {
      recursive: true,
      withFileTypes: true,
    });
    assert.deepEqual(
      dirents.map((d) => `${d.parentPath}|${d.name}`).sort(),
      [
        '/afs/hostile.test/target-rd|loopy',
        '/afs/hostile.test/target-rd|ok',
        '/afs/hostile.test/target-rd|sub',
        '/afs/hostile.test/target-rd/sub|deep',
      ].sort(),
    );
    await new Promise((r) => setImmediate(r));
    assert.ok(
      warnings.some(
        (w) => (w as { code?: string }).code === 'TSAFS_UNSAFE_NAME' && /\.\.\/victim-rd/.test(w.message),
      ),
    );
    assert.ok(
      warnings.some((w) => /loopy.*foreign-directory/.test(w.message)),
      'the root listed as a child is not entered',
    );
    assert.equal(good.log.filter((c) => c.rpc.startsWith('FS.')).length, 0);
  } finally {
    process.off('warning', onWarning);
  }
});
