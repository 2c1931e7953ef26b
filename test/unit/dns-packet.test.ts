// DNS messages as the cell resolver builds and reads them: queries, SRV/AFSDB/A/CNAME/SOA data,
// TTL rules, and hostile answers (absurd counts, compression loops, cut-short packets) that must
// end in DnsMalformedError and nothing else.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { parseNameServer, parseResolvConf } from '../../src/dns/config.js';
import { DnsConfigError, DnsMalformedError } from '../../src/dns/errors.js';
import {
  aData,
  afsdbData,
  answersFor,
  buildQuery,
  DNS_TYPE,
  isHostname,
  MAX_RECORDS,
  minTtl,
  negativeTtl,
  parseMessage,
  srvData,
} from '../../src/dns/message.js';
import { RCODES, type Rcode } from './helpers/fake-dns.js';

type Answer = dnsPacket.Answer;

function response(
  id: number,
  qname: string,
  qtype: string,
  sections: { an?: Answer[]; ar?: Answer[]; ns?: Answer[] },
  rcode: Rcode = 'NOERROR',
): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | RCODES[rcode],
    questions: [{ name: qname, type: qtype as 'A', class: 'IN' }],
    answers: sections.an ?? [],
    authorities: sections.ns ?? [],
    additionals: sections.ar ?? [],
  } as dnsPacket.Packet);
}

/** AFSDB RDATA: 16-bit subtype, then the hostname in wire format. */
function afsdbRdata(subtype: number, host: string): Buffer {
  const labels = host.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([Buffer.from([subtype >> 8, subtype & 0xff]), ...labels, Buffer.from([0])]);
}

const SRV_NAME = '_afs3-vlserver._udp.example.test';
const srvReply = response(0x1234, SRV_NAME, 'SRV', {
  an: [
    {
      name: SRV_NAME,
      type: 'SRV',
      ttl: 900,
      data: { priority: 10, weight: 5, port: 7003, target: 'vl2.example.test' },
    },
    {
      name: SRV_NAME,
      type: 'SRV',
      ttl: 700,
      data: { priority: 0, weight: 50, port: 7013, target: 'vl1.example.test' },
    },
  ],
  ar: [{ name: 'vl1.example.test', type: 'A', ttl: 300, data: '127.2.0.1' }],
});

