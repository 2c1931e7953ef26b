import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTicket, makeTicket } from '../../src/auth/ticket.js';
import { FcryptSchedule, fcryptPcbcDecrypt } from '../../src/rx/crypto/fcrypt.js';
import { RxnullChallengeError, rxnull } from '../../src/rx/security/null.js';
import { RxkadClientClass, rxkadResponseChecksum } from '../../src/rx/security/rxkad.js';
import {
  RXKADBADTICKET,
  RXKADDATALEN,
  RXKADEXPIRED,
  RXKADLEVELFAIL,
  RXKADOUTOFSEQUENCE,
  RXKADPACKETSHORT,
  RXKADSEALEDINCON,
  RXKADUNKNOWNKEY,
  RxkadError,
  rxkadErrorName,
} from '../../src/rx/security/rxkad-errors.js';
import type { RxkadLevel } from '../../src/rx/security/rxkad-packet.js';
import { RxkadServerConn, rxkadOpenOldResponse } from '../../src/rx/security/rxkad-server.js';
import type { ConnIdentity, SecuredHeader } from '../../src/rx/security/types.js';

const hex = (s: string) => Buffer.from(s, 'hex');
// Fixed keys (odd parity, not weak) keep every tamper test deterministic.
const SERVER_KEY = hex('4c2c1a5b7f3e0b9d');
const SESSION_KEY = hex('a48c7fc1b0dc1679');
const KVNO = 3;
const EPOCH = 0x9a3b1c2d;
const CID = 0x4a5b6c00;

function ticket(opts: { start?: number; end?: number; name?: string } = {}): Buffer {
  return makeTicket(
    {
      name: opts.name ?? 'admin',
      instance: '',
      cell: '',
      host: 0,
      sessionKey: SESSION_KEY,
      start: opts.start ?? 0,
      end: opts.end ?? 0xffffffff,
      serviceName: 'afs',
      serviceInstance: '',
    },
    SERVER_KEY,
  );
}

function identity(calls: [number, number, number, number] = [5, 0, 7, 0], cid = CID): ConnIdentity {
  return { epoch: EPOCH, cid, securityIndex: 2, callNumbers: () => calls };
}

function server(minLevel: RxkadLevel, cid = CID): RxkadServerConn {
  return new RxkadServerConn({
    minLevel,
    epoch: EPOCH,
    cid,
    decodeTicket: (kvno, t) => {
      if (kvno !== KVNO) throw new RxkadError(RXKADUNKNOWNKEY, `kvno ${kvno}`);
      return decodeTicket(t, SERVER_KEY);
    },
  });
}

function header(seq: number, callNumber = 5, channel = 0): SecuredHeader {
  return {
    epoch: EPOCH,
    cid: CID | channel,
    callNumber,
    seq,
    serial: seq + 100,
    flags: 1,
    securityIndex: 2,
    serviceId: 1,
  };
}

const code = (c: number) => (e: unknown) => e instanceof RxkadError && e.code === c;

function handshake(level: RxkadLevel, minLevel: RxkadLevel = 0) {
  const cls = new RxkadClientClass({ kvno: KVNO, ticket: ticket(), sessionKey: SESSION_KEY }, level);
  const conn = cls.newConnection(identity());
  const srv = server(minLevel);
  assert.equal(conn.ready, false);
  const resp = conn.respond(srv.challenge());
  const auth = srv.checkResponse(resp);
  assert.equal(conn.ready, true);
  return { cls, conn, srv, auth, resp };
}

test('v2 RESPONSE is accepted by a server-side check: identity, level, call numbers', () => {
  for (const level of [0, 1, 2] as const) {
    const { cls, auth, resp } = handshake(level);
    assert.equal(cls.name, ['rxkad-clear', 'rxkad-auth', 'rxkad-crypt'][level]);
    assert.equal(auth.level, level);
    assert.deepEqual(auth.client, { name: 'admin', instance: '', cell: '' });
    assert.deepEqual(auth.callNumbers, [5, 0, 7, 0]);
    assert.equal(auth.kvno, KVNO);
    // Layout: version 2, spare 0, 40 encrypted bytes, kvno, ticket length, ticket.
    assert.equal(resp.readInt32BE(0), 2);
    assert.equal(resp.readInt32BE(4), 0);
    assert.equal(resp.readInt32BE(48), KVNO);
    assert.equal(resp.readInt32BE(52), resp.length - 56);
  }
});

