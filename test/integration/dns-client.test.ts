// DNS discovery through the public client: opt-in, used for cells not in the configuration, and
// never consulted when not enabled.
import assert from 'node:assert/strict';
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

test('without dns, an unknown cell is ENOENT and no query reaches any DNS server', async () => {
  const from = dns.output().length;
  const c = new AfsClient({ cellServDB: false, thisCell: false, auth: 'anonymous' });
  try {
    await assert.rejects(c.fs.readdir('/afs/dnsclient.test'), (e: { code?: string }) => e.code === 'ENOENT');
  } finally {
    await c.close();
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.doesNotMatch(dns.output().slice(from), /query\[/);
});
