// Issue 4 acceptance, I/O shapes: streams with backpressure and start/end, FileHandle positional
// read/write/truncate/stat, and AFS advisory locks between two clients (EAGAIN for the second
// exclusive lock; released by release() and by abort). Nothing here is timed.
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import type { AfsClient } from '../../src/client.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';
import {
  adminClient,
  eventually,
  isAfsError,
  pattern,
  type Scratch,
  scratchDir,
  sha256,
} from './helpers/files.js';

const MiB = 1 << 20;
let env: CellEnv;
let client: AfsClient;
let other: AfsClient;
let dir: Scratch;

before(async () => {
  env = await cellEnv();
  client = adminClient(env);
  other = adminClient(env);
  dir = await scratchDir(client, 'files-io');
});
after(async () => {
  await dir?.remove();
  await other?.close();
  await client?.close();
});

async function collect(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c);
  return Buffer.concat(parts);
}

test('a write stream honours backpressure and stores every byte', async () => {
  const data = pattern(10 * MiB + 17, 1);
  const p = `${dir.path}/ws`;
  const ws = client.fs.createWriteStream(p, { highWaterMark: 256 * 1024 });
  let refused = 0;
  let drains = 0;
  ws.on('drain', () => drains++);
  for (let off = 0; off < data.length; off += 64 * 1024) {
    if (!ws.write(data.subarray(off, off + 64 * 1024))) {
      refused++;
      await new Promise<void>((r) => ws.once('drain', () => r()));
    }
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  assert.ok(refused > 0, 'write() returned false while the server was storing');
  assert.equal(drains, refused);
  assert.equal((await client.fs.stat(p)).size, data.length);
  assert.equal(sha256((await client.fs.readFile(p)) as Buffer), sha256(data));
  assert.equal(sha256(await eventually(() => fsp.readFile(p))), sha256(data), 'the mount agrees');
});

test('a write stream with start and flags r+ patches the middle of a file', async () => {
  const p = `${dir.path}/patch`;
  await client.fs.writeFile(p, Buffer.alloc(100, 0x61));
  await pipeline(
    (async function* () {
      yield Buffer.from('XYZ');
    })(),
    client.fs.createWriteStream(p, { flags: 'r+', start: 50 }),
  );
  const want = Buffer.alloc(100, 0x61);
  want.write('XYZ', 50);
  assert.ok(((await client.fs.readFile(p)) as Buffer).equals(want));
});

test('a read stream honours start/end (inclusive) and does not run ahead of its reader', async () => {
  const data = pattern(6 * MiB + 5, 2);
  const p = `${dir.path}/rs`;
  await client.fs.writeFile(p, data);
  assert.ok((await collect(client.fs.createReadStream(p))).equals(data));
  for (const [start, end] of [
    [0, 0],
    [1411, 1413],
    [4 * MiB - 1, 4 * MiB + 1],
    [6 * MiB, 6 * MiB + 100], // end past EOF: stops at EOF
    [100, undefined],
  ] as const) {
    const got = await collect(client.fs.createReadStream(p, { start, end, highWaterMark: 1 << 20 }));
    const want = data.subarray(start, end === undefined ? undefined : end + 1);
    assert.ok(got.equals(want), `range ${start}..${end}`);
  }
  // Backpressure: a reader that takes nothing leaves at most a few chunks buffered.
  const rs = client.fs.createReadStream(p, { highWaterMark: 64 * 1024 });
  await new Promise<void>((r) => rs.once('readable', () => r()));
  await new Promise((r) => setTimeout(r, 300).unref());
  assert.ok(rs.readableLength <= 4 * 64 * 1024, `buffered ${rs.readableLength} bytes without a reader`);
  rs.destroy();
});

test('a read stream of a missing file fails with ENOENT', async () => {
  await assert.rejects(collect(client.fs.createReadStream(`${dir.path}/none`)), isAfsError('ENOENT'));
});

test('FileHandle: positional read, write, truncate and stat, as node:fs has them', async () => {
  const p = `${dir.path}/handle`;
  const h = await client.fs.open(p, 'w+');
  try {
    assert.equal((await h.write(Buffer.from('hello world'), 0, 11, 0)).bytesWritten, 11);
    await h.write(Buffer.from('W'), 0, 1, 6); // positional: the file position stays
    await h.write(Buffer.from('!')); // the file position never moved from 0
    const buf = Buffer.alloc(20);
    const r = await h.read(buf, 0, 20, 0);
    assert.equal(r.bytesRead, 11);
    assert.equal(buf.subarray(0, 11).toString(), '!ello World');
    // Writing past the end leaves a hole of zeros.
    await h.write(Buffer.from('end'), 0, 3, 20);
    assert.equal((await h.stat()).size, 23);
    const all = Buffer.alloc(23);
    await h.read(all, 0, 23, 0);
    assert.ok(all.subarray(11, 20).equals(Buffer.alloc(9)));
    assert.equal(all.subarray(20).toString(), 'end');
    await h.truncate(5);
    assert.equal((await h.stat()).size, 5);
    await h.truncate(8);
    const grown = Buffer.alloc(8);
    assert.equal((await h.read(grown, 0, 8, 0)).bytesRead, 8);
    assert.ok(grown.equals(Buffer.from('!ello\0\0\0', 'latin1')));
    // truncate() by path grows and shrinks too.
    await client.fs.truncate(p, 12);
    assert.equal((await client.fs.stat(p)).size, 12);
    await eventually(async () => assert.equal((await fsp.stat(p)).size, 12));
    await client.fs.truncate(p, 8);
    // The FUSE mount sees the result.
    await eventually(async () => assert.ok((await fsp.readFile(p)).equals(grown)));
  } finally {
    await h.close();
  }
  // As Node's own FileHandle: code and syscall, no errno.
  await assert.rejects(h.read(Buffer.alloc(1), 0, 1, 0), {
    code: 'EBADF',
    syscall: 'read',
    message: 'file closed',
  });
  const ro = await client.fs.open(p, 'r');
  await assert.rejects(ro.write(Buffer.from('x')), isAfsError('EBADF'));
  await ro.close();
  const ap = await client.fs.open(p, 'a');
  await ap.write(Buffer.from('++'), 0, 2, 0); // append mode ignores the position
  await ap.close();
  assert.equal(((await client.fs.readFile(p)) as Buffer).subarray(8).toString(), '++');
});

test('a file written through the mount is read by a tsafs handle at any offset', async () => {
  const data = pattern(3 * MiB, 3);
  const p = `${dir.path}/from-fuse`;
  await fsp.writeFile(p, data);
  const h = await eventually(async () => {
    const x = await client.fs.open(p, 'r');
    assert.equal((await x.stat()).size, data.length);
    return x;
  });
  try {
    for (const pos of [0, 1411, 1412 * 32, 2 * MiB - 3, 3 * MiB - 10]) {
      const b = Buffer.alloc(5000);
      const { bytesRead } = await h.read(b, 0, 5000, pos);
      assert.equal(bytesRead, Math.min(5000, data.length - pos));
      assert.ok(b.subarray(0, bytesRead).equals(data.subarray(pos, pos + bytesRead)), `at ${pos}`);
    }
  } finally {
    await h.close();
  }
});

test('locks: a second exclusive lock from another client is refused until the first is released', async () => {
  const p = `${dir.path}/locked`;
  await client.fs.writeFile(p, 'x');
  const l1 = await client.fs.lock(p, { exclusive: true });
  assert.ok(l1.held);
  const refused = (e: unknown) => {
    const code = (e as { code?: string }).code;
    assert.ok(code === 'EAGAIN' || code === 'EWOULDBLOCK', `got ${code}`);
    return true;
  };
  await assert.rejects(other.fs.lock(p, { exclusive: true }), refused);
  await assert.rejects(other.fs.lock(p, { exclusive: false }), refused, 'a shared lock too');
  await l1.release();
  assert.equal(l1.held, false);
  const l2 = await other.fs.lock(p, { exclusive: true });
  await assert.rejects(client.fs.lock(p, { exclusive: true }), refused);
  await l2.release();
  // Shared locks coexist.
  const s1 = await client.fs.lock(p, { exclusive: false });
  const s2 = await other.fs.lock(p, { exclusive: false });
  await assert.rejects(
    client.fs.lock(p, { exclusive: true }).then((l) => l.release()),
    refused,
  );
  await s1.release();
  await s2.release();
});

test('locks: aborting the signal releases the lock', async () => {
  const p = `${dir.path}/locked-abort`;
  await client.fs.writeFile(p, 'x');
  const ac = new AbortController();
  const l = await client.fs.lock(p, { exclusive: true, signal: ac.signal });
  await assert.rejects(other.fs.lock(p, { exclusive: true }), { code: /EAGAIN|EWOULDBLOCK/ });
  ac.abort();
  assert.equal(l.held, false);
  // The release RPC runs after abort returns: retry until the server has it.
  const l2 = await eventually(() => other.fs.lock(p, { exclusive: true }));
  await l2.release();
});
