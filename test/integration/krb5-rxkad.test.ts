// A Kerberos 5 token (kvno 256, Ticket DER, rxkad-k5 session key) obtained by tsafs from the
// loopback MIT KDC, used for rxkad calls to the real vlserver at each level. The server only
// accepts the RESPONSE if it decrypts the ticket with the rxkad_krb5 key scripts/kdc installed and
// derives the same 8-byte key from the Kerberos session key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asExchange } from '../../src/auth/krb5/as.js';
import { loadKrb5Config } from '../../src/auth/krb5/config.js';
import { readKeytab } from '../../src/auth/krb5/keytab.js';
import { parsePrincipal } from '../../src/auth/krb5/messages.js';
import { RXKAD_TKT_TYPE_KERBEROS_V5, rxkadTokenFromCredentials } from '../../src/auth/krb5/rxkad-token.js';
import { getAfsServiceTicket, obtainAfsCredentials } from '../../src/auth/krb5/tgs.js';
import type { RxkadToken } from '../../src/auth/token.js';
import { callRpc } from '../../src/rpc/client.js';
import { AfsError } from '../../src/rpc/errors.js';
import { VL, VL_PORT, VL_SERVICE_ID } from '../../src/rpc/vl.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { RxkadClientClass } from '../../src/rx/security/rxkad.js';
import { RXKADBADTICKET, RXKADSEALEDINCON, RXKADUNKNOWNKEY } from '../../src/rx/security/rxkad-errors.js';

function env(name: string): string {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run under scripts/test (eval "$(bash scripts/cell env)")`);
  return v;
}

let ep: RxEndpoint;
let token: RxkadToken;
const probe = (security: RxkadClientClass) =>
  callRpc(
    ep,
    { host: env('AFS_ADDR'), port: VL_PORT, serviceId: VL_SERVICE_ID, security },
    VL.Probe,
    {},
    {
      timeouts: { hardDeadline: 5000 },
    },
  );

before(async () => {
  const cell = env('AFS_CELL');
  const creds = await obtainAfsCredentials({
    cell,
    principal: env('AFS_TEST_PRINCIPAL'),
    keytabPath: env('AFS_TEST_KEYTAB'),
    config: await loadKrb5Config(env('KRB5_CONFIG')),
  });
  token = rxkadTokenFromCredentials(creds, cell);
  ep = await RxEndpoint.open({ host: '127.0.0.1' });
});

after(async () => {
  await ep?.close();
});

test('the token is a 2b token: kvno 256, the whole Ticket DER, an 8-byte key, the user identity', () => {
  assert.equal(token.kvno, RXKAD_TKT_TYPE_KERBEROS_V5);
  assert.equal(token.ticket[0], 0x61, 'Ticket is [APPLICATION 1]');
  assert.equal(token.sessionKey.length, 8);
  assert.equal(token.identity.name, env('AFS_TEST_PRINCIPAL').split('@')[0]);
  assert.equal(token.identity.cell, '');
  assert.ok(token.end > Date.now() / 1000 + 3600);
});

for (const level of [0, 1, 2] as const) {
  test(`the vlserver accepts the Kerberos token at rxkad level ${level}`, async () => {
    await probe(new RxkadClientClass(token, level));
  });
}

test('a corrupted ticket is RXKADBADTICKET from the server', async () => {
  const bad = Buffer.from(token.ticket);
  bad[bad.length - 30] = (bad[bad.length - 30] as number) ^ 0x55;
  await assert.rejects(
    probe(new RxkadClientClass({ ...token, ticket: bad }, 2)),
    (e: unknown) => e instanceof AfsError && e.afsCode === RXKADBADTICKET,
  );
});

test('a session key that is not the derived one is RXKADSEALEDINCON', async () => {
  const wrongKey = Buffer.from(token.sessionKey);
  wrongKey[0] = (wrongKey[0] as number) ^ 0x02; // keep odd parity
  await assert.rejects(probe(new RxkadClientClass({ ...token, sessionKey: wrongKey }, 2)), (e: unknown) => {
    // The server cannot decrypt our RESPONSE with the key it found in the ticket.
    return e instanceof AfsError && e.afsCode === RXKADSEALEDINCON;
  });
});

test('an unknown key version (kvno 7 instead of 256) is RXKADUNKNOWNKEY', async () => {
  await assert.rejects(probe(new RxkadClientClass({ ...token, kvno: 7 }, 2)), (e: unknown) => {
    return e instanceof AfsError && e.afsCode === RXKADUNKNOWNKEY;
  });
});

test('an aes128 session key (16 bytes through the KDF) is accepted at crypt level too', async () => {
  const cell = env('AFS_CELL');
  const config = await loadKrb5Config(env('KRB5_CONFIG'));
  const tgt = await asExchange({
    config,
    client: parsePrincipal(env('AFS_TEST_PRINCIPAL')),
    secret: { keytab: await readKeytab(env('AFS_TEST_KEYTAB')) },
  });
  const afs = await getAfsServiceTicket({ config, tgt, cell, enctypes: [17] });
  assert.equal(afs.key.enctype, 17);
  const t128 = rxkadTokenFromCredentials(afs, cell);
  assert.ok(!t128.sessionKey.equals(token.sessionKey));
  await probe(new RxkadClientClass(t128, 2));
});