test('RESPONSE checksum agrees with an independent BigInt evaluation of the hash', () => {
  const { resp } = handshake(2);
  const clear = Buffer.from(resp.subarray(0, 56));
  clear.set(fcryptPcbcDecrypt(new FcryptSchedule(SESSION_KEY), SESSION_KEY, clear.subarray(8, 48)), 8);
  const stored = clear.readUInt32BE(16);
  clear.writeUInt32BE(0, 16);
  let h = 1000003n;
  for (const b of clear) h = (BigInt(b) + h * 0x10204081n) & 0xffffffffn;
  assert.equal(Number(h), stored);
  assert.equal(rxkadResponseChecksum(clear), stored);
  // The endpoint in the clear part names our connection.
  assert.equal(clear.readUInt32BE(8), EPOCH);
  assert.equal(clear.readUInt32BE(12), CID);
  assert.equal(clear.readUInt32BE(20), 2);
});

test('DATA round trip at every level, both directions; marker visible at clear/auth only', () => {
  const marker = Buffer.from('MARKER-tsafs-0123456789-the-payload-spans-several-blocks');
  for (const level of [0, 1, 2] as const) {
    const { conn, srv } = handshake(level);
    assert.equal(conn.headerSize, [0, 4, 8][level]);
    for (let seq = 1; seq <= 3; seq++) {
      const h = header(seq);
      const sealed = conn.seal(h, marker);
      assert.ok(sealed.cksum >= 1 && sealed.cksum <= 0xffff);
      assert.equal(sealed.payload.includes(marker.subarray(8)), level < 2, `level ${level}`);
      if (level === 2) assert.equal(sealed.payload.length % 8, 0);
      assert.deepEqual(srv.open(h, sealed.cksum, sealed.payload), marker);
      const back = srv.seal(h, marker);
      assert.equal(back.cksum, sealed.cksum); // both ends derive the same per-connection checksum
      assert.deepEqual(conn.open(h, back.cksum, back.payload), marker);
    }
    // Short payloads: auth pads to 8, crypt to a block multiple; empty is fine.
    for (const n of [0, 1, 3, 4, 5, 8]) {
      const p = Buffer.alloc(n, 0x41);
      const s = conn.seal(header(9), p);
      assert.ok(s.payload.length >= (level ? 8 : 0));
      assert.deepEqual(srv.open(header(9), s.cksum, s.payload), p);
    }
  }
});

test('tampering is rejected: header fields, sealed first block, length', () => {
  for (const level of [1, 2] as const) {
    const { conn, srv } = handshake(level);
    const payload = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
    const h = header(4, 5, 0);
    const s = conn.seal(h, payload);
    // Checksum covers call number, channel and seq.
    assert.throws(() => srv.open(header(5, 5, 0), s.cksum, s.payload), code(RXKADSEALEDINCON));
    assert.throws(() => srv.open(header(4, 6, 0), s.cksum, s.payload), code(RXKADSEALEDINCON));
    assert.throws(() => srv.open(header(4, 5, 1), s.cksum, s.payload), code(RXKADSEALEDINCON));
    assert.throws(() => srv.open(h, s.cksum ^ 1, s.payload), code(RXKADSEALEDINCON));
    // Any flipped byte in the sealed first block breaks the sealed prefix.
    for (let i = 0; i < 8; i++) {
      const bad = Buffer.from(s.payload);
      bad[i] ^= 0x20;
      assert.throws(() => srv.open(h, s.cksum, bad), code(RXKADSEALEDINCON), `level ${level} byte ${i}`);
    }
    // Truncated below the sealed length, or below one block.
    const cut = s.payload.subarray(0, level === 2 ? 16 : 12);
    assert.throws(() => srv.open(h, s.cksum, cut), code(RXKADDATALEN));
    assert.throws(() => srv.open(h, s.cksum, s.payload.subarray(0, 4)), code(RXKADPACKETSHORT));
  }
});

test('crypt: a flipped byte after the first block garbles the data (PCBC) but rxkad cannot see it', () => {
  // rxkad has no MAC: only the first block carries a check. This documents the limit.
  const { conn, srv } = handshake(2);
  const payload = Buffer.alloc(64, 0x55);
  const h = header(2);
  const s = conn.seal(h, payload);
  s.payload[30] ^= 1;
  const got = srv.open(h, s.cksum, s.payload);
  assert.notDeepEqual(got, payload);
  assert.deepEqual(got.subarray(0, 16), payload.subarray(0, 16));
});

