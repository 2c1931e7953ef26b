// Callbacks against the real file server, with OpenAFS's own cache manager (the afsd.fuse mount)
// as the other party: breaks arrive, the cache stays true, and what is not broken stays cached.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AfsClient } from '../../src/client.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { testClient, waitFor } from './helpers/afs-client.js';
import { type CellEnv, cellEnv, REPO_ROOT } from './helpers/cell.js';

let env: CellEnv;
let dir: string;
const clients: AfsClient[] = [];

async function client(): Promise<AfsClient> {
  const c = await testClient();
  clients.push(c);
  return c;
}

before(async () => {
  env = await cellEnv();
  dir = `${env.rwDir}/cbtest-${process.pid}-${Date.now().toString(36)}`;
  const c = await client();
  await c.fs.mkdir(dir);
});
after(async () => {
  const c = clients[0]!;
  await c.fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  for (const x of clients) await x.close();
});

describe('breaks from the file server', () => {
  test('a change through the FUSE mount breaks our callback within a second; the next read has the new bytes', async () => {
    const a = await client();
    const b = await client();
    const p = `${dir}/watched`;
    const other = `${dir}/unrelated`;
    await a.fs.writeFile(p, 'one\n');
    await a.fs.writeFile(other, 'stays\n');
    assert.equal(await a.fs.readFile(p, 'utf8'), 'one\n');
    assert.equal(await a.fs.readFile(other, 'utf8'), 'stays\n');
    // b holds a promise on the unrelated file only.
    assert.equal(await b.fs.readFile(other, 'utf8'), 'stays\n');
    const aBreaks = a.cm.stats.breaks;
    const t0 = Date.now();
    // Async: a sync write would block our event loop while the server waits for our break reply.
    // afsd.fuse may store the data after close() returns (a StoreStatus comes first), so wait for
    // the content: our cache only changes when a break tells it to.
    await writeFile(p, 'two, through the mount\n');
    assert.ok(
      await waitFor(async () => (await a.fs.readFile(p, 'utf8')) === 'two, through the mount\n', 3000),
      'the new bytes reached us through callback breaks',
    );
    const took = Date.now() - t0;
    assert.ok(a.cm.stats.breaks > aBreaks, 'a break arrived');
    // The unrelated file is still served from the cache: no RPC at all.
    const calls = a.endpoint.stats.callsStarted;
    assert.equal(await a.fs.readFile(other, 'utf8'), 'stays\n');
    assert.equal(a.endpoint.stats.callsStarted, calls, 'unrelated cached file read with no RPC');
    const fid = (await a.fs.stat(p)).fid;
    const heard = b.cm.recentBreaks.filter(
      (f) => f.volume === fid.volume && f.vnode === fid.vnode && f.unique === fid.unique,
    );
    assert.deepEqual(heard, [], 'a client holding no callback on the file hears no break of it');
    assert.ok(took < 1500, `new content after ${took} ms`);
  });

  test('what tsafs writes, the FUSE side sees, even when it had the file cached', async () => {
    const a = await client();
    const p = `${dir}/fuse-cached`;
    await a.fs.writeFile(p, 'before\n');
    assert.ok(
      await waitFor(() => {
        try {
          return readFileSync(p, 'utf8') === 'before\n';
        } catch {
          return false;
        }
      }, 5000),
    );
    await a.fs.writeFile(p, 'after, from tsafs\n');
    assert.ok(
      await waitFor(() => readFileSync(p, 'utf8') === 'after, from tsafs\n', 5000),
      'the mount shows our write',
    );
  });

  test("two tsafs clients in one process: each sees the other's writes through breaks", async () => {
    const a = await client();
    const b = await client();
    const p = `${dir}/pingpong`;
    await a.fs.writeFile(p, 'a1');
    assert.equal(await b.fs.readFile(p, 'utf8'), 'a1');
    assert.equal(await a.fs.readFile(p, 'utf8'), 'a1');
    const bb = b.cm.stats.breaks;
    await a.fs.writeFile(p, 'a2');
    assert.ok(await waitFor(() => b.cm.stats.breaks > bb, 2000), "b heard a's write");
    assert.equal(await b.fs.readFile(p, 'utf8'), 'a2');
    const ab = a.cm.stats.breaks;
    await b.fs.writeFile(p, 'b1');
    assert.ok(await waitFor(() => a.cm.stats.breaks > ab, 2000), "a heard b's write");
    assert.equal(await a.fs.readFile(p, 'utf8'), 'b1');
  });

  test('two tsafs processes: a watcher in a child hears a write from this process, and the reverse', async () => {
    const a = await client();
    const p = `${dir}/xproc`;
    await a.fs.writeFile(p, 'start');
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'dist/test/integration/helpers/child-watch.js'), env.cellServDb, env.cell, p],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      assert.ok(await waitFor(() => out.includes('watching'), 10_000), `child ready: ${out}`);
      await a.fs.writeFile(p, 'from parent');
      const ab = a.cm.stats.breaks;
      assert.ok(await waitFor(() => out.includes('change from parent'), 5000), `child saw it: ${out}`);
      // The child then writes; our promise on the file must be broken and the file re-read.
      assert.ok(await waitFor(() => out.includes('wrote from child'), 5000), out);
      assert.ok(await waitFor(() => a.cm.stats.breaks > ab, 5000), "the child's write broke our callback");
      assert.ok(await waitFor(async () => (await a.fs.readFile(p, 'utf8')) === 'from child', 5000));
    } finally {
      child.kill();
    }
  });
});

