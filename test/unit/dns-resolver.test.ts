// The cell resolver against a scripted DNS server on loopback: SRV order and TTL, AFSDB fallback,
// typed failures (no such cell, unreachable within the deadline, server failure, malformed),
// retries, spoofed ids, TCP on truncation, bounds, and the Net's cell manager using the answer.
import assert from 'node:assert/strict';
import nodeDns from 'node:dns';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type * as dnsPacket from 'dns-packet';
import { Net } from '../../src/afs/net.js';
import type { AfsRecordOps } from '../../src/afs/ops.js';
import { AfsCellResolver, DnsNoSuchCellError, withDnsDiscovery } from '../../src/afs/vl-dns.js';
import {
  DnsConfigError,
  DnsMalformedError,
  DnsServerFailureError,
  DnsUnreachableError,
} from '../../src/dns/errors.js';
import { type FakeDns, fakeDns, type Handler, reply } from './helpers/fake-dns.js';

const CELL = 'cell.test';
const SRV = `_afs3-vlserver._udp.${CELL}`;

const srv = (
  target: string,
  port: number,
  priority: number,
  weight: number,
  ttl: number,
): dnsPacket.Answer => ({
  name: SRV,
  type: 'SRV',
  ttl,
  data: { priority, weight, port, target },
});
const a = (name: string, ip: string, ttl: number): dnsPacket.Answer => ({ name, type: 'A', ttl, data: ip });
const afsdb = (subtype: number, host: string, ttl: number): dnsPacket.Answer => {
  const labels = host.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const data = Buffer.concat([Buffer.from([0, subtype]), ...labels, Buffer.from([0])]);
  return { name: CELL, type: 'AFSDB' as 'NULL', ttl, data };
};
const soa: dnsPacket.Answer = {
  name: 'test',
  type: 'SOA',
  ttl: 3600,
  data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 300 },
};

const qOf = (q: dnsPacket.DecodedPacket) => ({ type: q.questions?.[0]?.type, name: q.questions?.[0]?.name });

/** A zone: answers by "TYPE name"; anything else is NXDOMAIN with an SOA. */
function zone(
  records: Record<string, dnsPacket.Answer[]>,
  additionals: Record<string, dnsPacket.Answer[]> = {},
): Handler {
  return (q) => {
    const { type, name } = qOf(q);
    const key = `${type} ${name}`;
    const an = records[key];
    if (an === undefined) return reply(q, { rcode: 'NXDOMAIN', ns: [soa] });
    return reply(q, { an, ar: additionals[key] ?? [] });
  };
}

const servers: FakeDns[] = [];
async function start(h: Handler, opts: { tcp?: boolean } = {}): Promise<FakeDns> {
  const s = await fakeDns(h, opts);
  servers.push(s);
  return s;
}
after(async () => {
  for (const s of servers) await s.close();
});

const fast = { timeoutMs: 150, attempts: 2, deadlineMs: 3000 };

