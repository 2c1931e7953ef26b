// The KDC transport against stand-in KDCs on 127.0.0.1: TCP fallback on
// KRB_ERR_RESPONSE_TOO_BIG, deadlines with a silent KDC, failover to a second KDC.
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { after, test } from 'node:test';
import { parseKrb5Conf } from '../../src/auth/krb5/config.js';
import { KdcUnreachableError, Krb5Error } from '../../src/auth/krb5/errors.js';
import { parseKdcAddress, sendToKdc } from '../../src/auth/krb5/kdc-client.js';
import { decodeKrbError, encodeKrbError } from '../../src/auth/krb5/messages.js';

const sname = { nameType: 2, components: ['krbtgt', 'FAKE.TEST'] };
const krbError = (code: number, eText: string) =>
  encodeKrbError({ errorCode: code, stime: new Date(), realm: 'FAKE.TEST', sname, eText });

const closers: Array<() => void> = [];
after(() => {
  for (const c of closers) c();
});

async function udpServer(
  onMessage: (msg: Buffer, reply: (b: Buffer) => void) => void,
  port = 0,
): Promise<UdpSocket> {
  const s = createSocket('udp4');
  s.on('message', (msg, rinfo) => onMessage(msg, (b) => s.send(b, rinfo.port, rinfo.address)));
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  closers.push(() => s.close());
  return s;
}

async function tcpServer(answer: Buffer, port = 0): Promise<{ server: Server; got: Buffer[] }> {
  const got: Buffer[] = [];
  const server = createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        got.push(buf.subarray(4));
        const hdr = Buffer.alloc(4);
        hdr.writeUInt32BE(answer.length);
        c.end(Buffer.concat([hdr, answer]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  closers.push(() => server.close());
  return { server, got };
}

const conf = (...kdcs: string[]) =>
  parseKrb5Conf([
    `[libdefaults]\n default_realm = FAKE.TEST\n[realms]\n FAKE.TEST = {\n${kdcs.map((k) => `  kdc = ${k}\n`).join('')} }\n`,
  ]);

test('KRB_ERR_RESPONSE_TOO_BIG over UDP makes the client retry the same request over TCP', async () => {
  const udpSeen: Buffer[] = [];
  const udp = await udpServer((m, reply) => {
    udpSeen.push(m);
    reply(krbError(52, 'too big'));
  });
  const port = (udp.address() as { port: number }).port;
  const { got } = await tcpServer(krbError(6, 'from tcp'), port);
  const req = Buffer.from('6a03020105', 'hex');
  const reply = await sendToKdc(conf(`127.0.0.1:${port}`), 'FAKE.TEST', req, { timeoutMs: 3000 });
  assert.equal(decodeKrbError(reply).eText, 'from tcp');
  assert.deepEqual(udpSeen, [req]);
  assert.deepEqual(got, [req]);
});

test('a silent KDC costs at most the deadline, then KdcUnreachableError', async () => {
  let seen = 0;
  const udp = await udpServer(() => {
    seen++;
  });
  const port = (udp.address() as { port: number }).port;
  const t0 = Date.now();
  await assert.rejects(
    sendToKdc(conf(`127.0.0.1:${port}`), 'FAKE.TEST', Buffer.from('6a00', 'hex'), {
      timeoutMs: 1200,
      attemptTimeoutMs: 300,
    }),
    (e: unknown) => e instanceof KdcUnreachableError && e.code === 'KRB5_KDC_UNREACH',
  );
  const took = Date.now() - t0;
  assert.ok(took >= 1100 && took < 1700, `took ${took} ms`);
  assert.ok(seen >= 2, `retried (${seen} datagrams)`);
});

test('the next KDC in the list answers when the first is down', async () => {
  const udp = await udpServer((_m, reply) => reply(krbError(25, 'second kdc')));
  const port = (udp.address() as { port: number }).port;
  const reply = await sendToKdc(
    conf('127.0.0.1:9', `127.0.0.1:${port}`),
    'FAKE.TEST',
    Buffer.from('6a00', 'hex'),
  );
  assert.equal(decodeKrbError(reply).errorCode, 25);
});

test('non-Kerberos datagrams are ignored; KDC names are never looked up', async () => {
  const udp = await udpServer((_m, reply) => {
    reply(Buffer.from('garbage'));
    setTimeout(() => reply(krbError(24, 'real')), 20).unref();
  });
  const port = (udp.address() as { port: number }).port;
  const reply = await sendToKdc(conf(`127.0.0.1:${port}`), 'FAKE.TEST', Buffer.from('6a00', 'hex'));
  assert.equal(decodeKrbError(reply).eText, 'real');
  assert.throws(
    () => parseKdcAddress('kerberos.example.org'),
    (e: unknown) => e instanceof Krb5Error && e.code === 'KRB5_KDC_ADDRESS',
  );
  assert.deepEqual(parseKdcAddress('localhost:750'), { host: '127.0.0.1', port: 750 });
  assert.deepEqual(parseKdcAddress('[::1]:88'), { host: '::1', port: 88 });
  await assert.rejects(
    sendToKdc(conf(), 'OTHER.TEST', Buffer.alloc(1)),
    (e: unknown) => e instanceof Krb5Error && e.code === 'KRB5_REALM_UNKNOWN',
  );
});
