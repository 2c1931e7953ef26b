// close() never hangs: calls in flight end with a clear error, every socket and timer is released,
// even when a server never answers.
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { AfsClient } from '../../src/client.js';

test('close() during a lookup to a VL server that never answers: the call fails, close is prompt, nothing leaks', async () => {
  const hole = createSocket('udp4');
  await new Promise<void>((r) => hole.bind(0, '127.0.0.1', () => r()));
  const port = hole.address().port;
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type === 'UDPWRAP' || type === 'Timeout') live.set(id, type);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  const client = new AfsClient({
    cellServDB: false,
    thisCell: false,
    cells: { 'dead.test': [`127.0.0.1:${port}`] },
    cell: 'dead.test',
    auth: 'anonymous',
  });
  hook.enable();
  try {
    await client.start();
    const pending = client.fs.stat('/afs/dead.test/anything');
    const outcome = pending.then(
      () => 'resolved',
      (e: { code?: string; name?: string }) => `${e.name}:${e.code}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await client.close({ timeout: 3000 });
    const took = Date.now() - t0;
    const result = await outcome;
    assert.notEqual(result, 'resolved');
    assert.match(result, /ERR_TSAFS_CLOSED|NET_CLOSED/, result);
    assert.ok(took < 2500, `close took ${took} ms`);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  } finally {
    hook.disable();
    hole.close();
  }
  assert.deepEqual([...live.values()], [], 'no socket or timer of the client is left');
});

test('a closed client refuses new work with a typed error', async () => {
  const client = new AfsClient({
    cellServDB: false,
    thisCell: false,
    cells: { 'x.test': ['127.0.0.1:1'] },
    cell: 'x.test',
    auth: 'anonymous',
  });
  await client.start();
  await client.close();
  await assert.rejects(client.fs.stat('/afs/x.test/y'), (e: { code?: string }) => typeof e.code === 'string');
});
