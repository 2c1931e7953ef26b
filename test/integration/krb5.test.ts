// Against the real MIT KDC of scripts/kdc (realm = the cell name upper-cased, on loopback).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { asExchange, tgsPrincipal } from '../../src/auth/krb5/as.js';
import { DerFields, decodeInteger, unwrapApplication } from '../../src/auth/krb5/asn1.js';
import { CCACHE_CONF_REALM, readCcache, writeCcache } from '../../src/auth/krb5/ccache.js';
import { type Krb5Config, loadKrb5Config, parseKrb5Conf } from '../../src/auth/krb5/config.js';
import { credentialsToCache } from '../../src/auth/krb5/credentials.js';
import { decrypt, KeyUsage } from '../../src/auth/krb5/enctypes.js';
import { KdcError, KdcUnreachableError, Krb5Error } from '../../src/auth/krb5/errors.js';
import { keytabEntriesFor, readKeytab } from '../../src/auth/krb5/keytab.js';
import { parsePrincipal, principalToString } from '../../src/auth/krb5/messages.js';
import { getAfsServiceTicket, obtainAfsCredentials, tgsExchange } from '../../src/auth/krb5/tgs.js';

function env(name: string): string {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run under scripts/test (eval "$(bash scripts/cell env)")`);
  return v;
}

let config: Krb5Config;
let realm: string;
let cell: string;
let dir: string;

before(async () => {
  config = await loadKrb5Config(env('KRB5_CONFIG'));
  realm = env('AFS_KRB5_REALM');
  cell = process.env.AFS_CELL ?? realm.toLowerCase();
  dir = mkdtempSync(join(tmpdir(), 'tsafs-krb5-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const user = () => parsePrincipal(env('AFS_TEST_PRINCIPAL'));

/** Decrypts a ticket with the AFS service key from its keytab and returns the session key inside. */
async function sessionKeyInsideTicket(ticketEnc: {
  etype: number;
  kvno?: number | undefined;
  cipher: Buffer;
}) {
  const afs = parsePrincipal(env('AFS_KRB5_AFS_PRINCIPAL'));
  const entry = keytabEntriesFor(await readKeytab(env('AFS_KRB5_AFS_KEYTAB')), afs).find(
    (e) => e.key.enctype === ticketEnc.etype && e.kvno === ticketEnc.kvno,
  );
  assert.ok(entry, 'the AFS keytab holds the key the ticket is sealed with');
  const plain = decrypt(entry.key, KeyUsage.KDC_REP_TICKET, ticketEnc.cipher);
  // EncTicketPart ::= [APPLICATION 3] SEQUENCE { flags [0], key [1] EncryptionKey, ... }
  const f = new DerFields(unwrapApplication(plain, 3), 'EncTicketPart');
  const k = new DerFields(f.req(1), 'EncryptionKey');
  return { enctype: decodeInteger(k.req(0)), key: new DerFields(f.req(1), 'k').req(1).subarray(2) };
}

test('AS exchange with a keytab gets a TGT', async () => {
  const keytab = await readKeytab(env('AFS_TEST_KEYTAB'));
  const tgt = await asExchange({ config, client: user(), secret: { keytab } });
  assert.equal(principalToString(tgt.client), env('AFS_TEST_PRINCIPAL'));
  assert.equal(principalToString(tgt.server), `krbtgt/${realm}@${realm}`);
  assert.equal(tgt.key.enctype, 18);
  assert.equal(tgt.key.key.length, 32);
  assert.ok(tgt.endtime.getTime() > Date.now() + 3600_000);
  assert.equal(tgt.ticket.realm, realm);
});

test('AS exchange with a password (PREAUTH_REQUIRED, then PA-ENC-TIMESTAMP) gets a TGT', async () => {
  const tgt = await asExchange({ config, client: user(), secret: { password: env('AFS_TEST_PASSWORD') } });
  assert.equal(principalToString(tgt.client), env('AFS_TEST_PRINCIPAL'));
  assert.ok(tgt.endtime.getTime() > Date.now());
});

test('AS over TCP when udp_preference_limit forces it', async () => {
  const tcp: Krb5Config = { ...config, udpPreferenceLimit: 1 };
  const tgt = await asExchange({
    config: tcp,
    client: user(),
    secret: { keytab: await readKeytab(env('AFS_TEST_KEYTAB')) },
  });
  assert.equal(principalToString(tgt.server), `krbtgt/${realm}@${realm}`);
});

test('TGS exchange gets afs/<cell> sealed in the AFS key, with the session key we were given', async () => {
  const tgt = await asExchange({
    config,
    client: user(),
    secret: { keytab: await readKeytab(env('AFS_TEST_KEYTAB')) },
  });
  const afs = await getAfsServiceTicket({ config, tgt, cell });
  assert.equal(principalToString(afs.server), `afs/${cell}@${realm}`);
  assert.equal(principalToString(afs.client), env('AFS_TEST_PRINCIPAL'));
  const inside = await sessionKeyInsideTicket(afs.ticket.encPart);
  assert.equal(inside.enctype, afs.key.enctype);
  assert.ok(inside.key.equals(afs.key.key), 'the ticket carries the session key the TGS-REP gave us');
  assert.ok(afs.endtime.getTime() <= tgt.endtime.getTime());
});

test('afs/<cell> missing falls back to afs@REALM; neither existing is KDC_ERR_S_PRINCIPAL_UNKNOWN', async () => {
  const tgt = await asExchange({
    config,
    client: user(),
    secret: { keytab: await readKeytab(env('AFS_TEST_KEYTAB')) },
  });
  await assert.rejects(
    getAfsServiceTicket({ config, tgt, cell: 'no-such-cell.example' }),
    (e: unknown) => e instanceof KdcError && e.code === 'KDC_ERR_S_PRINCIPAL_UNKNOWN' && e.errorCode === 7,
  );
});

test('a ccache made by kinit -k -t supplies the TGT (no keytab or password given)', async () => {
  const ccPath = join(dir, 'kinit.ccache');
  execFileSync('kinit', ['-k', '-t', env('AFS_TEST_KEYTAB'), env('AFS_TEST_PRINCIPAL')], {
    env: { ...process.env, KRB5CCNAME: `FILE:${ccPath}` },
    stdio: 'ignore',
  });
  const cc = await readCcache(ccPath);
  const tgtInCache = cc.credentials.find((c) => principalToString(c.server) === `krbtgt/${realm}@${realm}`);
  assert.ok(tgtInCache);
  const afs = await obtainAfsCredentials({ cell, realm, ccachePath: ccPath, config });
  assert.equal(principalToString(afs.server), `afs/${cell}@${realm}`);
  assert.equal(principalToString(afs.client), env('AFS_TEST_PRINCIPAL'));
  // The service ticket's authtime is the TGT's: it descends from the cached TGT.
  assert.equal(afs.authtime.getTime(), tgtInCache.authtime.getTime());
  await assert.rejects(
    obtainAfsCredentials({ cell, realm, ccachePath: join(dir, 'absent.ccache'), config }),
    (e: unknown) => e instanceof Krb5Error && e.code === 'KRB5_NO_TGT',
  );
});

test('a ccache we write is read by MIT klist and kvno', async () => {
  const tgt = await asExchange({
    config,
    client: user(),
    secret: { keytab: await readKeytab(env('AFS_TEST_KEYTAB')) },
  });
  const ccPath = join(dir, 'ours.ccache');
  await writeCcache(ccPath, { defaultPrincipal: tgt.client, credentials: [credentialsToCache(tgt)] });
  const e = { ...process.env, KRB5CCNAME: `FILE:${ccPath}` };
  const listed = execFileSync('klist', ['-c', ccPath], { env: e, encoding: 'utf8' });
  assert.match(listed, new RegExp(`Default principal: ${env('AFS_TEST_PRINCIPAL')}`));
  assert.match(listed, new RegExp(`krbtgt/${realm}@${realm}`));
  // kvno uses our TGT in a TGS exchange of its own and stores the result in the same cache.
  execFileSync('kvno', [`afs/${cell}@${realm}`], { env: e, stdio: 'ignore' });
  const after = await readCcache(ccPath);
  const names = after.credentials
    .filter((c) => c.server.realm !== CCACHE_CONF_REALM)
    .map((c) => principalToString(c.server));
  assert.ok(names.includes(`afs/${cell}@${realm}`));
  // And a TGT read back from our own file works for our own TGS exchange.
  const viaFile = await obtainAfsCredentials({ cell, realm, ccachePath: ccPath, config });
  assert.equal(principalToString(viaFile.server), `afs/${cell}@${realm}`);
});

test('wrong password is KDC_ERR_PREAUTH_FAILED', async () => {
  await assert.rejects(
    asExchange({ config, client: user(), secret: { password: 'not-the-password' } }),
    (e: unknown) => e instanceof KdcError && e.code === 'KDC_ERR_PREAUTH_FAILED' && e.errorCode === 24,
  );
});

test('unknown principal is KDC_ERR_C_PRINCIPAL_UNKNOWN', async () => {
  await assert.rejects(
    asExchange({ config, client: parsePrincipal(`nobody-here@${realm}`), secret: { password: 'x' } }),
    (e: unknown) => e instanceof KdcError && e.code === 'KDC_ERR_C_PRINCIPAL_UNKNOWN' && e.errorCode === 6,
  );
});

test('a client clock an hour off is KRB_AP_ERR_SKEW', async () => {
  const keytab = await readKeytab(env('AFS_TEST_KEYTAB'));
  await assert.rejects(
    asExchange({ config, client: user(), secret: { keytab }, now: () => new Date(Date.now() - 3600_000) }),
    (e: unknown) => e instanceof KdcError && e.code === 'KRB_AP_ERR_SKEW' && e.serverTime instanceof Date,
  );
});

test('a TGS request with a tampered TGT is refused by the KDC', async () => {
  const tgt = await asExchange({
    config,
    client: user(),
    secret: { keytab: await readKeytab(env('AFS_TEST_KEYTAB')) },
  });
  const der = Buffer.from(tgt.ticket.der);
  der[der.length - 20] = (der[der.length - 20] as number) ^ 0xff;
  await assert.rejects(
    tgsExchange({ config, tgt: { ...tgt, ticket: { ...tgt.ticket, der } }, service: tgsPrincipal(realm) }),
    (e: unknown) => e instanceof KdcError,
  );
});

test('KDC down (nothing listening) is KdcUnreachableError within the deadline', async () => {
  // Port 9 on 127.0.0.1 (discard) has nothing listening here: UDP gets ICMP port unreachable.
  const down = parseKrb5Conf([`[realms]\n ${realm} = {\n  kdc = 127.0.0.1:9\n }\n`]);
  const t0 = Date.now();
  await assert.rejects(
    asExchange({ config: down, client: user(), secret: { password: 'x' }, kdc: { timeoutMs: 3000 } }),
    (e: unknown) => e instanceof KdcUnreachableError && e.code === 'KRB5_KDC_UNREACH' && e.realm === realm,
  );
  assert.ok(Date.now() - t0 < 3500, `took ${Date.now() - t0} ms`);
});

test('an aes128-only user: password AS exchange, then an aes128 session key for afs/<cell>', async () => {
  const who = parsePrincipal(env('AFS_TEST_PRINCIPAL_AES128'));
  const tgt = await asExchange({ config, client: who, secret: { password: env('AFS_TEST_PASSWORD') } });
  assert.equal(principalToString(tgt.client), env('AFS_TEST_PRINCIPAL_AES128'));
  const afs = await getAfsServiceTicket({ config, tgt, cell, enctypes: [17] });
  assert.equal(afs.key.enctype, 17);
  assert.equal(afs.key.key.length, 16);
  const inside = await sessionKeyInsideTicket(afs.ticket.encPart);
  assert.ok(inside.key.equals(afs.key.key));
});