test('a flipped byte in the RESPONSE or its ticket is rejected by the server', () => {
  const cls = new RxkadClientClass({ kvno: KVNO, ticket: ticket(), sessionKey: SESSION_KEY }, 2);
  for (const [at, expect] of [
    [8, RXKADSEALEDINCON], // encrypted endpoint
    [30, RXKADSEALEDINCON], // encrypted call numbers
    [47, RXKADSEALEDINCON], // encrypted level, last byte
    [60, RXKADBADTICKET], // inside the ticket
  ] as const) {
    const srv = server(0);
    const resp = cls.newConnection(identity()).respond(srv.challenge());
    resp[at] ^= 0x04;
    assert.throws(() => srv.checkResponse(resp), code(expect), `byte ${at}`);
  }
  // kvno the server has no key for.
  const srv = server(0);
  const resp = cls.newConnection(identity()).respond(srv.challenge());
  resp.writeInt32BE(KVNO + 1, 48);
  assert.throws(() => srv.checkResponse(resp), code(RXKADUNKNOWNKEY));
});

test('server rejects replays, other connections, and levels below its minimum', () => {
  const cls = new RxkadClientClass({ kvno: KVNO, ticket: ticket(), sessionKey: SESSION_KEY }, 1);
  const srv = server(0);
  const old = cls.newConnection(identity()).respond(srv.challenge());
  srv.challenge(); // a new challenge: the old answer is now a replay
  assert.throws(() => srv.checkResponse(old), code(RXKADOUTOFSEQUENCE));
  const other = server(0, CID + 4);
  const resp = cls.newConnection(identity()).respond(other.challenge());
  assert.throws(() => other.checkResponse(resp), code(RXKADSEALEDINCON));
  // Level negotiation: the client refuses a challenge demanding more than it offers...
  const clear = new RxkadClientClass({ kvno: KVNO, ticket: ticket(), sessionKey: SESSION_KEY }, 0);
  assert.throws(() => clear.newConnection(identity()).respond(server(2).challenge()), code(RXKADLEVELFAIL));
  // ...and a server refuses a response below its minimum even if the client ignored the challenge.
  const strict = server(2);
  const chal = strict.challenge();
  chal.writeInt32BE(0, 8); // a man in the middle lowers the advertised minimum
  const r = clear.newConnection(identity()).respond(chal);
  assert.throws(() => strict.checkResponse(r), code(RXKADLEVELFAIL));
});

test('expired tokens: the client refuses to answer, the server rejects the ticket', () => {
  const now = Math.floor(Date.now() / 1000);
  const t = ticket({ start: now - 2 * 86400, end: now - 86400 });
  const stale = new RxkadClientClass({ kvno: KVNO, ticket: t, sessionKey: SESSION_KEY, end: now - 86400 }, 1);
  assert.equal(stale.expired(), true);
  assert.throws(() => stale.newConnection(identity()).respond(server(0).challenge()), code(RXKADEXPIRED));
  // Same ticket presented by a client that does not know its end time: the server says EXPIRED.
  const blind = new RxkadClientClass({ kvno: KVNO, ticket: t, sessionKey: SESSION_KEY }, 1);
  const srv = server(0);
  assert.throws(
    () => srv.checkResponse(blind.newConnection(identity()).respond(srv.challenge())),
    code(RXKADEXPIRED),
  );
});

test('old-format 8-byte CHALLENGE gets an old-format RESPONSE', () => {
  const cls = new RxkadClientClass({ kvno: KVNO, ticket: ticket(), sessionKey: SESSION_KEY }, 1);
  const chal = Buffer.alloc(8);
  chal.writeInt32BE(41, 0);
  chal.writeInt32BE(0, 4);
  const resp = cls.newConnection(identity()).respond(chal);
  assert.equal(resp.length, 16 + resp.readInt32BE(12));
  assert.deepEqual(rxkadOpenOldResponse(SESSION_KEY, resp), { incChallengeID: 42, level: 1 });
  assert.throws(() => cls.newConnection(identity()).respond(Buffer.alloc(4)), code(RXKADPACKETSHORT));
});

test('error table names and rxnull behaviour', () => {
  assert.equal(rxkadErrorName(19270409), 'RXKADEXPIRED');
  assert.equal(rxkadErrorName(19270410), 'RXKADSEALEDINCON');
  assert.equal(rxkadErrorName(19270412), 'RXKADILLEGALLEVEL');
  assert.equal(rxkadErrorName(19270413), undefined);
  const e = new RxkadError(RXKADEXPIRED);
  assert.equal(e.code, 19270409);
  assert.equal(e.rxkadName, 'RXKADEXPIRED');
  const n = rxnull.newConnection(identity());
  assert.equal(rxnull.index, 0);
  const p = Buffer.from('x');
  assert.deepEqual(n.seal(header(1), p), { payload: p, cksum: 0 });
  assert.equal(n.open(header(1), 0, p), p);
  assert.throws(() => n.respond(Buffer.alloc(16)), RxnullChallengeError);
});
