import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Flags } from '../../src/rx/packet.js';
import { Arrival, ReceiveQueue } from '../../src/rx/receive-queue.js';

const b = (s: string) => Buffer.from(s);

test('packets are delivered in order; one ahead of a gap waits for it', () => {
  const q = new ReceiveQueue(8);
  assert.equal(q.accept(2, 0, b('bb')), Arrival.OutOfOrder);
  assert.equal(q.read(), undefined, 'nothing readable across the gap');
  assert.equal(q.accept(1, 0, b('a')), Arrival.InOrder);
  assert.equal(q.readExact(3)?.toString(), 'abb');
  assert.equal(q.accept(2, 0, b('bb')), Arrival.Duplicate);
  assert.equal(q.accept(3, Flags.LAST_PACKET, b('c')), Arrival.InOrder);
  assert.ok(q.complete);
  assert.equal(q.accept(4, 0, b('d')), Arrival.AfterLast);
  assert.equal(q.read()?.toString(), 'c');
  assert.equal(q.bytesReceived, 4);
});

test('the window counts from the first unconsumed packet: a reader that stops reading stops the sender', () => {
  const q = new ReceiveQueue(4);
  for (let s = 1; s <= 4; s++) assert.equal(q.accept(s, 0, b(`p${s}`)), Arrival.InOrder);
  // Delivered but unread: nothing more fits, however many the peer sends.
  assert.equal(q.accept(5, 0, b('p5')), Arrival.ExceedsWindow);
  assert.equal(q.accept(1000, 0, b('far')), Arrival.ExceedsWindow);
  assert.equal(q.available, 8);
  assert.deepEqual(q.ackFields(), { firstPacket: 1, acks: Uint8Array.from([1, 1, 1, 1]) });
  assert.equal(q.read()?.toString(), 'p1');
  assert.equal(q.firstUnconsumed, 2);
  assert.equal(q.accept(5, 0, b('p5')), Arrival.InOrder, 'reading one packet opens one slot');
  assert.equal(q.accept(6, 0, b('p6')), Arrival.ExceedsWindow);
});

test('a partial readExact consumes a packet only once its last byte is read', () => {
  const q = new ReceiveQueue(4);
  q.accept(1, 0, b('abcd'));
  q.accept(2, 0, b('ef'));
  assert.equal(q.readExact(3)?.toString(), 'abc');
  assert.equal(q.firstUnconsumed, 1);
  assert.equal(q.readExact(2)?.toString(), 'de');
  assert.equal(q.firstUnconsumed, 2);
  assert.equal(q.readExact(2), undefined, 'fewer bytes than asked');
  assert.equal(q.read()?.toString(), 'f');
  assert.equal(q.firstUnconsumed, 3);
});

test('empty packets are consumed with what precedes them; ACK bits cover held packets', () => {
  const q = new ReceiveQueue(8);
  q.accept(1, 0, Buffer.alloc(0));
  assert.equal(q.firstUnconsumed, 2, 'an empty packet with nothing before it is consumed at once');
  q.accept(2, 0, b('x'));
  q.accept(3, 0, Buffer.alloc(0));
  q.accept(5, 0, b('z'));
  assert.deepEqual(q.ackFields(), { firstPacket: 2, acks: Uint8Array.from([1, 1, 0, 1]) });
  q.read();
  assert.equal(q.firstUnconsumed, 4);
  assert.deepEqual(q.ackFields(), { firstPacket: 4, acks: Uint8Array.from([0, 1]) });
  assert.equal(q.queued, 1);
});