describe('the callback service against hostile or unknown callers', () => {
  test('absurd FID counts get RXGEN_SS_UNMARSHAL; an unmapped peer breaks nothing; a real break still works', async () => {
    const a = await client();
    const p = `${dir}/hostile`;
    await a.fs.writeFile(p, 'x');
    assert.equal(await a.fs.readFile(p, 'utf8'), 'x');
    const st = await a.fs.stat(p);
    const evil = await RxEndpoint.open({ host: '127.0.0.1' });
    try {
      const { port } = a.endpoint.address;
      const host = '127.0.0.1';
      // CallBack (204) claiming 0xffffffff FIDs.
      const raw = Buffer.alloc(12);
      raw.writeUInt32BE(204, 0);
      raw.writeUInt32BE(0xffffffff, 4);
      const c1 = evil.call({ host, port, serviceId: 1, timeouts: { hardDeadline: 5000 } });
      await c1.end(raw);
      await assert.rejects(c1.readAll(), (e: { code?: number }) => e.code === -453);
      // 51 FIDs: over AFSCBMAX.
      const raw51 = Buffer.alloc(8 + 51 * 12 + 4);
      raw51.writeUInt32BE(204, 0);
      raw51.writeUInt32BE(51, 4);
      const c2 = evil.call({ host, port, serviceId: 1, timeouts: { hardDeadline: 5000 } });
      await c2.end(raw51);
      await assert.rejects(c2.readAll(), (e: { code?: number }) => e.code === -453);
      // A well-formed break of our file from a peer that is no file server of ours.
      const ok = Buffer.alloc(4 + 4 + 12 + 4);
      ok.writeUInt32BE(204, 0);
      ok.writeUInt32BE(1, 4);
      ok.writeUInt32BE(st.fid.volume, 8);
      ok.writeUInt32BE(st.fid.vnode, 12);
      ok.writeUInt32BE(st.fid.unique, 16);
      ok.writeUInt32BE(0, 20);
      const before = a.cm.stats.unmappedBreaks;
      const c3 = evil.call({ host, port, serviceId: 1, timeouts: { hardDeadline: 5000 } });
      await c3.end(ok);
      assert.equal((await c3.readAll()).length, 0, 'answered with an empty reply');
      assert.equal(a.cm.stats.unmappedBreaks, before + 1);
      const calls = a.endpoint.stats.callsStarted;
      assert.equal(await a.fs.readFile(p, 'utf8'), 'x');
      assert.equal(a.endpoint.stats.callsStarted, calls, 'the cached promise was not touched');
      // Unknown opcode.
      const c4 = evil.call({ host, port, serviceId: 1, timeouts: { hardDeadline: 5000 } });
      await c4.end(Buffer.from([0, 0, 0x99, 0x99]));
      await assert.rejects(c4.readAll(), (e: { code?: number }) => e.code === -455);
    } finally {
      await evil.close();
    }
    // A legitimate break afterwards still works.
    const seen = a.cm.recentBreaks.length;
    await writeFile(p, 'y');
    const ours = () =>
      a.cm.recentBreaks
        .slice(seen)
        .some((f) => f.volume === st.fid.volume && f.vnode === st.fid.vnode && f.unique === st.fid.unique);
    assert.ok(await waitFor(ours, 2000), 'the file server broke our promise on the file');
    assert.ok(
      await waitFor(async () => (await a.fs.readFile(p, 'utf8')) === 'y', 3000),
      'and the new bytes followed',
    );
  });
});
