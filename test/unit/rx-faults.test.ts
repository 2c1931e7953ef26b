import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { RxCallError } from '../../src/rx/errors.js';
import { UdpRelay } from '../helpers/relay.js';
import { ECHO_SERVICE, pattern, rxPair } from './helpers/rx-pair.js';

describe('Rx under loss, duplication and reordering', () => {
  let pair: Awaited<ReturnType<typeof rxPair>>;
  before(async () => {
    pair = await rxPair();
  });
  after(async () => {
    await pair.close();
  });

  for (const seed of [1, 2, 3]) {
    test(`a 3 MiB echo survives 5% loss, 3% duplicates and 5% reordering both ways (seed ${seed})`, async () => {
      const relay = await UdpRelay.start(
        pair.server.address.port
          ? { host: '127.0.0.1', port: pair.server.address.port }
          : pair.server.address,
        {
          drop: 0.05,
          dup: 0.03,
          reorder: 0.05,
          dropFirstLast: true,
          dropFinalAck: true,
        },
        seed,
      );
      try {
        const before = pair.client.stats.retransmits + pair.server.stats.retransmits;
        const data = pattern(3 << 20, seed);
        const call = pair.client.call({
          ...relay.address,
          serviceId: ECHO_SERVICE,
          timeouts: { hardDeadline: 60_000 },
        });
        await call.end(data);
        const reply = await call.readAll();
        assert.equal(reply.length, data.length);
        assert.ok(reply.equals(data), 'reply is bit-exact');
        // The server's reply is only complete once our final ACK (dropped once) gets through again.
        await new Promise((r) => setTimeout(r, 50));
        const retransmits = pair.client.stats.retransmits + pair.server.stats.retransmits - before;
        assert.ok(relay.stats.dropped > 10, `drops happened (${relay.stats.dropped})`);
        assert.ok(relay.stats.duplicated > 0 && relay.stats.reordered > 0);
        assert.ok(retransmits > 0, `retransmissions occurred (${retransmits})`);
      } finally {
        await relay.close();
      }
    });
  }
});

describe('Rx with a dead peer', () => {
  test('a call to a silent peer fails RX_CALL_DEAD after the dead time, pinging meanwhile', async () => {
    const pair = await rxPair();
    const sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    let pings = 0;
    let data = 0;
    sink.on('message', (m) => {
      if (m[20] === 2 && m[28 + 16] === 6) pings++;
      if (m[20] === 1) data++;
    });
    try {
      const deadTime = 1200;
      const t0 = Date.now();
      const call = pair.client.call({
        host: '127.0.0.1',
        port: sink.address().port,
        serviceId: ECHO_SERVICE,
        timeouts: { deadTime, hardDeadline: 5000 },
      });
      await call.end(Buffer.from('anyone there?'));
      await assert.rejects(
        call.readAll(),
        (e: unknown) => e instanceof RxCallError && e.failure === 'dead' && e.code === -1,
      );
      const took = Date.now() - t0;
      assert.ok(took >= deadTime - 5, `not before the dead time (${took} ms)`);
      assert.ok(took < 5000, `before the hard deadline (${took} ms)`);
      // One ping per dead/6 interval of silence: about five in 1.2 s.
      assert.ok(pings >= 3 && pings <= 7, `${pings} keepalive pings`);
      assert.ok(data >= 2, `the request was retransmitted (${data} DATA packets)`);
    } finally {
      sink.close();
      await pair.close();
    }
  });
});

describe('Rx fuzzing: hostile datagrams are counted and dropped', () => {
  test('every injected datagram is dropped, nothing throws, and a real call still works', async () => {
    const pair = await rxPair();
    const evil = createSocket('udp4');
    await new Promise<void>((r) => evil.bind(0, '127.0.0.1', () => r()));
    try {
      // A real call first, so the client has a live connection whose cid we can aim at.
      const warm = pair.client.call({
        host: '127.0.0.1',
        port: pair.server.address.port,
        serviceId: ECHO_SERVICE,
      });
      await warm.end(Buffer.from('warm'));
      await warm.readAll();

      const hdr = (o: Partial<Record<string, number>>) => {
        const b = Buffer.alloc(28);
        b.writeUInt32BE((o.epoch ?? 0x80001234) >>> 0, 0);
        b.writeUInt32BE((o.cid ?? 0x400) >>> 0, 4);
        b.writeUInt32BE((o.call ?? 1) >>> 0, 8);
        b.writeUInt32BE((o.seq ?? 1) >>> 0, 12);
        b.writeUInt32BE((o.serial ?? 1) >>> 0, 16);
        b[20] = o.type ?? 1;
        b[21] = o.flags ?? 1;
        b.writeUInt16BE(o.service ?? ECHO_SERVICE, 26);
        return b;
      };
      const ackBody = (nAcks: number, len: number) => {
        const b = Buffer.alloc(len);
        b[17] = nAcks;
        return b;
      };
      const injections: Buffer[] = [
        Buffer.alloc(0),
        Buffer.alloc(5),
        Buffer.alloc(27),
        hdr({ type: 0 }),
        hdr({ type: 10 }),
        hdr({ type: 200 }),
        // ACK claiming 255 acks in a 20-byte body, to the server side and to the client side.
        Buffer.concat([hdr({ type: 2 }), ackBody(255, 20)]),
        Buffer.concat([hdr({ type: 2, flags: 0, epoch: pair.client.epoch }), ackBody(255, 20)]),
        // ACK body shorter than its fixed part.
        Buffer.concat([hdr({ type: 2 }), Buffer.alloc(10)]),
        // Jumbo DATA whose first sub-packet is short, and one with a truncated jumbo header.
        Buffer.concat([hdr({ type: 1, flags: 1 | 0x20 }), Buffer.alloc(700)]),
        Buffer.concat([hdr({ type: 1, flags: 1 | 0x20 }), Buffer.alloc(1413)]),
        // ABORT with a 2-byte body.
        Buffer.concat([hdr({ type: 4 }), Buffer.alloc(2)]),
        // DATA for a service nobody offers.
        Buffer.concat([hdr({ type: 1, service: 31337 }), Buffer.alloc(8)]),
        // Packets "from the server" for a connection the client does not have.
        Buffer.concat([
          hdr({ type: 1, flags: 0, epoch: pair.client.epoch, cid: 0x7ffffffc }),
          Buffer.alloc(8),
        ]),
        // ...and for one it has, but from the wrong address.
        Buffer.concat([hdr({ type: 1, flags: 0, epoch: pair.client.epoch, cid: 0 }), Buffer.alloc(8)]),
        // ACK for an unknown call on an unknown connection to the server.
        Buffer.concat([hdr({ type: 2, cid: 0x900, call: 77 }), ackBody(3, 40)]),
      ];
      const targets = [pair.server.address.port, pair.client.address.port];
      const before = pair.server.stats.dropped + pair.client.stats.dropped;
      let sent = 0;
      for (const port of targets) {
        for (const d of injections) {
          evil.send(d, port, '127.0.0.1');
          sent++;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
      const dropped = pair.server.stats.dropped + pair.client.stats.dropped - before;
      assert.equal(
        dropped,
        sent,
        JSON.stringify({ server: pair.server.stats.dropReasons, client: pair.client.stats.dropReasons }),
      );
      const call = pair.client.call({
        host: '127.0.0.1',
        port: pair.server.address.port,
        serviceId: ECHO_SERVICE,
      });
      await call.end(Buffer.from('still alive'));
      assert.equal((await call.readAll()).toString(), 'still alive');
    } finally {
      evil.close();
      await pair.close();
    }
  });
});