describe('SRV and AFSDB resolution', () => {
  test('SRV: priority then weight order, SRV ports, additional-section addresses, minimum TTL', async () => {
    const dns = await start(
      zone(
        {
          [`SRV ${SRV}`]: [
            srv('vl3.cell.test', 7003, 10, 5, 900),
            srv('vl2.cell.test', 7005, 0, 10, 800),
            srv('vl1.cell.test', 7004, 0, 60, 700),
          ],
          'A vl2.cell.test': [a('vl2.cell.test', '127.2.0.2', 400), a('vl2.cell.test', '127.2.0.22', 450)],
          'A vl3.cell.test': [a('vl3.cell.test', '127.2.0.3', 1000)],
        },
        { [`SRV ${SRV}`]: [a('vl1.cell.test', '127.2.0.1', 500)] },
      ),
    );
    const r = new AfsCellResolver({ servers: [dns.addr], ...fast });
    const ans = await r.resolveVlServers('Cell.Test');
    assert.deepEqual(ans.servers, ['127.2.0.1:7004', '127.2.0.2:7005', '127.2.0.22:7005', '127.2.0.3:7003']);
    assert.equal(ans.ttlSeconds, 400);
    assert.ok(!dns.log.includes('A vl1.cell.test/udp'), 'vl1 came in the additional section');
    assert.ok(dns.log.includes('A vl2.cell.test/udp') && dns.log.includes('A vl3.cell.test/udp'));
    assert.ok(!dns.log.some((l) => l.startsWith('AFSDB')), 'no AFSDB query when SRV answered');
  });

  test('AFSDB fallback when SRV has no data: subtype 1 only, port 7003, minimum TTL', async () => {
    const dns = await start(
      zone({
        [`SRV ${SRV}`]: [],
        [`AFSDB ${CELL}`]: [
          afsdb(1, 'afsdb1.cell.test', 5000),
          afsdb(2, 'dce.cell.test', 1),
          afsdb(1, 'afsdb2.cell.test', 5000),
        ],
        'A afsdb1.cell.test': [a('afsdb1.cell.test', '127.2.1.1', 3000)],
        'A afsdb2.cell.test': [a('afsdb2.cell.test', '127.2.1.2', 2000)],
      }),
    );
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL);
    assert.deepEqual(ans.servers, ['127.2.1.1:7003', '127.2.1.2:7003']);
    assert.equal(ans.ttlSeconds, 2000);
    assert.ok(!dns.log.some((l) => l.includes('dce.cell.test')), 'subtype 2 (DCE) host not resolved');
  });

  test('AFSDB fallback when the SRV name is NXDOMAIN', async () => {
    const dns = await start(
      zone({
        [`AFSDB ${CELL}`]: [afsdb(1, 'db.cell.test', 100)],
        'A db.cell.test': [a('db.cell.test', '127.2.2.1', 200)],
      }),
    );
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL);
    assert.deepEqual(ans, { servers: ['127.2.2.1:7003'], ttlSeconds: 100 });
    assert.deepEqual(dns.log, [`SRV ${SRV}/udp`, `AFSDB ${CELL}/udp`, 'A db.cell.test/udp']);
  });

  test('NXDOMAIN for both → DnsNoSuchCellError with the SOA negative TTL, not temporary', async () => {
    const dns = await start(zone({}));
    const r = new AfsCellResolver({ servers: [dns.addr], ...fast });
    await assert.rejects(r.resolveVlServers(CELL), (e: unknown) => {
      assert.ok(e instanceof DnsNoSuchCellError);
      assert.equal(e.code, 'ERR_TSAFS_DNS_NO_SUCH_CELL');
      assert.equal(e.temporary, false);
      assert.equal(e.ttlSeconds, 300);
      assert.match(e.message, /NXDOMAIN/);
      return true;
    });
  });

  test('an SRV target of "." says there is no VL service: no such cell, no AFSDB query', async () => {
    const dns = await start(zone({ [`SRV ${SRV}`]: [srv('.', 0, 0, 0, 60)] }));
    await assert.rejects(
      new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL),
      DnsNoSuchCellError,
    );
    assert.ok(!dns.log.some((l) => l.startsWith('AFSDB')));
  });

  test('an SRV port of 0 means the default VL port 7003 (as kAFS reads its DNS blob)', async () => {
    const dns = await start(
      zone(
        { [`SRV ${SRV}`]: [srv('vl.cell.test', 0, 0, 0, 60)] },
        { [`SRV ${SRV}`]: [a('vl.cell.test', '127.2.5.1', 60)] },
      ),
    );
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL);
    assert.deepEqual(ans.servers, ['127.2.5.1:7003']);
  });

  test('hosts without addresses are skipped; none at all is "no such cell"', async () => {
    const dns = await start(
      zone({
        [`SRV ${SRV}`]: [srv('gone.cell.test', 7003, 0, 0, 60), srv('here.cell.test', 7003, 1, 0, 60)],
        'A here.cell.test': [a('here.cell.test', '127.2.3.1', 60)],
        'A gone.cell.test': [],
      }),
    );
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL);
    assert.deepEqual(ans.servers, ['127.2.3.1:7003']);
    const none = await start(zone({ [`SRV ${SRV}`]: [srv('gone.cell.test', 7003, 0, 0, 60)] }));
    await assert.rejects(
      new AfsCellResolver({ servers: [none.addr], ...fast }).resolveVlServers(CELL),
      DnsNoSuchCellError,
    );
  });

  test('a host whose A lookup times out makes the failure temporary (unreachable), not "no such cell"', async () => {
    const inner = zone({
      [`SRV ${SRV}`]: [srv('slow.cell.test', 7003, 0, 0, 60), srv('gone.cell.test', 7003, 0, 0, 60)],
    });
    const dns = await start((q, t) => (qOf(q).name === 'slow.cell.test' ? null : inner(q, t)));
    await assert.rejects(
      new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL),
      DnsUnreachableError,
    );
  });

  test('hostile sizes are bounded: 200 SRV records give at most maxHosts servers', async () => {
    const many = Array.from({ length: 200 }, (_, i) => srv(`vl${i}.cell.test`, 7003, i % 7, i, 60));
    const extra = Array.from({ length: 200 }, (_, i) =>
      a(`vl${i}.cell.test`, `127.4.${i >> 8}.${i & 255}`, 60),
    );
    const dns = await start(zone({ [`SRV ${SRV}`]: many }, { [`SRV ${SRV}`]: extra }));
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast, maxHosts: 4 }).resolveVlServers(
      CELL,
    );
    // Priority 0 first (i = 0, 7, 14, ...), highest weight first among them.
    assert.deepEqual(ans.servers, [
      '127.4.0.196:7003',
      '127.4.0.189:7003',
      '127.4.0.182:7003',
      '127.4.0.175:7003',
    ]);
  });
});

