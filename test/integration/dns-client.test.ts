// DNS discovery through the public client: on by default for cells named explicitly and not in
// the configuration, with the system's nameservers (here: Node's resolver pointed at the loopback
// dnsmasq), TSAFS_DNS, or the `dns` option; never consulted when turned off. No test here lets a
// query reach the machine's own resolver: each points the resolver at dnsmasq or turns it off.
import assert from 'node:assert/strict';
import nodeDns from 'node:dns';
import { after, before, test } from 'node:test';
import { AfsClient } from '../../src/client.js';
import { type Dnsmasq, startDnsmasq } from './helpers/dnsmasq.js';

let dns: Dnsmasq;

before(async () => {
  dns = await startDnsmasq(
    [
      '--local-ttl=900',
      '--srv-host=_afs3-vlserver._udp.dnsclient.test,vl1.dnsclient.test,7003,0,100',
      '--host-record=vl1.dnsclient.test,127.1.0.1',
    ],
    'vl1.dnsclient.test',
  );
});
after(async () => {
  await dns?.stop();
});

test('with dns enabled, /afs/<cell> of an unconfigured cell is found by SRV and walked', async () => {
  const c = new AfsClient({
    cellServDB: false,
    thisCell: false,
    auth: 'anonymous',
    dns: { servers: [dns.addr] },
  });
  try {
    const names = await c.fs.readdir('/afs/dnsclient.test');
    assert.ok(names.includes('rw'), `root.cell of the DNS-found cell lists rw: ${names}`);
    assert.ok(c.cells.includes('dnsclient.test'));
    await assert.rejects(c.fs.readdir('/afs/nosuchcell.test'), (e: { code?: string }) => e.code === 'ENOENT');
  } finally {
    await c.close();
  }
});

/** Runs `fn` with TSAFS_DNS set to `value` (undefined: unset) and Node's resolver pointed at dnsmasq. */
async function withEnv(value: string | undefined, fn: () => Promise<void>): Promise<void> {
  const saved = process.env.TSAFS_DNS;
  const servers = nodeDns.getServers();
  if (value === undefined) delete process.env.TSAFS_DNS;
  else process.env.TSAFS_DNS = value;
  nodeDns.setServers([dns.addr]);
  try {
    await fn();
  } finally {
    nodeDns.setServers(servers);
    if (saved === undefined) delete process.env.TSAFS_DNS;
    else process.env.TSAFS_DNS = saved;
  }
}

async function noQuerySince(from: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 100));
  assert.doesNotMatch(dns.output().slice(from), /query\[/);
}

const anonymousOnly = { cellServDB: false, thisCell: false, auth: 'anonymous' } as const;

test('by default an explicitly named unknown cell is found through the system nameservers', async () => {
  await withEnv(undefined, async () => {
    const c = new AfsClient(anonymousOnly);
    try {
      const names = await c.fs.readdir('/afs/dnsclient.test');
      assert.ok(names.includes('rw'), `root.cell of the DNS-found cell lists rw: ${names}`);
      assert.match(dns.output(), /query\[SRV\] _afs3-vlserver\._udp\.dnsclient\.test/);
      const from = dns.output().length;
      // A name without a dot is never sent to DNS.
      await assert.rejects(c.fs.readdir('/afs/nodots'), (e: { code?: string }) => e.code === 'ENOENT');
      await noQuerySince(from);
    } finally {
      await c.close();
    }
  });
});

test('TSAFS_DNS=<nameserver> replaces the system nameservers', async () => {
  await withEnv(dns.addr, async () => {
    nodeDns.setServers(['127.0.0.1:1']); // nothing listens there: only TSAFS_DNS can answer
    const c = new AfsClient(anonymousOnly);
    try {
      assert.ok((await c.fs.readdir('/afs/dnsclient.test')).includes('rw'));
    } finally {
      await c.close();
    }
  });
});

for (const [how, env, opts] of [
  ['dns: false', undefined, { dns: false }],
  ['TSAFS_DNS=off', 'off', {}],
] as const) {
  test(`with ${how}, an unknown cell is ENOENT and no query reaches any DNS server`, async () => {
    await withEnv(env, async () => {
      const from = dns.output().length;
      const c = new AfsClient({ ...anonymousOnly, ...opts });
      try {
        await assert.rejects(
          c.fs.readdir('/afs/dnsclient.test'),
          (e: { code?: string }) => e.code === 'ENOENT',
        );
      } finally {
        await c.close();
      }
      await noQuerySince(from);
    });
  });
}
