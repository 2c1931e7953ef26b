// Issue 4 acceptance, large sparse files: a file of 6 GiB logical size in the RW test
// volume, written at offsets around 2^31, 2^32 and beyond with StoreData64 (no 32-bit offset may
// reach the server), read back in small ranges by tsafs and by the FUSE mount; holes are zeros.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { AfsClient } from '../../src/client.js';
import { cellEnv } from './helpers/cell.js';
import { adminClient, pattern, type Scratch, scratchDir } from './helpers/files.js';

const GiB = 2 ** 30;
const TWO31 = 2 ** 31;
const TWO32 = 2 ** 32;
// Each piece straddles a boundary where a signed or unsigned 32-bit offset would wrap.
const PIECES = [
  { pos: TWO31 - 700, len: 1413 },
  { pos: TWO32 - 3, len: 8 },
  { pos: TWO32 + TWO31 - 1, len: 2 },
  { pos: 6 * GiB + 12_345, len: 70_000 },
];
const END = 6 * GiB + 12_345 + 70_000;

let client: AfsClient;
let dir: Scratch;
let roomy = true;

before(async () => {
  // The file server charges the logical growth against the partition: make sure it can.
  const st = await fsp.statfs('/vicepa');
  roomy = st.bavail * st.bsize > END + 2 * GiB;
  client = adminClient(await cellEnv());
  dir = await scratchDir(client, 'files-sparse');
});
after(async () => {
  await dir?.remove();
  await client?.close();
});

test('a sparse file beyond 5 GiB: data around 2^31 and 2^32 reads back, holes are zeros', {
  timeout: 600_000,
}, async (t) => {
  if (!roomy) {
    t.skip('/vicepa has no room for 5 GiB of logical growth');
    return;
  }
  const p = `${dir.path}/sparse`;
  const h = await client.fs.open(p, 'w+');
  try {
    for (const [i, piece] of PIECES.entries()) {
      const r = await h.write(pattern(piece.len, i), 0, piece.len, piece.pos);
      assert.equal(r.bytesWritten, piece.len);
    }
    const st = await h.stat();
    assert.equal(st.size, END);
    assert.equal((await client.fs.stat(p)).size, END);
    for (const [i, piece] of PIECES.entries()) {
      // The piece with a margin on each side: zeros, the data, zeros (or end of file).
      const from = piece.pos - 100;
      const buf = Buffer.alloc(piece.len + 200, 0xee);
      const { bytesRead } = await h.read(buf, 0, buf.length, from);
      const want = Buffer.concat([Buffer.alloc(100), pattern(piece.len, i), Buffer.alloc(100)]);
      const n = Math.min(buf.length, END - from);
      assert.equal(bytesRead, n, `bytes read around ${piece.pos}`);
      assert.ok(buf.subarray(0, n).equals(want.subarray(0, n)), `content around ${piece.pos}`);
    }
    for (const hole of [0, GiB, TWO31 + 4096, 3 * GiB, TWO32 + 4096, 5 * GiB, 6 * GiB + 4096]) {
      const buf = Buffer.alloc(4096, 0xee);
      const { bytesRead } = await h.read(buf, 0, buf.length, hole);
      assert.equal(bytesRead, 4096);
      assert.ok(buf.equals(Buffer.alloc(4096)), `hole at ${hole} reads as zeros`);
    }
    // Reading at the end returns nothing; reading across it returns the tail.
    const tail = Buffer.alloc(10);
    assert.equal((await h.read(tail, 0, 10, END)).bytesRead, 0);
    assert.equal((await h.read(tail, 0, 10, END - 4)).bytesRead, 4);
  } finally {
    await h.close();
  }
  // The referee: the FUSE mount reads the same bytes at the same offsets.
  const f = await fsp.open(p, 'r');
  try {
    assert.equal((await f.stat()).size, END);
    for (const [i, piece] of PIECES.entries()) {
      const buf = Buffer.alloc(piece.len);
      await f.read(buf, 0, piece.len, piece.pos);
      assert.ok(buf.equals(pattern(piece.len, i)), `FUSE reads the piece at ${piece.pos}`);
    }
  } finally {
    await f.close();
  }
  // Truncating back below 2^31 with StoreData64 (the length is 64-bit too).
  await client.fs.truncate(p, TWO31 - 100);
  assert.equal((await client.fs.stat(p)).size, TWO31 - 100);
  const b = Buffer.alloc(200);
  const { bytesRead } = await (await client.fs.open(p, 'r')).read(b, 0, 200, TWO31 - 700);
  assert.equal(bytesRead, 200);
  assert.ok(b.equals(pattern(1413, 0).subarray(0, 200)));
});