describe('DNS query building', () => {
  test('an SRV query is one recursive question with an EDNS0 OPT record', () => {
    const q = dnsPacket.decode(buildQuery(0xbeef, SRV_NAME, DNS_TYPE.SRV));
    assert.equal(q.id, 0xbeef);
    assert.equal(q.type, 'query');
    assert.ok((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED);
    assert.deepEqual(
      q.questions?.map((x) => [x.name, x.type, x.class]),
      [[SRV_NAME, 'SRV', 'IN']],
    );
    const opt = q.additionals?.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer | undefined;
    assert.equal(opt?.udpPayloadSize, 1232);
  });

  test('an AFSDB query asks for type 18', () => {
    const buf = buildQuery(1, 'grand.central.org', DNS_TYPE.AFSDB);
    const m = parseMessage(buf);
    assert.deepEqual(m.question, { name: 'grand.central.org', type: 18, cls: 1 });
  });
});

describe('DNS message parsing', () => {
  test('SRV records, their TTLs and the additional A record', () => {
    const m = parseMessage(srvReply);
    assert.equal(m.id, 0x1234);
    assert.equal(m.rcode, 0);
    assert.equal(m.truncated, false);
    const srv = m.answers.map((r) => ({ ttl: r.ttl, ...srvData(m, r) }));
    assert.deepEqual(srv, [
      { ttl: 900, priority: 10, weight: 5, port: 7003, target: 'vl2.example.test' },
      { ttl: 700, priority: 0, weight: 50, port: 7013, target: 'vl1.example.test' },
    ]);
    assert.equal(aData(m, m.additionals[0]!), '127.2.0.1');
    assert.equal(m.additionals[0]!.ttl, 300);
  });

  test('an AFSDB hostname that is a compression pointer to an earlier name', () => {
    // Header, question "cell.test" AFSDB at offset 12, then an answer whose owner and whose
    // RDATA hostname both point back at the question name.
    const q = Buffer.from([4, ...Buffer.from('cell'), 4, ...Buffer.from('test'), 0, 0, 18, 0, 1]);
    const header = Buffer.from([0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    const rr = Buffer.from([0xc0, 12, 0, 18, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 0, 1, 0xc0, 12]);
    const m = parseMessage(Buffer.concat([header, q, rr]));
    assert.equal(m.answers[0]!.ttl, 3600);
    assert.deepEqual(afsdbData(m, m.answers[0]!), { subtype: 1, host: 'cell.test' });
  });

  test('AFSDB records as dnsmasq --dns-rr serves them', () => {
    const buf = response(9, 'cell.test', 'AFSDB', {
      an: [
        { name: 'cell.test', type: 'AFSDB' as 'NULL', ttl: 60, data: afsdbRdata(1, 'afsdb1.cell.test') },
        { name: 'cell.test', type: 'AFSDB' as 'NULL', ttl: 50, data: afsdbRdata(2, 'dce.cell.test') },
      ],
    });
    const m = parseMessage(buf);
    assert.deepEqual(
      m.answers.map((r) => afsdbData(m, r)),
      [
        { subtype: 1, host: 'afsdb1.cell.test' },
        { subtype: 2, host: 'dce.cell.test' },
      ],
    );
  });

  test('answersFor follows CNAMEs and takes the smallest TTL along the chain', () => {
    const buf = response(2, 'vl.cell.test', 'A', {
      an: [
        { name: 'vl.cell.test', type: 'CNAME', ttl: 120, data: 'real.cell.test' },
        { name: 'real.cell.test', type: 'A', ttl: 3600, data: '127.3.0.1' },
        { name: 'real.cell.test', type: 'A', ttl: 1800, data: '127.3.0.2' },
        { name: 'other.cell.test', type: 'A', ttl: 1, data: '127.3.0.9' },
      ],
    });
    const m = parseMessage(buf);
    const set = answersFor(m, 'VL.cell.test', DNS_TYPE.A);
    assert.deepEqual(
      set.records.map((r) => aData(m, r)),
      ['127.3.0.1', '127.3.0.2'],
    );
    assert.equal(minTtl(set.records, set.chainTtl), 120);
    const direct = answersFor(m, 'real.cell.test', DNS_TYPE.A);
    assert.equal(direct.chainTtl, Infinity);
    assert.equal(minTtl(direct.records, direct.chainTtl), 1800);
    assert.deepEqual(answersFor(m, 'none.cell.test', DNS_TYPE.A).records, []);
  });

  test('a CNAME loop ends after a bounded number of hops with no records', () => {
    const buf = response(3, 'a.test', 'A', {
      an: [
        { name: 'a.test', type: 'CNAME', ttl: 10, data: 'b.test' },
        { name: 'b.test', type: 'CNAME', ttl: 20, data: 'a.test' },
      ],
    });
    const m = parseMessage(buf);
    const set = answersFor(m, 'a.test', DNS_TYPE.A);
    assert.equal(set.records.length, 0);
  });

  test('negative TTL is min(SOA TTL, SOA MINIMUM) (RFC 2308)', () => {
    const soa = (ttl: number, minimum: number): Answer => ({
      name: 'test',
      type: 'SOA',
      ttl,
      data: {
        mname: 'ns.test',
        rname: 'root.test',
        serial: 1,
        refresh: 2,
        retry: 3,
        expire: 4,
        minimum,
      },
    });
    assert.equal(
      negativeTtl(parseMessage(response(4, 'x.test', 'AFSDB', { ns: [soa(900, 300)] }, 'NXDOMAIN'))),
      300,
    );
    assert.equal(
      negativeTtl(parseMessage(response(4, 'x.test', 'AFSDB', { ns: [soa(60, 300)] }, 'NXDOMAIN'))),
      60,
    );
    assert.equal(negativeTtl(parseMessage(response(4, 'x.test', 'AFSDB', {}, 'NXDOMAIN'))), undefined);
  });

  test('a TTL with the top bit set counts as zero (RFC 2181 §8)', () => {
    const buf = Buffer.from(srvReply);
    const m0 = parseMessage(buf);
    const ttlAt = m0.answers[0]!.rdOffset - 6;
    buf.writeUInt32BE(0x80000001, ttlAt);
    assert.equal(parseMessage(buf).answers[0]!.ttl, 0);
    buf.writeUInt32BE(0x7fffffff, ttlAt);
    assert.equal(parseMessage(buf).answers[0]!.ttl, 0x7fffffff);
  });
});

describe('hostile DNS answers', () => {
  const malformed = (f: () => unknown, why: string) =>
    assert.throws(
      f,
      (e: unknown) => e instanceof DnsMalformedError && e.code === 'ERR_TSAFS_DNS_MALFORMED',
      why,
    );

  test('absurd record counts are refused before any record is read', () => {
    const buf = Buffer.from(srvReply.subarray(0, 40));
    buf.writeUInt16BE(0xffff, 6);
    malformed(() => parseMessage(buf), '65535 answers in 40 bytes');
    // Counts that could fit the bytes but exceed the record bound.
    const big = Buffer.alloc(12 + (MAX_RECORDS + 1) * 11);
    big.writeUInt16BE(0x8180, 2);
    big.writeUInt16BE(MAX_RECORDS + 1, 10);
    malformed(() => parseMessage(big), 'more records than the bound');
    const twoQuestions = Buffer.from(srvReply);
    twoQuestions.writeUInt16BE(2, 4);
    malformed(() => parseMessage(twoQuestions), 'two questions');
  });

  test('every cut-short prefix of a valid answer is malformed, never another error', () => {
    for (let n = 0; n < srvReply.length; n++) {
      malformed(() => parseMessage(srvReply.subarray(0, n)), `prefix of ${n} bytes`);
    }
    assert.equal(parseMessage(srvReply).answers.length, 2);
  });

  test('compression pointers to themselves or forward are malformed', () => {
    const header = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]);
    // The question name is a pointer to its own offset (12): a one-step loop.
    malformed(
      () => parseMessage(Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])])),
      'self pointer',
    );
    // A label then a pointer back to the label: a loop through earlier bytes.
    const loop = Buffer.concat([header, Buffer.from([1, 0x61, 0xc0, 12, 0, 1, 0, 1])]);
    malformed(() => parseMessage(loop), 'pointer back into the same name');
    // A forward pointer.
    malformed(
      () => parseMessage(Buffer.concat([header, Buffer.from([0xc0, 20, 0, 1, 0, 1, 0, 0, 0, 0])])),
      'forward pointer',
    );
    // Reserved label types 0x40 and 0x80.
    malformed(
      () => parseMessage(Buffer.concat([header, Buffer.from([0x41, 0, 0, 1, 0, 1])])),
      'label type 01',
    );
    malformed(
      () => parseMessage(Buffer.concat([header, Buffer.from([0x81, 0, 0, 1, 0, 1])])),
      'label type 10',
    );
  });

  test('record data lengths that lie are malformed', () => {
    const m = parseMessage(srvReply);
    const rdlenAt = m.answers[0]!.rdOffset - 2;
    const past = Buffer.from(srvReply);
    past.writeUInt16BE(0xffff, rdlenAt);
    malformed(() => parseMessage(past), 'rdata past the end');

    // SRV whose target runs beyond its declared RDATA.
    const short = Buffer.from(srvReply);
    short.writeUInt16BE(m.answers[0]!.rdLength - 3, rdlenAt);
    malformed(() => {
      const mm = parseMessage(short);
      return srvData(mm, mm.answers[0]!);
    }, 'SRV target longer than its RDATA');

    // A record of 8 bytes (two addresses glued together).
    const a8 = response(5, 'h.test', 'A', {
      an: [{ name: 'h.test', type: 'NULL', ttl: 1, data: Buffer.alloc(8) }],
    });
    const ma = parseMessage(a8);
    malformed(() => aData(ma, { ...ma.answers[0]!, type: DNS_TYPE.A }), 'A of 8 bytes');
    // AFSDB with no room for a hostname.
    malformed(() => afsdbData(ma, { ...ma.answers[0]!, rdLength: 2 }), 'AFSDB of 2 bytes');
  });

  test('random corruption of an answer yields data or DnsMalformedError, nothing else', (t) => {
    // mulberry32: a small seeded generator (exact in 32-bit integer arithmetic).
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    let parsed = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const buf = Buffer.from(srvReply);
      const flips = 1 + rnd(4);
      for (let k = 0; k < flips; k++) buf[rnd(buf.length)] = rnd(256);
      const cut = rnd(4) === 0 ? buf.subarray(0, rnd(buf.length)) : buf;
      try {
        const m = parseMessage(cut);
        for (const r of [...m.answers, ...m.additionals]) {
          if (r.type === DNS_TYPE.SRV) srvData(m, r);
          if (r.type === DNS_TYPE.A) aData(m, r);
          if (r.type === DNS_TYPE.AFSDB) afsdbData(m, r);
        }
        parsed++;
      } catch (e) {
        assert.ok(e instanceof DnsMalformedError, `iteration ${i}: ${String(e)}`);
        refused++;
      }
    }
    t.diagnostic(`parsed ${parsed}, refused ${refused}`);
    assert.ok(parsed > 1000 && refused > 1000, `parsed ${parsed}, refused ${refused}`);
  });
});

