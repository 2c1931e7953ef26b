import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AckBody,
  AckReason,
  decodePacket,
  Flags,
  HEADER_SIZE,
  type PacketHeader,
  splitJumbogram,
} from '../../src/rx/packet.js';
import { RxPeer } from '../../src/rx/peer.js';
import { rxnull } from '../../src/rx/security/null.js';
import { type SendHost, SendQueue } from '../../src/rx/send-queue.js';
import { DEFAULT_TUNING } from '../../src/rx/tuning.js';

interface Sent {
  seq: number;
  serial: number;
  flags: number;
  length: number;
}

function harness(opts: { rwind?: number; budget?: number } = {}) {
  const peer = new RxPeer('127.0.0.1', 7000);
  peer.learnTrailer({ maxMTU: 1444, rwind: opts.rwind ?? 4, maxDgramPackets: 1 });
  const sent: Sent[] = [];
  let serial = 0;
  let budget = opts.budget ?? Number.POSITIVE_INFINITY;
  let retransmits = 0;
  const security = rxnull.newConnection({
    epoch: 1,
    cid: 4,
    securityIndex: 0,
    callNumbers: () => [1, 0, 0, 0],
  });
  const host: SendHost = {
    peer,
    tuning: { ...DEFAULT_TUNING, jumboSend: false },
    security,
    isClient: true,
    header: (type, seq, s, flags, cksum = 0): PacketHeader => ({
      epoch: 1,
      cid: 4,
      callNumber: 1,
      seq,
      serial: s,
      type,
      flags,
      userStatus: 0,
      securityIndex: 0,
      cksum,
      serviceId: 1,
    }),
    nextSerial: (n = 1) => {
      const s = serial + 1;
      serial += n;
      return s;
    },
    transmit: (h, body) => {
      sent.push({ seq: h.seq, serial: h.serial, flags: h.flags, length: body.length });
      budget -= HEADER_SIZE + body.length;
    },
    transmitRaw: (d) => {
      for (const p of splitJumbogram(decodePacket(d)))
        sent.push({ seq: p.seq, serial: p.serial, flags: p.flags, length: p.body.length });
    },
    countRetransmit: (n) => {
      retransmits += n;
    },
    maySend: (bytes) => bytes <= budget,
    schedule: () => {},
  };
  return {
    q: new SendQueue(host),
    sent,
    peer,
    retransmits: () => retransmits,
    grant(bytes: number) {
      budget += bytes;
    },
  };
}

const ack = (firstPacket: number, acks: number[], serial = 0): AckBody => ({
  bufferSpace: 0,
  maxSkew: 0,
  firstPacket,
  previousPacket: 0,
  serial,
  reason: AckReason.REQUESTED,
  acks: Uint8Array.from(acks),
});

test('bytes are cut into packets of the peer size; the window lets out rwind packets; hard acks let more out', () => {
  const h = harness({ rwind: 4 });
  const dataSize = 1444 - HEADER_SIZE;
  h.q.end(Buffer.alloc(10 * dataSize + 5), 0);
  assert.deepEqual(
    h.sent.map((s) => s.seq),
    [1, 2, 3, 4],
    'only the window goes out',
  );
  assert.ok(h.sent.every((s) => s.length === dataSize));
  assert.ok(h.sent[3]!.flags & Flags.REQUEST_ACK, 'the end of a burst asks for an ACK');
  assert.ok(h.q.onAck(ack(3, []), 1, 1), 'hard acks are progress');
  assert.deepEqual(
    h.sent.slice(4).map((s) => s.seq),
    [5, 6],
  );
  assert.equal(h.q.queued, 9);
  // Acknowledge everything sent until the queue drains.
  for (let serial = 2; !h.q.done && serial < 20; serial++)
    h.q.onAck(ack(h.sent.at(-1)!.seq + 1, []), serial, serial);
  assert.deepEqual(
    h.sent.map((s) => s.seq),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    'each packet sent once',
  );
  assert.equal(h.sent.at(-1)!.length, 5);
  assert.ok(h.sent.at(-1)!.flags & Flags.LAST_PACKET);
  assert.ok(h.q.done, 'all hard-acked after end()');
});

test('a hole under three soft acks is resent at once (fast retransmit); the RTO resends the rest', () => {
  const h = harness({ rwind: 8 });
  h.q.end(Buffer.alloc(6 * 1416), 0);
  assert.equal(h.sent.length, 6);
  for (let i = 0; i < 3; i++) h.q.onAck(ack(1, [0, 1, 1]), 10 + i, 0);
  const resent = h.sent.slice(6);
  assert.deepEqual(
    resent.map((s) => s.seq),
    [1],
  );
  assert.ok(resent[0]!.flags & Flags.REQUEST_ACK);
  assert.equal(h.retransmits(), 1);
  // Nothing acknowledged 1 or 4..6: after the RTO those within the (halved) window go again,
  // never the soft-acked 2 and 3.
  const due = h.q.resendDue;
  assert.ok(due > 0);
  h.q.resend(due + 1);
  const again = h.sent.slice(7).map((s) => s.seq);
  assert.deepEqual(again.slice(0, 2), [1, 4]);
  assert.ok(!again.includes(2) && !again.includes(3), `resent ${again}`);
});

test('a budget that forbids sending holds the packets back; kick sends them when it allows', () => {
  const h = harness({ rwind: 8, budget: 0 });
  h.q.end(Buffer.alloc(100), 0);
  assert.equal(h.sent.length, 0, 'nothing left while the budget forbids it');
  assert.equal(h.q.resendDue, 0, 'and nothing is armed for retransmission');
  h.grant(1000);
  h.q.kick(5);
  assert.deepEqual(
    h.sent.map((s) => [s.seq, s.length]),
    [[1, 100]],
  );
  assert.ok(h.q.resendDue > 0);
});

test('ACKALL or an implicit ack by the reply completes our side', () => {
  const h = harness();
  h.q.write(Buffer.alloc(10), 0);
  assert.equal(h.q.ackAll(), false, 'not before end()');
  h.q.end(undefined, 0);
  assert.ok(h.q.allTransmitted);
  assert.equal(h.q.ackAll(), true);
  assert.ok(h.q.done);
  assert.equal(h.q.queued, 0);
});
