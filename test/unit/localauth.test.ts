import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  formatKeyFile,
  formatKeyFileExt,
  KEYTYPE_RXKAD,
  KEYTYPE_RXKAD_KRB5,
  KeyFileError,
  loadServerKeys,
  parseKeyFile,
  parseKeyFileExt,
} from '../../src/auth/keyfile.js';
import {
  LocalAuthError,
  localAuthToken,
  mintLocalAuthToken,
  splitPrincipal,
} from '../../src/auth/localauth.js';
import { decodeTicket } from '../../src/auth/ticket.js';
import { hasOddParity, isWeakDesKey } from '../../src/rx/crypto/des.js';
import { RxkadClientClass } from '../../src/rx/security/rxkad.js';
import { RxkadServerConn } from '../../src/rx/security/rxkad-server.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const K3 = hex('4c2c1a5b7f3e0b9d');
const K7 = hex('9dc1ec61e3f8734a');

test('KeyFile: count then {kvno, 8 bytes}, big-endian', () => {
  const raw = Buffer.concat([hex('00000002'), hex('00000003'), K3, hex('00000007'), K7]);
  const keys = parseKeyFile(raw);
  assert.deepEqual(
    keys.map((k) => [k.type, k.kvno, k.key.toString('hex')]),
    [
      [KEYTYPE_RXKAD, 3, K3.toString('hex')],
      [KEYTYPE_RXKAD, 7, K7.toString('hex')],
    ],
  );
  assert.deepEqual(formatKeyFile(keys), raw);
  assert.throws(() => parseKeyFile(raw.subarray(0, 20)), KeyFileError);
  assert.throws(() => parseKeyFile(Buffer.alloc(2)), KeyFileError);
  assert.deepEqual(parseKeyFile(hex('00000000')), []);
});

test('KeyFileExt: packed typed records, longer metadata skipped', () => {
  const aes = Buffer.alloc(32, 0xab);
  const raw = Buffer.concat([
    hex('00000002'),
    // meta 16: type 2 (rxkad_krb5), kvno 4, enctype 18, 32 key bytes
    hex('00000010 00000002 00000004 00000012 00000020'.replace(/ /g, '')),
    aes,
    // meta 20 (a future extra field), type 2, kvno 4, enctype 17, 16 key bytes — not word-aligned after
    hex('00000014 00000002 00000004 00000011 deadbeef 00000010'.replace(/ /g, '')),
    Buffer.alloc(16, 0xcd),
  ]);
  const keys = parseKeyFileExt(raw);
  assert.deepEqual(
    keys.map((k) => [k.type, k.kvno, k.subType, k.key.length]),
    [
      [KEYTYPE_RXKAD_KRB5, 4, 18, 32],
      [KEYTYPE_RXKAD_KRB5, 4, 17, 16],
    ],
  );
  assert.deepEqual(keys[0].key, aes);
  assert.deepEqual(parseKeyFileExt(formatKeyFileExt(keys)), keys);
  assert.throws(() => parseKeyFileExt(raw.subarray(0, raw.length - 1)), KeyFileError);
  assert.throws(
    () => parseKeyFileExt(hex('00000001 0000000c 00000002 00000004'.replace(/ /g, ''))),
    KeyFileError,
  );
});

test('minted localauth token: named user, highest kvno, decodable ticket, random session key', () => {
  const keys = parseKeyFile(
    formatKeyFile([
      { kvno: 3, key: K3 },
      { kvno: 7, key: K7 },
    ]),
  );
  const t = mintLocalAuthToken(keys, { cell: 'tsafs.test' });
  assert.equal(t.kvno, 7);
  assert.deepEqual(t.identity, { name: 'admin', instance: '', cell: 'tsafs.test' });
  assert.equal(t.source, 'localauth');
  assert.ok(hasOddParity(t.sessionKey) && !isWeakDesKey(t.sessionKey));
  const d = decodeTicket(t.ticket, K7);
  assert.equal(d.name, 'admin');
  assert.equal(d.instance, '');
  assert.equal(d.cell, '');
  assert.equal(d.serviceName, 'afs');
  assert.deepEqual(d.sessionKey, t.sessionKey);
  assert.equal(d.start, 0);
  assert.equal(d.end, 0xffffffff);
  const t2 = mintLocalAuthToken(keys, { cell: 'tsafs.test', user: 'alice.admin', kvno: 3 });
  assert.notDeepEqual(t2.sessionKey, t.sessionKey);
  const d2 = decodeTicket(t2.ticket, K3);
  assert.equal(d2.name, 'alice');
  assert.equal(d2.instance, 'admin');
});

test('the minted token authenticates an rxkad connection against a server holding the KeyFile', () => {
  const keys = parseKeyFile(formatKeyFile([{ kvno: 7, key: K7 }]));
  const tok = mintLocalAuthToken(keys, { cell: 'tsafs.test', user: 'bob' });
  const cls = new RxkadClientClass(tok, 2);
  const id = { epoch: 1, cid: 8, securityIndex: 2, callNumbers: () => [1, 0, 0, 0] as const };
  const srv = new RxkadServerConn({
    minLevel: 1,
    epoch: 1,
    cid: 8,
    decodeTicket: (kvno, t) => decodeTicket(t, keys.find((k) => k.kvno === kvno)?.key ?? Buffer.alloc(8)),
  });
  const auth = srv.checkResponse(cls.newConnection(id).respond(srv.challenge()));
  assert.equal(auth.client.name, 'bob');
  assert.equal(auth.level, 2);
});

test('typed errors: no DES key, bad user names, bad parity', () => {
  const onlyK5 = parseKeyFileExt(
    formatKeyFileExt([{ type: 2, kvno: 4, subType: 18, key: Buffer.alloc(32) }]),
  );
  assert.throws(
    () => mintLocalAuthToken(onlyK5, { cell: 'c' }),
    (e: unknown) =>
      e instanceof LocalAuthError && e.code === 'LOCALAUTH_NO_DES_KEY' && /rxkad_krb5\/18/.test(e.message),
  );
  const keys = parseKeyFile(formatKeyFile([{ kvno: 3, key: K3 }]));
  assert.throws(() => mintLocalAuthToken(keys, { cell: 'c', kvno: 9 }), LocalAuthError);
  assert.throws(() => splitPrincipal('.x'), LocalAuthError);
  assert.throws(() => splitPrincipal('a@B'), LocalAuthError);
  const even = parseKeyFile(formatKeyFile([{ kvno: 3, key: hex('0000000000000000') }]));
  assert.throws(
    () => mintLocalAuthToken(even, { cell: 'c' }),
    (e: unknown) => e instanceof LocalAuthError && e.code === 'LOCALAUTH_BAD_KEY',
  );
});

test('loadServerKeys reads both files from a config directory; missing files mean no keys', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsafs-keys-'));
  try {
    assert.deepEqual(await loadServerKeys(dir), []);
    await writeFile(join(dir, 'KeyFile'), formatKeyFile([{ kvno: 5, key: K3 }]));
    await writeFile(join(dir, 'KeyFileExt'), hex('00000000'));
    const t = await localAuthToken({ confDir: dir, cell: 'x.test', user: 'carol' });
    assert.equal(t.kvno, 5);
    assert.equal(decodeTicket(t.ticket, K3).name, 'carol');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