describe('transport: retries, deadlines, failover, TCP', () => {
  const ok = zone(
    { [`SRV ${SRV}`]: [srv('vl.cell.test', 7003, 0, 0, 77)] },
    { [`SRV ${SRV}`]: [a('vl.cell.test', '127.2.9.1', 88)] },
  );

  test('a server that never answers → DnsUnreachableError after attempts × timeout', async () => {
    const dns = await start(() => null);
    const r = new AfsCellResolver({ servers: [dns.addr], timeoutMs: 100, attempts: 3, deadlineMs: 5000 });
    const t0 = performance.now();
    await assert.rejects(
      r.resolveVlServers(CELL),
      (e: unknown) => e instanceof DnsUnreachableError && e.temporary,
    );
    const ms = performance.now() - t0;
    assert.ok(ms >= 290 && ms < 2500, `${ms} ms`);
    assert.equal(dns.log.length, 3);
  });

  test('the deadline bounds a resolution whatever the retry settings', async () => {
    const dns = await start(() => null);
    const r = new AfsCellResolver({ servers: [dns.addr], timeoutMs: 5000, attempts: 5, deadlineMs: 250 });
    const t0 = performance.now();
    await assert.rejects(r.resolveVlServers(CELL), (e: unknown) => {
      assert.ok(e instanceof DnsUnreachableError);
      assert.match(e.message, /deadline/);
      return true;
    });
    const ms = performance.now() - t0;
    assert.ok(ms >= 240 && ms < 2000, `${ms} ms`);
  });

  test('a closed port is reported unreachable at once (ICMP), not after the timeout', async () => {
    const dns = await start(() => null);
    await dns.close();
    const r = new AfsCellResolver({ servers: [dns.addr], timeoutMs: 5000, attempts: 2, deadlineMs: 20_000 });
    const t0 = performance.now();
    await assert.rejects(r.resolveVlServers(CELL), DnsUnreachableError);
    assert.ok(performance.now() - t0 < 2500);
  });

  test('a dropped datagram is retried', async () => {
    let n = 0;
    const dns = await start((q, t) => (n++ === 0 ? null : ok(q, t)));
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL);
    assert.deepEqual(ans, { servers: ['127.2.9.1:7003'], ttlSeconds: 77 });
    assert.deepEqual(dns.log, [`SRV ${SRV}/udp`, `SRV ${SRV}/udp`]);
  });

  test('replies with the wrong id are ignored (spoofing), the right one is taken', async () => {
    const dns = await start((q, t) => {
      const spoof = { ...q, id: ((q.id ?? 0) + 1) & 0xffff };
      const bad = reply(spoof, {
        an: [srv('evil.cell.test', 1, 0, 0, 99999)],
        ar: [a('evil.cell.test', '127.66.6.6', 1)],
      });
      return [bad, ok(q, t) as Buffer];
    });
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL);
    assert.deepEqual(ans.servers, ['127.2.9.1:7003']);
  });

  test('a reply for another question with the right id is ignored', async () => {
    const dns = await start((q, t) => {
      const other = { ...q, questions: [{ name: 'evil.test', type: 'SRV' as const, class: 'IN' as const }] };
      return [reply(other, { an: [] }), ok(q, t) as Buffer];
    });
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL);
    assert.deepEqual(ans.servers, ['127.2.9.1:7003']);
  });

  test('a truncated UDP answer is asked again over TCP', async () => {
    const dns = await start((q, t) => (t === 'udp' ? reply(q, { flags: 1 << 9 }) : ok(q, t)), { tcp: true });
    const ans = await new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL);
    assert.deepEqual(ans, { servers: ['127.2.9.1:7003'], ttlSeconds: 77 });
    assert.deepEqual(dns.log, [`SRV ${SRV}/udp`, `SRV ${SRV}/tcp`]);
  });

  test('SERVFAIL/REFUSED from one server moves on to the next', async () => {
    const refusing = await start((q) => reply(q, { rcode: 'REFUSED' }));
    const good = await start(ok);
    const ans = await new AfsCellResolver({ servers: [refusing.addr, good.addr], ...fast }).resolveVlServers(
      CELL,
    );
    assert.deepEqual(ans.servers, ['127.2.9.1:7003']);
    assert.equal(refusing.log.length, 1);
    const failing = await start((q) => reply(q, { rcode: 'SERVFAIL' }));
    await assert.rejects(
      new AfsCellResolver({ servers: [failing.addr], ...fast }).resolveVlServers(CELL),
      (e: unknown) => e instanceof DnsServerFailureError && e.rcode === 2 && e.temporary,
    );
  });

  test('a malformed answer with our id → DnsMalformedError after the retries', async () => {
    const dns = await start((q) => {
      const b = reply(q, { an: [srv('vl.cell.test', 7003, 0, 0, 1)] });
      b.writeUInt16BE(0xffff, 6); // 65535 answers
      return b;
    });
    await assert.rejects(
      new AfsCellResolver({ servers: [dns.addr], ...fast }).resolveVlServers(CELL),
      DnsMalformedError,
    );
    assert.equal(dns.log.length, 2);
  });

  test("the caller's abort ends a resolution at once with the caller's reason", async () => {
    const dns = await start(() => null);
    const ac = new AbortController();
    const why = new Error('stop');
    setTimeout(() => ac.abort(why), 50).unref();
    const t0 = performance.now();
    await assert.rejects(
      new AfsCellResolver({ servers: [dns.addr], timeoutMs: 5000 }).resolveVlServers(CELL, ac.signal),
      (e) => e === why,
    );
    assert.ok(performance.now() - t0 < 2500);
  });
});

