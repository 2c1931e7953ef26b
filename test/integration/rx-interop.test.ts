// OpenAFS's own tools against a tsafs endpoint, and tsafs's rxdebug against OpenAFS servers;
// hostile datagrams at a client endpoint that then still makes a real VL call.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { rxdebugReport } from '../../src/cli/rxdebug.js';
import { AfsClient } from '../../src/client.js';
import { TSAFS_RX_VERSION } from '../../src/rx/endpoint.js';
import { type CellEnv, cellEnv } from './helpers/cell.js';

const run = promisify(execFile);
let env: CellEnv;
let client: AfsClient;

before(async () => {
  env = await cellEnv();
  client = new AfsClient({ cellServDB: env.cellServDb, cell: env.cell, bind: { host: '127.0.0.1' } });
  await client.start();
  // Talk to the file server once so the endpoint has a connection and a peer to report.
  await client.vldbEntry('root.cell');
});
after(async () => {
  await client.close();
});

test('OpenAFS rxdebug -version reads our version string', async () => {
  const { port } = client.endpoint.address;
  const { stdout } = await run('rxdebug', ['127.0.0.1', String(port), '-version'], { timeout: 20_000 });
  assert.ok(stdout.includes(TSAFS_RX_VERSION), stdout);
});

test('OpenAFS rxdebug -noconns reads our statistics; -peers lists the vlserver', async () => {
  const { port } = client.endpoint.address;
  const { stdout } = await run('rxdebug', ['127.0.0.1', String(port), '-noconns'], { timeout: 20_000 });
  assert.match(stdout, /Free packets: \d+(\/\d+)?, packet reclaims: \d+, calls: \d+, used FDs: \d+/);
  const peers = await run('rxdebug', ['127.0.0.1', String(port), '-peers', '-noconns'], { timeout: 20_000 });
  assert.match(peers.stdout, new RegExp(`Peer at host ${env.addr.replace(/\./g, '\\.')}, port 7003`));
});

test('OpenAFS rxdebug -allconnections lists our client connection to the vlserver', async () => {
  const { port } = client.endpoint.address;
  const { stdout } = await run('rxdebug', ['127.0.0.1', String(port), '-allconnections'], {
    timeout: 20_000,
  });
  assert.match(stdout, new RegExp(`Connection from host ${env.addr.replace(/\./g, '\\.')}, port 7003`));
});

test('tsafs rxdebug reads the OpenAFS file server and vlserver', async () => {
  for (const p of [7000, 7003]) {
    const r = await rxdebugReport(client.endpoint, env.addr, p);
    assert.match(r.version, /OpenAFS/);
    assert.ok(r.stats.version >= 0x4c, `debug version ${r.stats.version}`);
  }
});

test('junk aimed at the client endpoint is counted and dropped; the next VL call succeeds', async () => {
  const evil = createSocket('udp4');
  await new Promise<void>((r) => evil.bind(0, '127.0.0.1', () => r()));
  try {
    const ep = client.endpoint;
    const before = ep.stats.dropped;
    const junk = [
      Buffer.alloc(3),
      Buffer.alloc(28, 0xff),
      Buffer.concat([
        Buffer.alloc(20),
        Buffer.from([2, 0, 0, 0]),
        Buffer.alloc(4),
        Buffer.alloc(17, 0),
        Buffer.from([255]),
      ]),
    ];
    for (const j of junk) evil.send(j, ep.address.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(ep.stats.dropped - before, junk.length, JSON.stringify(ep.stats.dropReasons));
    const e = await client.vldbEntry('root.cell');
    assert.equal(e.name, 'root.cell');
  } finally {
    evil.close();
  }
});
