import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  DerFields,
  DerReader,
  decodeFlags32,
  decodeGeneralizedTime,
  decodeGeneralString,
  decodeInteger,
  decodeOctetString,
  derFields,
  derFlags32,
  derGeneralizedTime,
  derGeneralString,
  derInteger,
  derOctetString,
  derSequence,
  tlv,
} from '../../src/auth/krb5/asn1.js';
import { Asn1Error, KdcError, Krb5Error } from '../../src/auth/krb5/errors.js';
import {
  decodeEncKdcRepPart,
  decodeKdcReq,
  decodeKrbError,
  decodeTicket,
  encodeEncKdcRepPart,
  encodeKdcReq,
  encodeKdcReqBody,
  encodeKrbError,
  encodeTicket,
  MSG_AS_REQ,
  NT_SRV_INST,
  PA_ENC_TIMESTAMP,
  parsePrincipal,
  principalToString,
} from '../../src/auth/krb5/messages.js';

const isAsn1 = (code: string) => (e: unknown) => e instanceof Asn1Error && e.code === code;

test('INTEGER encodes minimally in two’s complement and round-trips the 32-bit range', () => {
  const cases: Array<[number, string]> = [
    [0, '020100'],
    [127, '02017f'],
    [128, '02020080'],
    [256, '02020100'],
    [-1, '0201ff'],
    [-128, '020180'],
    [-129, '0202ff7f'],
    [0x7fffffff, '02047fffffff'],
    [0xffffffff, '020500ffffffff'],
    [-0x80000000, '020480000000'],
  ];
  for (const [n, hex] of cases) {
    assert.equal(derInteger(n).toString('hex'), hex, String(n));
    assert.equal(decodeInteger(derInteger(n)), n);
  }
  fc.assert(
    fc.property(fc.integer({ min: -0x80000000, max: 0xffffffff }), (n) => decodeInteger(derInteger(n)) === n),
  );
  assert.throws(() => decodeInteger(Buffer.from('0206010000000000', 'hex')), isAsn1('ASN1_BAD_VALUE'));
  assert.throws(() => decodeInteger(Buffer.from('0200', 'hex')), isAsn1('ASN1_BAD_VALUE'));
});

test('strings, octets, times and flags round-trip; long-form lengths work', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70000 }), (a) =>
      decodeOctetString(derOctetString(Buffer.from(a))).equals(Buffer.from(a)),
    ),
  );
  const big = derOctetString(Buffer.alloc(300, 7));
  assert.equal(big.subarray(0, 4).toString('hex'), '0482012c');
  assert.equal(decodeGeneralString(derGeneralString('afs/tsafs.test')), 'afs/tsafs.test');
  const t = new Date(Date.UTC(2024, 1, 29, 23, 59, 58));
  assert.equal(derGeneralizedTime(t).subarray(2).toString('ascii'), '20240229235958Z');
  assert.deepEqual(decodeGeneralizedTime(derGeneralizedTime(new Date(t.getTime() + 789))), t);
  assert.equal(decodeFlags32(derFlags32(0x40810010)), 0x40810010);
  assert.throws(() => decodeGeneralizedTime(tlv(0x18, Buffer.from('1970'))), isAsn1('ASN1_BAD_VALUE'));
});

test('the reader refuses truncation, indefinite lengths, trailing bytes and unordered fields', () => {
  assert.throws(() => new DerReader(Buffer.from('0405616263', 'hex')).read(), isAsn1('ASN1_TRUNCATED'));
  assert.throws(() => new DerReader(Buffer.from('04', 'hex')).read(), isAsn1('ASN1_TRUNCATED'));
  assert.throws(() => new DerReader(Buffer.from('3080', 'hex')).read(), isAsn1('ASN1_BAD_LENGTH'));
  assert.throws(() => new DerReader(Buffer.from('0485ffffffffff', 'hex')).read(), isAsn1('ASN1_BAD_LENGTH'));
  assert.throws(() => new DerReader(Buffer.from('04840fffffff00', 'hex')).read(), isAsn1('ASN1_TRUNCATED'));
  assert.throws(() => decodeOctetString(Buffer.from('04016100', 'hex')), isAsn1('ASN1_BAD_LENGTH'));
  assert.throws(
    () => decodeOctetString(Buffer.from('0201 00'.replace(' ', ''), 'hex')),
    isAsn1('ASN1_BAD_TAG'),
  );
  const ok = derFields([
    [0, derInteger(1)],
    [2, derInteger(2)],
  ]);
  const f = new DerFields(ok, 'T');
  assert.equal(decodeInteger(f.req(2)), 2);
  assert.equal(f.opt(1), undefined);
  assert.throws(() => f.req(1), isAsn1('ASN1_BAD_VALUE'));
  const swapped = derSequence([
    derFields([[2, derInteger(2)]]).subarray(2),
    derFields([[0, derInteger(1)]]).subarray(2),
  ]);
  assert.throws(() => new DerFields(swapped, 'T'), isAsn1('ASN1_BAD_TAG'));
});

