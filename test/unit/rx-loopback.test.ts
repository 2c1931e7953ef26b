import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { RxCallError } from '../../src/rx/errors.js';
import { ECHO_SERVICE, pattern, rxPair, SINK_SERVICE } from './helpers/rx-pair.js';

describe('Rx between two tsafs endpoints', () => {
  let pair: Awaited<ReturnType<typeof rxPair>>;
  before(async () => {
    pair = await rxPair();
  });
  after(async () => {
    await pair.close();
  });

  const sizes = [0, 1, 1411, 1412, 1413, 1412 * 32 - 1, 1412 * 32, 1412 * 32 + 1, 1 << 20];
  for (const n of sizes) {
    test(`echo of ${n} bytes arrives bit-exact`, async () => {
      const data = pattern(n, n + 7);
      const { port } = pair.server.address;
      const call = pair.client.call({
        host: '127.0.0.1',
        port,
        serviceId: ECHO_SERVICE,
        timeouts: { hardDeadline: 20_000 },
      });
      await call.end(data);
      const reply = await call.readAll();
      assert.equal(reply.length, n);
      assert.ok(reply.equals(data));
      await call.done;
    });
  }

  test('a streamed 8 MiB request is hashed correctly by the server', async () => {
    const { port } = pair.server.address;
    const call = pair.client.call({
      host: '127.0.0.1',
      port,
      serviceId: SINK_SERVICE,
      timeouts: { hardDeadline: 30_000 },
    });
    const h = createHash('sha256');
    for (let i = 0; i < 64; i++) {
      const chunk = pattern(128 * 1024, i + 1);
      h.update(chunk);
      await call.write(chunk);
    }
    await call.end();
    const digest = await call.readAll();
    assert.equal(digest.toString('hex'), h.digest('hex'));
  });

  test('many concurrent calls share connections and channels', async () => {
    const { port } = pair.server.address;
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const data = pattern(5000 + i * 100, i);
        const call = pair.client.call({ host: '127.0.0.1', port, serviceId: ECHO_SERVICE });
        await call.end(data);
        return (await call.readAll()).equals(data);
      }),
    );
    assert.deepEqual(
      results,
      results.map(() => true),
    );
    assert.equal(pair.client.activeCalls, 0);
  });

  test('an unknown service gets no answer and the call dies within its deadline', async () => {
    const { port } = pair.server.address;
    const t0 = Date.now();
    const call = pair.client.call({
      host: '127.0.0.1',
      port,
      serviceId: 4242,
      timeouts: { hardDeadline: 600, deadTime: 60_000 },
    });
    await call.end(Buffer.from('hello'));
    await assert.rejects(
      call.readAll(),
      (e: unknown) => e instanceof RxCallError && e.failure === 'timeout' && e.code === -3,
    );
    const took = Date.now() - t0;
    assert.ok(took >= 590 && took < 3000, `took ${took} ms`);
    assert.ok((pair.server.stats.dropReasons['unknown-service'] ?? 0) > 0);
  });

  test('an AbortSignal cancels a call with a typed error', async () => {
    const { port } = pair.server.address;
    const ac = new AbortController();
    const call = pair.client.call({ host: '127.0.0.1', port, serviceId: 4243, signal: ac.signal });
    await call.end(Buffer.from('x'));
    setTimeout(() => ac.abort(new Error('user gave up')), 50).unref();
    await assert.rejects(
      call.readAll(),
      (e: unknown) => e instanceof RxCallError && e.failure === 'local-abort',
    );
  });
});

describe('Rx jumbograms between two tsafs endpoints', () => {
  test('a receiver that takes 4-packet jumbograms of 1444-byte packets gets them, bit-exact, both ways', async () => {
    const small = { maxMTU: 1444, jumboRecv: 4 };
    const pair = await rxPair({ server: { tuning: small }, client: { tuning: small } });
    let jumbosAtServer = 0;
    let jumbosAtClient = 0;
    pair.server.onDatagram = (b) => {
      if (b[20] === 1 && (b[21]! & 0x20) !== 0) jumbosAtServer++;
    };
    pair.client.onDatagram = (b) => {
      if (b[20] === 1 && (b[21]! & 0x20) !== 0) jumbosAtClient++;
    };
    try {
      const data = pattern(2 << 20, 99);
      const call = pair.client.call({
        host: '127.0.0.1',
        port: pair.server.address.port,
        serviceId: ECHO_SERVICE,
      });
      await call.end(data);
      const reply = await call.readAll();
      assert.ok(reply.equals(data));
      assert.ok(jumbosAtServer > 10, `server received ${jumbosAtServer} jumbograms`);
      assert.ok(jumbosAtClient > 10, `client received ${jumbosAtClient} jumbograms`);
    } finally {
      await pair.close();
    }
  });
});
