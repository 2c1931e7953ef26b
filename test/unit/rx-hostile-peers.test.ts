// Off-path attackers against Rx: reflection through a forged source address, and forged
// CHALLENGE/ABORT/DATA packets aimed at live calls. Forged sources on loopback: the "victim" is
// a socket bound to an address of 127/8 that sends the requests and never answers anything; a
// packet "from the server" is sent through the server endpoint's own socket.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { describe, test } from 'node:test';
import { CacheManagerService } from '../../src/afs/cmservice.js';
import { CB, CB_SERVICE_ID } from '../../src/rpc/cb.js';
import type { RxCall } from '../../src/rx/call.js';
import { debugAllowed } from '../../src/rx/debug-server.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import type { RxCallError } from '../../src/rx/errors.js';
import { encodeAbortCode, encodePacket, Flags, type PacketHeader, PacketType } from '../../src/rx/packet.js';

const SLOW_SERVICE = 97;

async function bound(host: string): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  return s;
}

const header = (o: Partial<PacketHeader>): PacketHeader => ({
  epoch: 0x80000001,
  cid: 0x100,
  callNumber: 1,
  seq: 1,
  serial: 1,
  type: PacketType.Data,
  flags: Flags.CLIENT_INITIATED | Flags.LAST_PACKET,
  userStatus: 0,
  securityIndex: 0,
  cksum: 0,
  serviceId: CB_SERVICE_ID,
  ...o,
});

const opcode = (op: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(op);
  return b;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reflection: toward an unproven address at most 3x what it sent', () => {
  test('5,000 forged TellMeAboutYourself and Probe calls: bytes out / bytes in stays ≤ 3 for the whole dead time', async () => {
    const ep = await RxEndpoint.open({ host: '127.0.0.1' });
    new CacheManagerService(ep);
    const victim = await bound('127.0.0.77');
    let received = 0;
    victim.on('message', (m) => {
      received += m.length;
    });
    let sent = 0;
    try {
      for (let i = 0; i < 5000; i++) {
        const op = i % 2 ? CB.Probe.opcode : CB.TellMeAboutYourself.opcode;
        const d = encodePacket(header({ cid: (0x4000 + 4 * i) >>> 0 }), opcode(op));
        sent += d.length;
        await new Promise<void>((r) => victim.send(d, ep.address.port, '127.0.0.1', () => r()));
        if (i % 200 === 199) await sleep(5);
      }
      // Once the last request is taken in: server calls to an unproven peer neither retransmit
      // nor ping, so nothing more comes in the 30 s a call may live without hearing its peer.
      for (let i = 0; i < 400 && ep.stats.packetsIn < 5000; i++) await sleep(50);
      await sleep(31_000);
      const ratio = received / sent;
      const peer = ep.findPeer('127.0.0.77', victim.address().port);
      console.log(`reflection: ${sent} bytes in, ${received} out, ratio ${ratio.toFixed(2)}`);
      assert.ok(received > 0, 'something was answered (a ping asking for proof)');
      assert.ok(ratio <= 3, `ratio ${ratio}`);
      assert.equal(peer?.proven ?? false, false);
      assert.equal(ep.activeCalls, 0, 'every forged call has ended');
    } finally {
      victim.close();
      await ep.close();
    }
  });

  test('a real caller proves its address by answering our ping and gets its full reply', async () => {
    const ep = await RxEndpoint.open({ host: '127.0.0.1' });
    const cm = new CacheManagerService(ep);
    const caller = await RxEndpoint.open({ host: '127.0.0.78' });
    try {
      const call = caller.call({ host: '127.0.0.1', port: ep.address.port, serviceId: CB_SERVICE_ID });
      await call.end(opcode(CB.TellMeAboutYourself.opcode));
      const reply = await call.readAll();
      // 108 words of interfaceAddr (the UUID inside) and the capability list: far over 3x the request.
      assert.ok(reply.length > 400);
      assert.ok(reply.includes(cm.uuid.subarray(0, 4)));
      assert.equal(ep.findPeer('127.0.0.78', caller.address.port)?.proven, true);
    } finally {
      await caller.close();
      await ep.close();
    }
  });
});