test('Kerberos messages round-trip: Ticket, KDC-REQ, EncKDCRepPart, KRB-ERROR', () => {
  const sname = { nameType: NT_SRV_INST, components: ['afs', 'tsafs.test'] };
  const tdef = { realm: 'TSAFS.TEST', sname, encPart: { etype: 18, kvno: 3, cipher: Buffer.alloc(100, 9) } };
  const t = decodeTicket(encodeTicket(tdef));
  assert.deepEqual({ realm: t.realm, sname: t.sname, encPart: t.encPart }, tdef);

  const body = encodeKdcReqBody({
    options: 0x00000010,
    cname: { nameType: 1, components: ['tsafsuser'] },
    realm: 'TSAFS.TEST',
    sname: { nameType: NT_SRV_INST, components: ['krbtgt', 'TSAFS.TEST'] },
    till: new Date(0),
    nonce: 0x7fff1234,
    etypes: [18, 17],
  });
  const req = decodeKdcReq(
    encodeKdcReq(MSG_AS_REQ, [{ type: PA_ENC_TIMESTAMP, value: Buffer.from('x') }], body),
  );
  assert.equal(req.msgType, MSG_AS_REQ);
  assert.deepEqual(req.padata, [{ type: PA_ENC_TIMESTAMP, value: Buffer.from('x') }]);
  assert.deepEqual(req.body, body);
  const bf = new DerFields(body, 'body');
  assert.equal(decodeInteger(bf.req(7)), 0x7fff1234);
  assert.equal(decodeGeneralString(bf.req(2)), 'TSAFS.TEST');

  const part = {
    key: { enctype: 18, key: Buffer.alloc(32, 1) },
    nonce: 0xfffffffe,
    flags: 0x40e10000,
    authtime: new Date(Date.UTC(2024, 0, 1)),
    starttime: undefined,
    endtime: new Date(Date.UTC(2024, 0, 2)),
    renewTill: new Date(Date.UTC(2024, 0, 8)),
    srealm: 'TSAFS.TEST',
    sname,
  };
  for (const app of [25, 26] as const)
    assert.deepEqual(decodeEncKdcRepPart(encodeEncKdcRepPart(app, part)), part);

  const stime = new Date(Date.UTC(2024, 5, 1, 12));
  const err = decodeKrbError(
    encodeKrbError({ errorCode: 37, stime, realm: 'TSAFS.TEST', sname, eText: 'Clock skew too great' }),
  );
  assert.ok(err instanceof KdcError);
  assert.equal(err.code, 'KRB_AP_ERR_SKEW');
  assert.equal(err.errorCode, 37);
  assert.equal(err.eText, 'Clock skew too great');
  assert.deepEqual(err.serverTime, stime);
});

test('truncated or corrupted messages fail only with typed errors', () => {
  const msg = encodeKrbError({
    errorCode: 25,
    stime: new Date(0),
    realm: 'R',
    sname: { nameType: 2, components: ['krbtgt', 'R'] },
    eData: Buffer.alloc(40, 3),
  });
  fc.assert(
    fc.property(
      fc.nat(msg.length - 1),
      fc.nat(msg.length - 1),
      fc.integer({ min: 1, max: 255 }),
      (cut, pos, x) => {
        const bad = Buffer.from(msg.subarray(0, cut + 1));
        if (pos < bad.length) bad[pos] = (bad[pos] as number) ^ x;
        try {
          decodeKrbError(bad);
        } catch (e) {
          return e instanceof Krb5Error;
        }
        return true;
      },
    ),
  );
});

test('principal names parse and print', () => {
  const p = parsePrincipal('afs/tsafs.test@TSAFS.TEST');
  assert.deepEqual(p, { realm: 'TSAFS.TEST', nameType: NT_SRV_INST, components: ['afs', 'tsafs.test'] });
  assert.equal(principalToString(parsePrincipal('tsafsuser', 'TSAFS.TEST')), 'tsafsuser@TSAFS.TEST');
  assert.throws(
    () => parsePrincipal('nobody'),
    (e: unknown) => e instanceof Krb5Error && e.code === 'KRB5_PARSE_NAME',
  );
  assert.throws(
    () => parsePrincipal('a//b@R'),
    (e: unknown) => e instanceof Krb5Error && e.code === 'KRB5_PARSE_NAME',
  );
});