describe('names and nameservers', () => {
  test('hostname rules', () => {
    for (const ok of ['grand.central.org', 'vl1.dnscell.test', '_afs3-vlserver._udp.x.org', 'a', 'a-b.c'])
      assert.ok(isHostname(ok), ok);
    for (const bad of ['', '.', 'a..b', '-a.b', 'a-.b', 'a b', 'a/b', `${'x'.repeat(64)}.org`, 'ünï.test'])
      assert.ok(!isHostname(bad), bad);
    assert.ok(!isHostname(`${'abcdefghi.'.repeat(26)}org`), 'longer than 253');
  });

  test('nameserver addresses: IP literals with optional ports', () => {
    assert.deepEqual(parseNameServer('127.0.0.1'), { host: '127.0.0.1', port: 53 });
    assert.deepEqual(parseNameServer('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
    assert.deepEqual(parseNameServer('::1'), { host: '::1', port: 53 });
    assert.deepEqual(parseNameServer('[::1]:5353'), { host: '::1', port: 5353 });
    for (const bad of ['localhost', 'dns.example:53', '127.0.0.1:0', '127.0.0.1:70000', ''])
      assert.throws(() => parseNameServer(bad), DnsConfigError, bad);
  });

  test('resolv.conf: nameserver lines only, at most three', () => {
    const text = [
      '# comment',
      'search example.org',
      'nameserver 127.0.0.53',
      'options edns0 trust-ad',
      'nameserver fe80::1%eth0',
      'nameserver not-an-ip',
      '  nameserver 127.0.0.2',
      'nameserver 127.0.0.3',
    ].join('\n');
    assert.deepEqual(parseResolvConf(text), [
      { host: '127.0.0.53', port: 53 },
      { host: 'fe80::1', port: 53 },
      { host: '127.0.0.2', port: 53 },
    ]);
    assert.deepEqual(parseResolvConf('search x\n'), []);
  });
});
