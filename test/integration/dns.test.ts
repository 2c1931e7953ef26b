// DNS cell discovery against a real DNS server (dnsmasq on loopback), and end to end: a Net cell
// created without VL servers gets them from DNS and looks a volume up in the real vlserver.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CacheManagerService } from '../../src/afs/cmservice.js';
import { Net } from '../../src/afs/net.js';
import { RxPeerBinder, RxRecordOps } from '../../src/afs/rx-ops.js';
import type { Server } from '../../src/afs/server.js';
import { AfsCellResolver, DnsNoSuchCellError, withDnsDiscovery } from '../../src/afs/vl-dns.js';
import { DnsUnreachableError } from '../../src/dns/errors.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { type CellEnv, cellEnv, vosExamine } from './helpers/cell.js';
import { afsdbHex, type Dnsmasq, startDnsmasq } from './helpers/dnsmasq.js';

// dnsmasq gives records from its command line the --local-ttl TTL (default 0); --auth-ttl only
// applies to its authoritative-zone mode, so the 777 below must not appear in any answer.
const LOCAL_TTL = 1234;
const RECORDS = [
  `--local-ttl=${LOCAL_TTL}`,
  '--auth-ttl=777',
  '--srv-host=_afs3-vlserver._udp.dnscell.test,vl1.dnscell.test,7003,0,100',
  '--host-record=vl1.dnscell.test,127.1.0.1',
  `--dns-rr=othercell.test,18,${afsdbHex(1, 'vl1.dnscell.test')}`,
  // Ordering: priority 0 before 5 whatever the weights; SRV ports kept.
  '--srv-host=_afs3-vlserver._udp.multi.test,vlb.multi.test,7003,5,100',
  '--srv-host=_afs3-vlserver._udp.multi.test,vla.multi.test,7004,0,1',
  '--host-record=vla.multi.test,127.1.0.11',
  '--host-record=vlb.multi.test,127.1.0.12',
];

let env: CellEnv;
let dns: Dnsmasq;
let resolver: AfsCellResolver;

before(async () => {
  env = await cellEnv();
  dns = await startDnsmasq(RECORDS, 'vl1.dnscell.test');
  resolver = new AfsCellResolver({ servers: [dns.addr], timeoutMs: 500, attempts: 2, deadlineMs: 3000 });
});
after(async () => {
  await dns?.stop();
});

test('SRV: _afs3-vlserver._udp.dnscell.test → 127.1.0.1:7003 with dnsmasq --local-ttl as TTL', async () => {
  const from = dns.output().length;
  const ans = await resolver.resolveVlServers('dnscell.test');
  assert.deepEqual(ans, { servers: ['127.1.0.1:7003'], ttlSeconds: LOCAL_TTL });
  const log = dns.output().slice(from);
  assert.match(log, /query\[SRV\] _afs3-vlserver\._udp\.dnscell\.test from 127\.0\.0\.1/);
  // The target's address came in the SRV answer's additional section: no A query was needed.
  assert.doesNotMatch(log, /query\[A\]/);
});

test('SRV order from a real server: priority first, SRV ports kept', async () => {
  const ans = await resolver.resolveVlServers('multi.test');
  assert.deepEqual(ans.servers, ['127.1.0.11:7004', '127.1.0.12:7003']);
  assert.equal(ans.ttlSeconds, LOCAL_TTL);
});

test('AFSDB fallback: othercell.test has no SRV record, its AFSDB subtype 1 host resolves', async () => {
  const ans = await resolver.resolveVlServers('othercell.test');
  assert.deepEqual(ans, { servers: ['127.1.0.1:7003'], ttlSeconds: LOCAL_TTL });
  const log = dns.output();
  const srvAt = log.search(/query\[SRV\] _afs3-vlserver\._udp\.othercell\.test/);
  const afsdbAt = log.search(/query\[(AFSDB|type=18)\] othercell\.test/);
  assert.ok(srvAt >= 0 && afsdbAt > srvAt, `SRV then AFSDB asked:\n${log}`);
});

test('NXDOMAIN → DnsNoSuchCellError (not temporary)', async () => {
  await assert.rejects(resolver.resolveVlServers('nosuchcell.test'), (e: unknown) => {
    assert.ok(e instanceof DnsNoSuchCellError, String(e));
    assert.equal(e.code, 'ERR_TSAFS_DNS_NO_SUCH_CELL');
    assert.equal(e.temporary, false);
    assert.match(e.message, /NXDOMAIN/);
    return true;
  });
});

test('DNS server down → DnsUnreachableError within the deadline', async () => {
  const gone = await startDnsmasq(RECORDS, 'vl1.dnscell.test');
  await gone.stop();
  const r = new AfsCellResolver({ servers: [gone.addr], timeoutMs: 400, attempts: 2, deadlineMs: 1500 });
  const t0 = performance.now();
  await assert.rejects(r.resolveVlServers('dnscell.test'), (e: unknown) => {
    assert.ok(e instanceof DnsUnreachableError, String(e));
    assert.equal(e.temporary, true);
    return true;
  });
  const ms = performance.now() - t0;
  assert.ok(ms < 1750, `${ms} ms`);
});

test('end to end: a Net cell without VL servers gets them from DNS; a volume lookup reaches the real vlserver', async () => {
  const ep = await RxEndpoint.open({ host: '127.0.0.1' });
  // As in AfsClient: the file server calls back the client it is first asked by (on the same
  // socket); without the callback service the first probe only completes at its deadline.
  new CacheManagerService(ep);
  const net = new Net({
    ops: withDnsDiscovery(new RxRecordOps(ep), resolver),
    peers: new RxPeerBinder<Server>(ep),
    closeTransport: () => ep.close(),
  });
  try {
    const before = net.clock.now();
    const cell = await net.lookupCell('dnscell.test');
    assert.deepEqual(cell.vlServers, ['127.1.0.1:7003']);
    // Refresh due after the TTL (1234 s lies inside kAFS's [10 min, 24 h] clamp).
    const due = cell.vlExpiry - before;
    assert.ok(due >= LOCAL_TTL * 1000 && due < LOCAL_TTL * 1000 + 5000, `refresh in ${due} ms`);

    const vol = await cell.lookupVolume(env.rootVolume);
    const vos = await vosExamine(env.rootVolume, { noResolve: true });
    const rw = Number(/RWrite:\s*(\d+)/.exec(vos)?.[1]);
    assert.equal(vol.volumeId, rw);
    assert.equal(vol.name, env.rootVolume);
    // ... and its file server was found through that vlserver (GetAddrsU).
    const servers = net.inspect().servers.filter((x) => x.cell === 'dnscell.test');
    assert.deepEqual(
      servers.map((x) => x.addrs),
      [[`${env.addr}:7000`]],
    );
    vol.unuseVolume('unuse_lookup');
    cell.unuseCell('unuse_lookup');
  } finally {
    await net.close({ timeout: 10_000 });
  }
});