/** A server whose calls take 300 ms to answer, and a client with a call in flight to it. */
async function liveCall() {
  const server = await RxEndpoint.open({ host: '127.0.0.1' });
  server.serve(SLOW_SERVICE, (call: RxCall) => {
    void (async () => {
      try {
        const req = await call.readAll();
        await sleep(300);
        await call.end(req);
      } catch {
        // seen on the client side
      }
    })();
  });
  const client = await RxEndpoint.open({ host: '127.0.0.1' });
  const call = client.call({ host: '127.0.0.1', port: server.address.port, serviceId: SLOW_SERVICE });
  await call.end(Buffer.from('the real request'));
  await sleep(50);
  const [cid] = client.conns.clientConns.keys();
  // Forged packets "from the server": through the server's own socket, bypassing its Rx logic.
  const serverSocket = (server as unknown as { socket: Socket }).socket;
  const fromServer = (h: Partial<PacketHeader>, body: Buffer) =>
    new Promise<void>((r) =>
      serverSocket.send(
        encodePacket(header({ flags: 0, serviceId: SLOW_SERVICE, ...h }), body),
        client.address.port,
        '127.0.0.1',
        () => r(),
      ),
    );
  return {
    server,
    client,
    call,
    cid: cid!,
    fromServer,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

describe('forged packets do not disturb live calls', () => {
  test('CHALLENGE, connection ABORT, call ABORT and DATA, with guessed and with exact numbers', async () => {
    const l = await liveCall();
    try {
      const epoch = l.client.epoch;
      const drops0 = { ...l.client.stats.dropReasons };
      // Guessed numbers: a wrong epoch or cid matches no connection of ours.
      await l.fromServer(
        { epoch: epoch ^ 1, cid: l.cid, callNumber: 0, type: PacketType.Challenge },
        Buffer.alloc(8),
      );
      await l.fromServer(
        { epoch, cid: l.cid + 4, callNumber: 0, type: PacketType.Abort },
        encodeAbortCode(-1),
      );
      // Exact connection numbers, wrong call number: no live call.
      await l.fromServer({ epoch, cid: l.cid, callNumber: 7, type: PacketType.Abort }, encodeAbortCode(-1));
      await l.fromServer({ epoch, cid: l.cid, callNumber: 7, flags: Flags.LAST_PACKET }, Buffer.from('x'));
      // Exact numbers at the connection level: a CHALLENGE to an rxnull connection is not answerable,
      // and rxnull connections are never aborted whole.
      await l.fromServer({ epoch, cid: l.cid, callNumber: 0, type: PacketType.Challenge }, Buffer.alloc(8));
      await l.fromServer({ epoch, cid: l.cid, callNumber: 0, type: PacketType.Abort }, encodeAbortCode(-1));
      const reply = await l.call.readAll();
      assert.equal(reply.toString(), 'the real request');
      await l.call.done;
      const d = l.client.stats.dropReasons;
      const grew = (k: string) => (d[k] ?? 0) - (drops0[k] ?? 0);
      assert.equal(grew('unknown-connection'), 2);
      assert.equal(grew('unknown-call'), 2);
      assert.equal(grew('challenge-refused'), 1);
      assert.equal(grew('connection-abort-refused'), 1);
    } finally {
      await l.close();
    }
  });

  test('DATA for the next call number on a channel still answering is dropped; the live call completes', async () => {
    const l = await liveCall();
    try {
      // Exact epoch, cid and the next call number on channel 0, "from the client" (its socket).
      const clientSocket = (l.client as unknown as { socket: Socket }).socket;
      const forged = encodePacket(
        header({ epoch: l.client.epoch, cid: l.cid, callNumber: 2, serviceId: SLOW_SERVICE }),
        Buffer.from('forged'),
      );
      await new Promise<void>((r) =>
        clientSocket.send(forged, l.server.address.port, '127.0.0.1', () => r()),
      );
      assert.equal((await l.call.readAll()).toString(), 'the real request');
      await l.call.done;
      assert.equal(l.server.stats.dropReasons['channel-busy'], 1);
      // And the channel serves the real next call.
      const next = l.client.call({ host: '127.0.0.1', port: l.server.address.port, serviceId: SLOW_SERVICE });
      await next.end(Buffer.from('next'));
      assert.equal((await next.readAll()).toString(), 'next');
    } finally {
      await l.close();
    }
  });

  test('pings for calls we do not serve go unanswered', async () => {
    const ep = await RxEndpoint.open({ host: '127.0.0.1' });
    new CacheManagerService(ep);
    const s = await bound('127.0.0.1');
    let answers = 0;
    s.on('message', () => answers++);
    try {
      const ping = Buffer.alloc(18 + 3 + 16);
      ping[16] = 6; // reason PING
      for (const callNumber of [0, 1, 5])
        s.send(
          encodePacket(
            header({
              cid: 0x9000,
              callNumber,
              type: PacketType.Ack,
              flags: Flags.CLIENT_INITIATED | Flags.REQUEST_ACK,
            }),
            ping,
          ),
          ep.address.port,
          '127.0.0.1',
        );
      await sleep(200);
      assert.equal(answers, 0);
      assert.equal(ep.stats.dropReasons['unknown-connection'], 3);
    } finally {
      s.close();
      await ep.close();
    }
  });
});

describe('rxdebug answers by policy', () => {
  test('loopback by default; all or none when asked', async () => {
    assert.ok(debugAllowed('loopback', '127.0.0.1'));
    assert.ok(!debugAllowed('loopback', '192.0.2.1'));
    assert.ok(debugAllowed('all', '192.0.2.1'));
    assert.ok(!debugAllowed('none', '127.0.0.1'));
    const quiet = await RxEndpoint.open({ host: '127.0.0.1', debugAnswers: 'none' });
    const asker = await RxEndpoint.open({ host: '127.0.0.1' });
    try {
      await assert.rejects(
        asker.debugRequest('127.0.0.1', quiet.address.port, PacketType.Version, Buffer.alloc(1), 400),
        /no debug answer/,
      );
      assert.equal(quiet.stats.dropReasons['debug-refused'], 4, 'each of the four tries refused');
      const loud = await asker.debugRequest(
        '127.0.0.1',
        asker.address.port,
        PacketType.Version,
        Buffer.alloc(1),
      );
      assert.match(loud.toString('latin1'), /tsafs/);
    } finally {
      await asker.close();
      await quiet.close();
    }
  });
});

describe('a peer that answers only BUSY', () => {
  test('BUSY and ping answers do not keep a call alive: it fails RX_CALL_DEAD after the dead time', async () => {
    const busy = await bound('127.0.0.1');
    busy.on('message', (m, r) => {
      const type = m[20];
      const reply = Buffer.from(m.subarray(0, 28));
      reply[21] = 0; // from the server
      if (type === PacketType.Data) reply[20] = PacketType.Busy;
      else if (type === PacketType.Ack && m[28 + 16] === 6) {
        // Answer pings: the peer is alive, only its channel is "busy".
        const ack = Buffer.from(m);
        ack[21] = 0;
        ack[28 + 16] = 7;
        ack.writeUInt32BE(m.readUInt32BE(16), 28 + 12);
        busy.send(ack, r.port, r.address);
        return;
      } else return;
      busy.send(reply, r.port, r.address);
    });
    const ep = await RxEndpoint.open({ host: '127.0.0.1' });
    try {
      const t0 = Date.now();
      const call = ep.call({
        host: '127.0.0.1',
        port: busy.address().port,
        serviceId: 1,
        timeouts: { deadTime: 1200 },
      });
      await call.end(Buffer.from('hello'));
      await assert.rejects(
        call.readAll(),
        (e: RxCallError) => e.failure === 'dead' && /BUSY/.test(e.message),
      );
      const took = Date.now() - t0;
      assert.ok(took >= 1200 && took < 4000, `failed after ${took} ms`);
    } finally {
      busy.close();
      await ep.close();
    }
  });
});
