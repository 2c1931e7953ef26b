// Hostile directory contents through the whole client (issue 9): a server's directory pages with
// a looping hash chain, a name running past its page, an absurd page count, or more pages than a
// directory can have. The parser's own cases are in afs-dir.test.ts; here the kit serves the
// pages and the client must answer with the typed error or the sound part of the listing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AFS_PAGESIZE, BIGMAXPAGES, dirHash, EPP, SLOT_SIZE } from '../../src/afs/dir.js';
import { AfsClient } from '../../src/client.js';
import { FakeCell } from '../helpers/fake-fileserver.js';
import { DirBuilder } from './helpers/dir-builder.js';

let cell: FakeCell;
let client: AfsClient;
before(async () => {
  cell = await FakeCell.start();
  client = new AfsClient({ ...cell.clientOptions(), cacheSize: false });
});
after(async () => {
  await client.close();
  await cell.close();
});

const entryOffset = (e: number) => (e >> 6) * AFS_PAGESIZE + (e & (EPP - 1)) * SLOT_SIZE;

/** A directory "name" whose pages the test replaces; its real entries are files n0..n{count-1}. */
function hostileDir(name: string, count: number) {
  const dirFid = cell.fs.mkdir(cell.root, name);
  const b = new DirBuilder(dirFid, cell.root);
  const made: { name: string; entry: number }[] = [];
  for (let i = 0; i < count; i++) {
    const f = cell.fs.writeFile(dirFid, `n${i}`, `${i}`);
    made.push({ name: `n${i}`, entry: b.create(`n${i}`, f.vnode, f.unique).entry });
  }
  return { dirFid, b, made };
}

test('a looping hash chain: a lookup in that bucket ends with ENOENT, the listing is whole', async () => {
  const { dirFid, b, made } = hostileDir('loop', 40);
  const blob = b.toBuffer();
  const head = made[made.length - 1]!; // the last created heads its chain
  blob.writeUInt16BE(head.entry, entryOffset(head.entry) + 2);
  cell.fs.setDirectoryBlob(dirFid, blob);
  let missing = '';
  for (let i = 0; !missing; i++)
    if (dirHash(Buffer.from(`zz${i}`)) === dirHash(Buffer.from(head.name))) missing = `zz${i}`;
  const t0 = Date.now();
  await assert.rejects(client.fs.stat(cell.path('loop', missing)), { code: 'ENOENT' });
  assert.ok(Date.now() - t0 < 5_000);
  assert.equal((await client.fs.stat(cell.path('loop', head.name))).isFile(), true);
  assert.equal((await client.fs.readdir(cell.path('loop'))).length, 40);
});

test('a name running past its page and an absurd page count in the header: the rest is listed', async () => {
  const { dirFid, b } = hostileDir('overrun', 10);
  const blob = b.toBuffer();
  blob.writeUInt16BE(0xffff, 0); // page 0's page count
  const last = EPP - 1; // the last slot of page 0, claimed, its name filling the page
  blob[5 + (last >> 3)]! |= 1 << (last & 7);
  blob.fill(0x41, entryOffset(last) + 12, AFS_PAGESIZE);
  cell.fs.setDirectoryBlob(dirFid, blob);
  const names = await client.fs.readdir(cell.path('overrun'));
  assert.deepEqual(names.slice().sort(), Array.from({ length: 10 }, (_, i) => `n${i}`).sort());
});

test('more pages than a directory can hold: EFBIG after at most the largest directory is read', async () => {
  const { dirFid, b } = hostileDir('huge', 3);
  const pages = BIGMAXPAGES + 200;
  const blob = Buffer.alloc(pages * AFS_PAGESIZE);
  b.toBuffer().copy(blob);
  for (let p = 1; p < pages; p++) blob.writeUInt16BE(1234, p * AFS_PAGESIZE + 2);
  cell.fs.setDirectoryBlob(dirFid, blob);
  const before = cell.fs.dataArgs.length;
  await assert.rejects(client.fs.readdir(cell.path('huge')), { code: 'EFBIG' });
  // Each directory fetch (the root's, then this one's) asks one byte past the largest directory.
  const asked = cell.fs.dataArgs.slice(before).map((a) => a.length);
  assert.ok(asked.length > 0 && asked.every((n) => n === BIGMAXPAGES * AFS_PAGESIZE + 1), `asked ${asked}`);
});
