// The founding lifecycle against the real file server (issue 5's real-cell proof) and zero-RPC
// cached reads (issue 6), both measured with the server's own counters. Serial: the counters are
// the whole server's, so nothing else may talk to it meanwhile.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { testClient, waitFor } from '../integration/helpers/afs-client.js';
import { type CellEnv, cellEnv } from '../integration/helpers/cell.js';
import { callbackCounts, rpcCounts } from './helpers-xstat.js';

let env: CellEnv;
let dir: string;

before(async () => {
  env = await cellEnv();
  dir = `${env.rwDir}/records-${process.pid}-${Date.now().toString(36)}`;
  const c = await testClient();
  await c.fs.mkdir(dir);
  await c.fs.writeFile(`${dir}/a`, 'alpha\n');
  await c.fs.writeFile(`${dir}/b`, Buffer.alloc(3 << 20, 1));
  await c.close();
});
after(async () => {
  const c = await testClient();
  await c.fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  await c.close();
});

test('a read served from a valid cache makes no RPC: the file server counts none', async () => {
  const c = await testClient();
  try {
    assert.equal(await c.fs.readFile(`${dir}/a`, 'utf8'), 'alpha\n');
    assert.equal(((await c.fs.readFile(`${dir}/b`)) as Buffer).length, 3 << 20);
    // The counters are the whole server's: an unrelated client (the FUSE mount's daemons) may
    // move them now and then, so look for a quiet window — at most three tries.
    let moved: string[] = [];
    let before: Record<string, number> = {};
    for (let attempt = 0; attempt < 3; attempt++) {
      before = await rpcCounts(env.addr);
      for (let i = 0; i < 5; i++) {
        assert.equal(await c.fs.readFile(`${dir}/a`, 'utf8'), 'alpha\n');
        assert.equal(((await c.fs.readFile(`${dir}/b`)) as Buffer).length, 3 << 20);
        await c.fs.stat(`${dir}/b`);
        await c.fs.readdir(dir);
      }
      const afterCounts = await rpcCounts(env.addr);
      moved = ['FetchData', 'FetchStatus', 'BulkStatus', 'InlineBulkStatus'].filter(
        (op) => (afterCounts[op] ?? 0) !== (before[op] ?? 0),
      );
      if (moved.length === 0) break;
    }
    assert.deepEqual(moved, [], 'no fetch RPC counted while reading from the cache');
    assert.ok((before.FetchData ?? 0) > 0, 'the counters are real (FetchData was counted before)');
  } finally {
    await c.close();
  }
});

test('unused records expire: GiveUpAllCallBacks reaches the server, later changes reach us no more, close is prompt', async () => {
  const c = await testClient({ gcDelayMs: 1000 });
  const p = `${dir}/a`;
  assert.equal(await c.fs.readFile(p, 'utf8'), 'alpha\n');
  // Positive control: while the records live, a change through the mount breaks our promise.
  const b0 = c.cm.stats.breaks;
  await writeFile(p, 'alpha 2\n');
  assert.ok(await waitFor(() => c.cm.stats.breaks > b0, 3000), 'break while the server record lives');
  assert.ok(await waitFor(async () => (await c.fs.readFile(p, 'utf8')) === 'alpha 2\n', 3000));
  const cbBefore = await callbackCounts(env.addr);
  // Nothing in use now: volumes expire after 1 s, then their server, whose destroyer gives up callbacks.
  assert.ok(
    await waitFor(() => c.inspect().servers.length === 0, 15_000),
    `server record expired: ${JSON.stringify(c.inspect().servers)}`,
  );
  const cbAfter = await callbackCounts(env.addr);
  assert.equal(cbAfter.DeleteAllCallBacks, (cbBefore.DeleteAllCallBacks ?? 0) + 1, 'one DeleteAllCallBacks');
  assert.ok(
    (cbAfter.nCBs ?? 0) < (cbBefore.nCBs ?? 0),
    `callback count went down: ${cbBefore.nCBs} → ${cbAfter.nCBs}`,
  );
  // A later change through the mount reaches us no more.
  const b1 = c.cm.stats.breaks + c.cm.stats.unmappedBreaks;
  await writeFile(p, 'alpha 3\n');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(c.cm.stats.breaks + c.cm.stats.unmappedBreaks, b1, 'no break after giving callbacks up');
  const t0 = Date.now();
  await c.close({ timeout: 5000 });
  assert.ok(Date.now() - t0 < 2000, `close took ${Date.now() - t0} ms`);
});
