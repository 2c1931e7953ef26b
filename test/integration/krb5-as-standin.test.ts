// The AS exchange against a stand-in KDC on 127.0.0.1 that does what the MIT KDC here does not:
// a salt that is not the default, a non-default iteration count, no pre-authentication at all,
// and a reply with the wrong nonce.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, test } from 'node:test';
import { asExchange, tgsPrincipal } from '../../src/auth/krb5/as.js';
import { DerFields, decodeInteger } from '../../src/auth/krb5/asn1.js';
import { parseKrb5Conf } from '../../src/auth/krb5/config.js';
import { decrypt, type EncryptionKey, encrypt, KeyUsage, stringToKey } from '../../src/auth/krb5/enctypes.js';
import { KdcError, Krb5Error } from '../../src/auth/krb5/errors.js';
import {
  decodeEncryptedData,
  decodeKdcReq,
  decodeTicket,
  encodeEncKdcRepPart,
  encodeEtypeInfo2,
  encodeKdcRep,
  encodeKrbError,
  encodeMethodData,
  encodeTicket,
  MSG_AS_REP,
  PA_ENC_TIMESTAMP,
  PA_ETYPE_INFO2,
  parsePrincipal,
} from '../../src/auth/krb5/messages.js';

const REALM = 'STANDIN.TEST';
const client = parsePrincipal(`alice@${REALM}`);
const SALT = 'a-salt-nobody-would-guess';
const ITER = Buffer.from([0, 0, 0x03, 0xe8]); // 1000
const PASSWORD = 'correct horse';

interface Behaviour {
  requirePreauth: boolean;
  badNonce?: boolean;
}

const sockets: Socket[] = [];
after(() => {
  for (const s of sockets) s.close();
});

/** A one-realm KDC: checks PA-ENC-TIMESTAMP with the password key, answers AS-REP or KRB-ERROR. */
async function standInKdc(b: Behaviour): Promise<{ port: number; requests: number[] }> {
  const userKey: EncryptionKey = stringToKey(18, PASSWORD, SALT, ITER);
  const tgsKey: EncryptionKey = { enctype: 18, key: Buffer.alloc(32, 0x42) };
  const info = {
    type: PA_ETYPE_INFO2,
    value: encodeEtypeInfo2([{ etype: 18, salt: SALT, s2kparams: ITER }]),
  };
  const requests: number[] = [];
  const s = createSocket('udp4');
  sockets.push(s);
  s.on('message', (msg, rinfo) => {
    const send = (b: Buffer) => s.send(b, rinfo.port, rinfo.address);
    const req = decodeKdcReq(msg);
    const body = new DerFields(req.body, 'body');
    const nonce = decodeInteger(body.req(7)) >>> 0;
    const pa = req.padata.find((p) => p.type === PA_ENC_TIMESTAMP);
    requests.push(pa ? 1 : 0);
    const error = (code: number, eData?: Buffer) =>
      send(
        encodeKrbError({
          errorCode: code,
          stime: new Date(),
          realm: REALM,
          sname: tgsPrincipal(REALM),
          eData,
        }),
      );
    if (b.requirePreauth && !pa) {
      error(25, encodeMethodData([info]));
      return;
    }
    if (pa) {
      try {
        decrypt(userKey, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, decodeEncryptedData(pa.value).cipher);
      } catch {
        error(24);
        return;
      }
    }
    const now = new Date();
    const session: EncryptionKey = { enctype: 18, key: Buffer.alloc(32, 0x17) };
    const ticket = decodeTicket(
      encodeTicket({
        realm: REALM,
        sname: tgsPrincipal(REALM),
        encPart: { etype: 18, kvno: 1, cipher: encrypt(tgsKey, 2, Buffer.from('opaque')) },
      }),
    );
    const part = encodeEncKdcRepPart(25, {
      key: session,
      nonce: b.badNonce ? nonce ^ 1 : nonce,
      flags: 0,
      authtime: now,
      starttime: undefined,
      endtime: new Date(now.getTime() + 3600_000),
      renewTill: undefined,
      srealm: REALM,
      sname: tgsPrincipal(REALM),
    });
    send(
      encodeKdcRep(MSG_AS_REP, {
        padata: [info],
        crealm: REALM,
        cname: client,
        ticket,
        encPart: { etype: 18, cipher: encrypt(userKey, KeyUsage.AS_REP_ENCPART, part) },
      }),
    );
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: (s.address() as { port: number }).port, requests };
}

const config = (port: number) => parseKrb5Conf([`[realms]\n ${REALM} = {\n  kdc = 127.0.0.1:${port}\n }\n`]);

test('a password key uses the salt and iteration count the KDC names in ETYPE-INFO2', async () => {
  const kdc = await standInKdc({ requirePreauth: true });
  const tgt = await asExchange({ config: config(kdc.port), client, secret: { password: PASSWORD } });
  assert.deepEqual(kdc.requests, [0, 1], 'one bare request, then one with PA-ENC-TIMESTAMP');
  assert.ok(tgt.key.key.equals(Buffer.alloc(32, 0x17)));
  await assert.rejects(
    asExchange({ config: config(kdc.port), client, secret: { password: 'wrong' } }),
    (e: unknown) => e instanceof KdcError && e.code === 'KDC_ERR_PREAUTH_FAILED',
  );
});

test('with no pre-authentication, a wrong password is a local KRB5_PREAUTH_FAILED', async () => {
  const kdc = await standInKdc({ requirePreauth: false });
  const tgt = await asExchange({ config: config(kdc.port), client, secret: { password: PASSWORD } });
  assert.equal(tgt.endtime.getTime() > Date.now(), true);
  await assert.rejects(
    asExchange({ config: config(kdc.port), client, secret: { password: 'wrong' } }),
    (e: unknown) => e instanceof Krb5Error && e.code === 'KRB5_PREAUTH_FAILED',
  );
});

test('an AS-REP whose nonce is not ours is refused', async () => {
  const kdc = await standInKdc({ requirePreauth: false, badNonce: true });
  await assert.rejects(
    asExchange({ config: config(kdc.port), client, secret: { password: PASSWORD } }),
    (e: unknown) => e instanceof Krb5Error && e.code === 'KRB5_KDC_BAD_REPLY',
  );
});
