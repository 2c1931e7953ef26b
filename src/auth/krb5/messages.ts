// RFC 4120 messages the client sends and receives: AS-REQ/AS-REP, TGS-REQ/TGS-REP, the AP-REQ
// that carries the TGT to the TGS, and KRB-ERROR (turned into a typed KdcError).

import {
  DerFields,
  DerReader,
  decodeFlags32,
  decodeGeneralizedTime,
  decodeGeneralString,
  decodeInteger,
  decodeOctetString,
  decodeSequenceOf,
  derApplication,
  derFields,
  derFlags32,
  derGeneralizedTime,
  derGeneralString,
  derInteger,
  derOctetString,
  derSequence,
  unwrapApplication,
} from './asn1.js';
import type { EncryptionKey } from './enctypes.js';
import { Asn1Error, KdcError, Krb5Error } from './errors.js';

export const KRB5_PVNO = 5;
export const MSG_AS_REQ = 10;
export const MSG_AS_REP = 11;
export const MSG_TGS_REQ = 12;
export const MSG_TGS_REP = 13;
export const MSG_AP_REQ = 14;
export const MSG_KRB_ERROR = 30;

export const NT_PRINCIPAL = 1;
export const NT_SRV_INST = 2;

export const PA_TGS_REQ = 1;
export const PA_ENC_TIMESTAMP = 2;
export const PA_PW_SALT = 3;
export const PA_ETYPE_INFO2 = 19;

/** KDCOptions bits (bit 0 = MSB). */
export const KdcOptions = {
  FORWARDABLE: 1 << (31 - 1),
  RENEWABLE: 1 << (31 - 8),
  CANONICALIZE: 1 << (31 - 15),
  RENEWABLE_OK: 1 << (31 - 27),
} as const;

export interface PrincipalName {
  nameType: number;
  components: string[];
}

export interface Principal extends PrincipalName {
  realm: string;
}

export interface EncryptedData {
  etype: number;
  kvno?: number | undefined;
  cipher: Buffer;
}

export interface Ticket {
  realm: string;
  sname: PrincipalName;
  encPart: EncryptedData;
  /** The whole Ticket DER ([APPLICATION 1]) as received: forwarded verbatim, never re-encoded. */
  der: Buffer;
}

export interface PaData {
  type: number;
  value: Buffer;
}

export function principalToString(p: Principal): string {
  return `${p.components.join('/')}@${p.realm}`;
}

/** Parses "a/b@REALM"; a missing realm takes `defaultRealm`. */
export function parsePrincipal(s: string, defaultRealm?: string): Principal {
  const at = s.lastIndexOf('@');
  const name = at >= 0 ? s.slice(0, at) : s;
  const realm = at >= 0 ? s.slice(at + 1) : defaultRealm;
  if (!name || !realm) throw new Krb5Error('KRB5_PARSE_NAME', `cannot parse principal name "${s}"`);
  const components = name.split('/');
  if (components.some((c) => c === '')) throw new Krb5Error('KRB5_PARSE_NAME', `empty component in "${s}"`);
  return { realm, nameType: components.length > 1 ? NT_SRV_INST : NT_PRINCIPAL, components };
}

export function samePrincipal(a: Principal, b: Principal): boolean {
  return (
    a.realm === b.realm &&
    a.components.length === b.components.length &&
    a.components.every((c, i) => c === b.components[i])
  );
}

// ---------------------------------------------------------------------------------------------
// Shared structures

export function encodePrincipalName(p: PrincipalName): Buffer {
  return derFields([
    [0, derInteger(p.nameType)],
    [1, derSequence(p.components.map(derGeneralString))],
  ]);
}

export function decodePrincipalName(buf: Buffer): PrincipalName {
  const f = new DerFields(buf, 'PrincipalName');
  return {
    nameType: decodeInteger(f.req(0)),
    components: decodeSequenceOf(f.req(1)).map(decodeGeneralString),
  };
}

export function encodeEncryptedData(e: EncryptedData): Buffer {
  return derFields([
    [0, derInteger(e.etype)],
    [1, e.kvno === undefined ? undefined : derInteger(e.kvno)],
    [2, derOctetString(e.cipher)],
  ]);
}

export function decodeEncryptedData(buf: Buffer): EncryptedData {
  const f = new DerFields(buf, 'EncryptedData');
  const kvno = f.opt(1);
  return {
    etype: decodeInteger(f.req(0)),
    kvno: kvno === undefined ? undefined : decodeInteger(kvno) >>> 0,
    cipher: decodeOctetString(f.req(2)),
  };
}