describe('configuration: the system nameservers unless named', () => {
  test("without servers (or 'system') the resolver asks the nameservers Node's resolver uses", async () => {
    const saved = nodeDns.getServers();
    nodeDns.setServers(['127.0.0.7:5300', '127.0.0.8']);
    try {
      assert.deepEqual(await new AfsCellResolver({}).nameServers(), ['127.0.0.7:5300', '127.0.0.8:53']);
      assert.deepEqual(await new AfsCellResolver({ servers: 'system' }).nameServers(), [
        '127.0.0.7:5300',
        '127.0.0.8:53',
      ]);
    } finally {
      nodeDns.setServers(saved);
    }
  });

  test('bad configuration is refused at construction', () => {
    assert.throws(() => new AfsCellResolver({ servers: [] }), DnsConfigError);
    assert.throws(() => new AfsCellResolver({ servers: ['dns.example.org'] }), DnsConfigError);
    assert.throws(() => new AfsCellResolver({ servers: ['127.0.0.1'], timeoutMs: 0 }), DnsConfigError);
  });

  test("'system' reads the resolv.conf it is given, and fails typed when it names none", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsafs-dns-'));
    try {
      const conf = join(dir, 'resolv.conf');
      await writeFile(conf, 'nameserver 127.0.0.9\nnameserver ::1\n');
      assert.deepEqual(await new AfsCellResolver({ servers: 'system', resolvConf: conf }).nameServers(), [
        '127.0.0.9:53',
        '[::1]:53',
      ]);
      await writeFile(conf, 'search example.org\n');
      await assert.rejects(
        new AfsCellResolver({ servers: 'system', resolvConf: conf }).resolveVlServers(CELL),
        DnsConfigError,
      );
      await assert.rejects(
        new AfsCellResolver({ servers: 'system', resolvConf: join(dir, 'absent') }).resolveVlServers(CELL),
        DnsConfigError,
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test('a cell name that is not a DNS name is "no such cell" without any query', async () => {
    const dns = await start(() => null);
    const r = new AfsCellResolver({ servers: [dns.addr], ...fast });
    for (const bad of ['a..b', 'bad name', '-x.test'])
      await assert.rejects(r.resolveVlServers(bad), DnsNoSuchCellError);
    assert.equal(dns.log.length, 0);
  });
});

describe('the cell manager with DNS discovery', () => {
  const unused = async (): Promise<never> => {
    throw new Error('not used in this test');
  };
  const baseOps: AfsRecordOps = {
    vlGetEntry: unused,
    vlGetAddrs: unused,
    fsProbe: unused,
    fsGiveUpAllCallBacks: unused,
  };
  const clockAt = (t: { now: number }) => ({ now: () => t.now, setTimer: () => ({ cancel() {} }) });

  test('a cell without static VL servers takes them from DNS; expiry is the TTL clamped to [10 min, 24 h]', async () => {
    for (const [ttl, expectMs] of [
      [30, 600_000],
      [7200, 7_200_000],
      [999_999, 86_400_000],
    ] as const) {
      const dns = await start(
        zone(
          { [`SRV ${SRV}`]: [srv('vl.cell.test', 7003, 0, 0, ttl)] },
          { [`SRV ${SRV}`]: [a('vl.cell.test', '127.2.9.9', ttl)] },
        ),
      );
      const t = { now: 1_000_000 };
      const net = new Net({
        ops: withDnsDiscovery(baseOps, new AfsCellResolver({ servers: [dns.addr], ...fast })),
        clock: clockAt(t),
      });
      const cell = await net.lookupCell(CELL);
      assert.deepEqual(cell.vlServers, ['127.2.9.9:7003']);
      assert.equal(cell.vlExpiry - t.now, expectMs, `ttl ${ttl}`);
      cell.unuseCell('unuse_lookup');
      await net.close({ timeout: 2000 });
    }
  });

  test('DNS unreachable: the cell comes up empty and retries in 10 s', async () => {
    const dns = await start(() => null);
    const t = { now: 5_000 };
    const net = new Net({
      ops: withDnsDiscovery(
        baseOps,
        new AfsCellResolver({ servers: [dns.addr], timeoutMs: 50, attempts: 1 }),
      ),
      clock: clockAt(t),
    });
    const cell = await net.lookupCell(CELL);
    assert.deepEqual(cell.vlServers, []);
    assert.equal(cell.vlExpiry - t.now, 10_000);
    cell.unuseCell('unuse_lookup');
    await net.close({ timeout: 2000 });
  });
});
