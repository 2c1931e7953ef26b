import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Credentials } from '../../src/auth/krb5/credentials.js';
import { Krb5Error } from '../../src/auth/krb5/errors.js';
import { decodeTicket, encodeTicket } from '../../src/auth/krb5/messages.js';
import { RXKAD_TKT_TYPE_KERBEROS_V5, rxkadTokenFromCredentials } from '../../src/auth/krb5/rxkad-token.js';

function creds(enctype: number, key: Buffer, cipherLen: number, realm = 'TSAFS.TEST'): Credentials {
  const ticket = decodeTicket(
    encodeTicket({
      realm: 'TSAFS.TEST',
      sname: { nameType: 2, components: ['afs', 'tsafs.test'] },
      encPart: { etype: 18, kvno: 1, cipher: Buffer.alloc(cipherLen, 0xab) },
    }),
  );
  return {
    client: { realm, nameType: 1, components: ['alice', 'admin'] },
    server: { realm: 'TSAFS.TEST', nameType: 2, components: ['afs', 'tsafs.test'] },
    key: { enctype, key },
    authtime: new Date(1_700_000_000_000),
    starttime: new Date(1_700_000_000_000),
    endtime: new Date(1_700_036_000_000),
    flags: 0,
    ticket,
  };
}

test('an AES service ticket becomes a kvno-256 token carrying the whole Ticket DER', () => {
  const c = creds(18, Buffer.alloc(32, 7), 200);
  const t = rxkadTokenFromCredentials(c, 'TSAFS.test');
  assert.equal(t.kvno, RXKAD_TKT_TYPE_KERBEROS_V5);
  assert.deepEqual(t.ticket, c.ticket.der);
  assert.equal(t.sessionKey.length, 8);
  assert.notDeepEqual(t.sessionKey, c.key.key.subarray(0, 8), 'the key is derived, not truncated');
  assert.deepEqual(t.identity, { name: 'alice', instance: 'admin', cell: '' });
  assert.equal(t.cell, 'tsafs.test');
  assert.equal(t.start, 1_700_000_000);
  assert.equal(t.end, 1_700_036_000);
  assert.equal(t.source, 'krb5');
  // Different session keys give different rxkad keys.
  assert.notDeepEqual(
    rxkadTokenFromCredentials(creds(18, Buffer.alloc(32, 8), 200), 'tsafs.test').sessionKey,
    t.sessionKey,
  );
});

test('a DES session key passes through; a foreign realm is named in the identity', () => {
  const des = Buffer.from('0123456789abcdef', 'hex');
  const t = rxkadTokenFromCredentials(creds(3, des, 100, 'OTHER.ORG'), 'tsafs.test');
  assert.deepEqual(t.sessionKey, des);
  assert.equal(t.identity.cell, 'other.org');
});

test('a ticket larger than rxkad allows is a typed error', () => {
  assert.throws(
    () => rxkadTokenFromCredentials(creds(18, Buffer.alloc(32), 12_100), 'tsafs.test'),
    (e: unknown) => e instanceof Krb5Error && e.code === 'KRB5_TICKET_TOO_BIG',
  );
});