function encodeEncryptionKey(k: EncryptionKey): Buffer {
  return derFields([
    [0, derInteger(k.enctype)],
    [1, derOctetString(k.key)],
  ]);
}

function decodeEncryptionKey(buf: Buffer): EncryptionKey {
  const f = new DerFields(buf, 'EncryptionKey');
  return { enctype: decodeInteger(f.req(0)), key: decodeOctetString(f.req(1)) };
}

export function decodeTicket(der: Buffer): Ticket {
  const f = new DerFields(unwrapApplication(der, 1), 'Ticket');
  if (decodeInteger(f.req(0)) !== KRB5_PVNO)
    throw new Asn1Error('ASN1_BAD_VALUE', 'Ticket: tkt-vno is not 5');
  return {
    realm: decodeGeneralString(f.req(1)),
    sname: decodePrincipalName(f.req(2)),
    encPart: decodeEncryptedData(f.req(3)),
    der,
  };
}

export function encodeTicket(t: Omit<Ticket, 'der'>): Buffer {
  return derApplication(
    1,
    derFields([
      [0, derInteger(KRB5_PVNO)],
      [1, derGeneralString(t.realm)],
      [2, encodePrincipalName(t.sname)],
      [3, encodeEncryptedData(t.encPart)],
    ]),
  );
}

function encodePaData(p: PaData): Buffer {
  return derFields([
    [1, derInteger(p.type)],
    [2, derOctetString(p.value)],
  ]);
}

function decodePaData(buf: Buffer): PaData {
  const f = new DerFields(buf, 'PA-DATA');
  return { type: decodeInteger(f.req(1)), value: decodeOctetString(f.req(2)) };
}

/** METHOD-DATA (e-data of KDC_ERR_PREAUTH_REQUIRED) and KDC-REP padata: SEQUENCE OF PA-DATA. */
export function decodeMethodData(buf: Buffer): PaData[] {
  return decodeSequenceOf(buf).map(decodePaData);
}

