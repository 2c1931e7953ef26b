// Keytab and ccache files written by the real MIT tools (ktutil, kinit, kvno; the fixtures were
// made against scripts/kdc), and our own ccache writer.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CCACHE_CONF_REALM,
  CcacheFormatError,
  defaultCcachePath,
  parseCcache,
  serializeCcache,
} from '../../src/auth/krb5/ccache.js';
import { credentialsFromCache } from '../../src/auth/krb5/credentials.js';
import { defaultSalt, stringToKey } from '../../src/auth/krb5/enctypes.js';
import { KeytabFormatError, keytabEntriesFor, parseKeytab } from '../../src/auth/krb5/keytab.js';
import { parsePrincipal, principalToString } from '../../src/auth/krb5/messages.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/krb5/${name}`, import.meta.url));

test('an MIT ktutil keytab parses, and its password keys equal our string-to-key', () => {
  const entries = parseKeytab(fixture('mit.keytab'));
  assert.equal(entries.length, 3);
  const mine = keytabEntriesFor(entries, parsePrincipal('fixture@EXAMPLE.ORG'));
  assert.deepEqual(
    mine.map((e) => [e.kvno, e.key.enctype, e.key.key.length]),
    [
      [3, 18, 32],
      [3, 17, 16],
    ],
  );
  for (const e of mine) {
    const want = stringToKey(e.key.enctype, 'fixture-pw', defaultSalt('EXAMPLE.ORG', ['fixture']));
    assert.ok(want.key.equals(e.key.key), `enctype ${e.key.enctype} key matches MIT's`);
  }
  const host = keytabEntriesFor(entries, parsePrincipal('host/box.example.org@EXAMPLE.ORG'));
  assert.equal(host.length, 1);
  assert.equal(host[0]?.kvno, 7);
  assert.equal(host[0]?.principal.nameType, 1);
  assert.ok(
    stringToKey(18, 'other-pw', 'EXAMPLE.ORGhostbox.example.org').key.equals(host[0]?.key.key as Buffer),
  );
});

test('keytab holes are skipped and damage is a typed error', () => {
  const kt = fixture('mit.keytab');
  const first = kt.readInt32BE(2);
  const holed = Buffer.from(kt);
  holed.writeInt32BE(-first, 2);
  assert.equal(parseKeytab(holed).length, 2);
  assert.throws(() => parseKeytab(kt.subarray(0, kt.length - 3)), KeytabFormatError);
  assert.throws(() => parseKeytab(Buffer.from([5, 9])), KeytabFormatError);
});

test('a ccache made by kinit -k -t and kvno parses: TGT, afs ticket, config entries', () => {
  const cc = parseCcache(fixture('mit-kinit.ccache'));
  assert.equal(cc.version, 0x0504);
  assert.equal(principalToString(cc.defaultPrincipal), 'tsafsuser@TSAFS.TEST');
  const real = cc.credentials.filter((c) => c.server.realm !== CCACHE_CONF_REALM);
  assert.deepEqual(real.map((c) => principalToString(c.server)).sort(), [
    'afs/tsafs.test@TSAFS.TEST',
    'krbtgt/TSAFS.TEST@TSAFS.TEST',
  ]);
  for (const c of real) {
    assert.equal(c.key.enctype, 18);
    assert.equal(c.key.key.length, 32);
    assert.equal(c.endtime.getTime() - c.starttime.getTime(), 10 * 3600 * 1000);
    const creds = credentialsFromCache(c);
    assert.equal(creds.ticket.realm, 'TSAFS.TEST');
    assert.deepEqual(creds.ticket.sname.components, c.server.components);
    assert.equal(creds.ticket.encPart.etype, 18);
  }
});

test('our ccache serialisation round-trips MIT’s file byte for byte in content', () => {
  const buf = fixture('mit-kinit.ccache');
  const cc = parseCcache(buf);
  const again = parseCcache(serializeCcache(cc));
  assert.deepEqual(again, { ...cc, version: 0x0504 });
  assert.throws(() => parseCcache(buf.subarray(0, buf.length - 5)), CcacheFormatError);
  assert.throws(() => parseCcache(Buffer.from([5, 1, 0, 0])), CcacheFormatError);
});

test('KRB5CCNAME selects the ccache path', () => {
  assert.equal(defaultCcachePath({ KRB5CCNAME: 'FILE:/tmp/x' }), '/tmp/x');
  assert.equal(defaultCcachePath({ KRB5CCNAME: '/tmp/y' }), '/tmp/y');
  assert.match(defaultCcachePath({}), /^\/tmp\/krb5cc_\d+$/);
  for (const type of ['KEYRING:persistent:0', 'KCM:0', 'API:x']) {
    // The refusal names the way round: a FILE: cache, or a password/keytab login.
    assert.throws(
      () => defaultCcachePath({ KRB5CCNAME: type }),
      /not supported.*KRB5CCNAME=FILE:.*--keytab/s,
    );
  }
});

test('DIR: collections: the primary file names the current cache ("tkt" without one); DIR::path is one cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsafs-ccdir-'));
  try {
    assert.equal(defaultCcachePath({ KRB5CCNAME: `DIR:${dir}` }), join(dir, 'tkt'));
    writeFileSync(join(dir, 'primary'), 'tktAbC123\n');
    assert.equal(defaultCcachePath({ KRB5CCNAME: `DIR:${dir}` }), join(dir, 'tktAbC123'));
    assert.equal(defaultCcachePath({ KRB5CCNAME: `DIR::${dir}/tktX` }), `${dir}/tktX`);
    writeFileSync(join(dir, 'primary'), '../../etc/passwd\n');
    assert.throws(() => defaultCcachePath({ KRB5CCNAME: `DIR:${dir}` }), /primary names/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('[domain_realm] gives a cell its realm: exact name, then .domain from the longest suffix', async () => {
  const { parseKrb5Conf, realmForName } = await import('../../src/auth/krb5/config.js');
  const cfg = parseKrb5Conf([
    '[domain_realm]\n .example.org = EXAMPLE.ORG\n cs.example.org = CS.EXAMPLE.ORG\n .lab.example.org = LAB.ORG\n',
  ]);
  assert.equal(realmForName(cfg, 'cs.example.org'), 'CS.EXAMPLE.ORG');
  assert.equal(realmForName(cfg, 'x.lab.example.org'), 'LAB.ORG');
  assert.equal(realmForName(cfg, 'other.example.org'), 'EXAMPLE.ORG');
  assert.equal(realmForName(cfg, 'example.net'), undefined);
});