/** The [APPLICATION n] number of a top-level message, or undefined if it is not one. */
export function messageType(buf: Buffer): number | undefined {
  const tag = buf[0];
  if (tag === undefined || (tag & 0xe0) !== 0x60) return undefined;
  return tag & 0x1f;
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface KdcReqBody {
  options: number;
  cname?: PrincipalName | undefined;
  realm: string;
  sname: PrincipalName;
  till: Date;
  rtime?: Date | undefined;
  nonce: number;
  etypes: readonly number[];
}

export function encodeKdcReqBody(b: KdcReqBody): Buffer {
  return derFields([
    [0, derFlags32(b.options)],
    [1, b.cname ? encodePrincipalName(b.cname) : undefined],
    [2, derGeneralString(b.realm)],
    [3, encodePrincipalName(b.sname)],
    [5, derGeneralizedTime(b.till)],
    [6, b.rtime ? derGeneralizedTime(b.rtime) : undefined],
    [7, derInteger(b.nonce >>> 0)],
    [8, derSequence(b.etypes.map((e) => derInteger(e)))],
  ]);
}

/** AS-REQ or TGS-REQ. `bodyDer` is passed in so the TGS checksum covers the exact bytes sent. */
export function encodeKdcReq(
  msgType: typeof MSG_AS_REQ | typeof MSG_TGS_REQ,
  padata: PaData[],
  bodyDer: Buffer,
): Buffer {
  return derApplication(
    msgType,
    derFields([
      [1, derInteger(KRB5_PVNO)],
      [2, derInteger(msgType)],
      [3, padata.length > 0 ? derSequence(padata.map(encodePaData)) : undefined],
      [4, bodyDer],
    ]),
  );
}

/** PA-ENC-TS-ENC: the plaintext of PA-ENC-TIMESTAMP. */
export function encodePaEncTsEnc(now: Date): Buffer {
  return derFields([
    [0, derGeneralizedTime(now)],
    [1, derInteger((now.getTime() % 1000) * 1000)],
  ]);
}

export interface Authenticator {
  crealm: string;
  cname: PrincipalName;
  cksum?: { type: number; value: Buffer } | undefined;
  ctime: Date;
  cusec: number;
}

export function encodeAuthenticator(a: Authenticator): Buffer {
  return derApplication(
    2,
    derFields([
      [0, derInteger(KRB5_PVNO)],
      [1, derGeneralString(a.crealm)],
      [2, encodePrincipalName(a.cname)],
      [
        3,
        a.cksum
          ? derFields([
              [0, derInteger(a.cksum.type)],
              [1, derOctetString(a.cksum.value)],
            ])
          : undefined,
      ],
      [4, derInteger(a.cusec)],
      [5, derGeneralizedTime(a.ctime)],
    ]),
  );
}

export function encodeApReq(ticketDer: Buffer, authenticator: EncryptedData): Buffer {
  return derApplication(
    MSG_AP_REQ,
    derFields([
      [0, derInteger(KRB5_PVNO)],
      [1, derInteger(MSG_AP_REQ)],
      [2, derFlags32(0)],
      [3, ticketDer],
      [4, encodeEncryptedData(authenticator)],
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Replies

export interface KdcRep {
  msgType: number;
  padata: PaData[];
  crealm: string;
  cname: PrincipalName;
  ticket: Ticket;
  encPart: EncryptedData;
}

export function decodeKdcRep(buf: Buffer, expect: typeof MSG_AS_REP | typeof MSG_TGS_REP): KdcRep {
  const f = new DerFields(unwrapApplication(buf, expect), expect === MSG_AS_REP ? 'AS-REP' : 'TGS-REP');
  if (decodeInteger(f.req(0)) !== KRB5_PVNO) throw new Asn1Error('ASN1_BAD_VALUE', 'KDC-REP: pvno is not 5');
  const msgType = decodeInteger(f.req(1));
  if (msgType !== expect)
    throw new Asn1Error('ASN1_BAD_VALUE', `KDC-REP: msg-type ${msgType}, expected ${expect}`);
  const pa = f.opt(2);
  return {
    msgType,
    padata: pa ? decodeMethodData(pa) : [],
    crealm: decodeGeneralString(f.req(3)),
    cname: decodePrincipalName(f.req(4)),
    ticket: decodeTicket(f.req(5)),
    encPart: decodeEncryptedData(f.req(6)),
  };
}

/** Builds an AS-REP or TGS-REP (used by tests standing in for a KDC). */
export function encodeKdcRep(
  msgType: typeof MSG_AS_REP | typeof MSG_TGS_REP,
  rep: Omit<KdcRep, 'msgType'>,
): Buffer {
  return derApplication(
    msgType,
    derFields([
      [0, derInteger(KRB5_PVNO)],
      [1, derInteger(msgType)],
      [2, rep.padata.length > 0 ? derSequence(rep.padata.map(encodePaData)) : undefined],
      [3, derGeneralString(rep.crealm)],
      [4, encodePrincipalName(rep.cname)],
      [5, rep.ticket.der],
      [6, encodeEncryptedData(rep.encPart)],
    ]),
  );
}

/** Builds METHOD-DATA, the e-data of KDC_ERR_PREAUTH_REQUIRED (used by tests standing in for a KDC). */
export function encodeMethodData(padata: PaData[]): Buffer {
  return derSequence(padata.map(encodePaData));
}

/** Builds ETYPE-INFO2 (used by tests standing in for a KDC). */
export function encodeEtypeInfo2(entries: EtypeInfo2Entry[]): Buffer {
  return derSequence(
    entries.map((e) =>
      derFields([
        [0, derInteger(e.etype)],
        [1, e.salt === undefined ? undefined : derGeneralString(e.salt)],
        [2, e.s2kparams === undefined ? undefined : derOctetString(e.s2kparams)],
      ]),
    ),
  );
}

export interface EncKdcRepPart {
  key: EncryptionKey;
  nonce: number;
  flags: number;
  authtime: Date;
  starttime?: Date | undefined;
  endtime: Date;
  renewTill?: Date | undefined;
  srealm: string;
  sname: PrincipalName;
}

/** EncASRepPart [APPLICATION 25] or EncTGSRepPart [26]: RFC 4120 says accept either for both. */
export function decodeEncKdcRepPart(buf: Buffer): EncKdcRepPart {
  const app = messageType(buf);
  if (app !== 25 && app !== 26) throw new Asn1Error('ASN1_BAD_TAG', 'EncKDCRepPart: not [APPLICATION 25/26]');
  const f = new DerFields(unwrapApplication(buf, app), 'EncKDCRepPart');
  const opt = (n: number) => {
    const v = f.opt(n);
    return v === undefined ? undefined : decodeGeneralizedTime(v);
  };
  return {
    key: decodeEncryptionKey(f.req(0)),
    nonce: decodeInteger(f.req(2)) >>> 0,
    flags: decodeFlags32(f.req(4)),
    authtime: decodeGeneralizedTime(f.req(5)),
    starttime: opt(6),
    endtime: decodeGeneralizedTime(f.req(7)),
    renewTill: opt(8),
    srealm: decodeGeneralString(f.req(9)),
    sname: decodePrincipalName(f.req(10)),
  };
}

/** Builds an EncKDCRepPart (used by tests standing in for a KDC). */
export function encodeEncKdcRepPart(app: 25 | 26, p: EncKdcRepPart): Buffer {
  return derApplication(
    app,
    derFields([
      [0, encodeEncryptionKey(p.key)],
      [1, derSequence([])],
      [2, derInteger(p.nonce >>> 0)],
      [4, derFlags32(p.flags)],
      [5, derGeneralizedTime(p.authtime)],
      [6, p.starttime ? derGeneralizedTime(p.starttime) : undefined],
      [7, derGeneralizedTime(p.endtime)],
      [8, p.renewTill ? derGeneralizedTime(p.renewTill) : undefined],
      [9, derGeneralString(p.srealm)],
      [10, encodePrincipalName(p.sname)],
    ]),
  );
}

export interface EtypeInfo2Entry {
  etype: number;
  salt?: string | undefined;
  s2kparams?: Buffer | undefined;
}

export function decodeEtypeInfo2(buf: Buffer): EtypeInfo2Entry[] {
  return decodeSequenceOf(buf).map((e) => {
    const f = new DerFields(e, 'ETYPE-INFO2-ENTRY');
    const salt = f.opt(1);
    const params = f.opt(2);
    return {
      etype: decodeInteger(f.req(0)),
      salt: salt === undefined ? undefined : decodeGeneralString(salt),
      s2kparams: params === undefined ? undefined : decodeOctetString(params),
    };
  });
}

/** Decodes a KRB-ERROR into the typed error it stands for. */
export function decodeKrbError(buf: Buffer): KdcError {
  const f = new DerFields(unwrapApplication(buf, MSG_KRB_ERROR), 'KRB-ERROR');
  if (decodeInteger(f.req(1)) !== MSG_KRB_ERROR)
    throw new Asn1Error('ASN1_BAD_VALUE', 'KRB-ERROR: wrong msg-type');
  const eText = f.opt(11);
  const eData = f.opt(12);
  return new KdcError(
    decodeInteger(f.req(6)),
    eText === undefined ? undefined : decodeGeneralString(eText),
    eData === undefined ? undefined : decodeOctetString(eData),
    decodeGeneralizedTime(f.req(4)),
  );
}

/** Builds a KRB-ERROR (used by tests standing in for a KDC). */
export function encodeKrbError(e: {
  errorCode: number;
  stime: Date;
  realm: string;
  sname: PrincipalName;
  eText?: string;
  eData?: Buffer;
}): Buffer {
  return derApplication(
    MSG_KRB_ERROR,
    derFields([
      [0, derInteger(KRB5_PVNO)],
      [1, derInteger(MSG_KRB_ERROR)],
      [4, derGeneralizedTime(e.stime)],
      [5, derInteger(0)],
      [6, derInteger(e.errorCode)],
      [9, derGeneralString(e.realm)],
      [10, encodePrincipalName(e.sname)],
      [11, e.eText === undefined ? undefined : derGeneralString(e.eText)],
      [12, e.eData === undefined ? undefined : derOctetString(e.eData)],
    ]),
  );
}

/** Reads the fields of a KDC-REQ (tests and diagnostics). */
export function decodeKdcReq(buf: Buffer): { msgType: number; padata: PaData[]; body: Buffer } {
  const app = messageType(buf);
  if (app !== MSG_AS_REQ && app !== MSG_TGS_REQ) throw new Asn1Error('ASN1_BAD_TAG', 'not a KDC-REQ');
  const f = new DerFields(unwrapApplication(buf, app), 'KDC-REQ');
  const pa = f.opt(3);
  return { msgType: decodeInteger(f.req(2)), padata: pa ? decodeMethodData(pa) : [], body: f.req(4) };
}

/** Sanity check that a buffer is exactly one TLV (used before trusting a length-prefixed reply). */
export function isSingleTlv(buf: Buffer): boolean {
  try {
    const r = new DerReader(buf);
    r.read();
    return r.done;
  } catch {
    return false;
  }
}
