// The AS exchange (RFC 4120 §3.1): a TGT for a user from a keytab or a password, with
// PA-ENC-TIMESTAMP pre-authentication. The salt and iteration count for a password come from the
// KDC's PA-ETYPE-INFO2 (in KDC_ERR_PREAUTH_REQUIRED or in the AS-REP).

import { randomInt } from 'node:crypto';
import type { Krb5Config } from './config.js';
import { type Credentials, credentialsFromReply } from './credentials.js';
import {
  decrypt,
  defaultSalt,
  type EncryptionKey,
  encrypt,
  isSupportedEnctype,
  KeyUsage,
  SUPPORTED_ENCTYPES,
  stringToKey,
} from './enctypes.js';
import { KDC_ERR_PREAUTH_REQUIRED, KdcError, Krb5CryptoError, Krb5Error } from './errors.js';
import { type KdcExchangeOptions, sendToKdc } from './kdc-client.js';
import { type KeytabEntry, keytabEntriesFor } from './keytab.js';
import {
  decodeEncKdcRepPart,
  decodeEtypeInfo2,
  decodeKdcRep,
  decodeKrbError,
  decodeMethodData,
  type EtypeInfo2Entry,
  encodeEncryptedData,
  encodeKdcReq,
  encodeKdcReqBody,
  encodePaEncTsEnc,
  KdcOptions,
  MSG_AS_REP,
  MSG_AS_REQ,
  MSG_KRB_ERROR,
  messageType,
  NT_SRV_INST,
  PA_ENC_TIMESTAMP,
  PA_ETYPE_INFO2,
  PA_PW_SALT,
  type PaData,
  type Principal,
  principalToString,
  samePrincipal,
} from './messages.js';

export type ClientSecret = { keytab: KeytabEntry[] } | { password: string };

export interface AsExchangeOptions {
  config: Krb5Config;
  client: Principal;
  secret: ClientSecret;
  /** Default krbtgt/REALM@REALM. */
  service?: Principal;
  /** Requested lifetime in seconds (the KDC may shorten it). Default 10 hours. */
  lifetimeSec?: number;
  kdc?: KdcExchangeOptions;
  now?: () => Date;
}

export function tgsPrincipal(realm: string): Principal {
  return { realm, nameType: NT_SRV_INST, components: ['krbtgt', realm] };
}

/** Chooses the client key for an etype: keytab lookup, or string-to-key with the KDC's salt. */
function clientKey(opts: AsExchangeOptions, etype: number, info: EtypeInfo2Entry | undefined): EncryptionKey {
  if ('keytab' in opts.secret) {
    const e = keytabEntriesFor(opts.secret.keytab, opts.client).find((k) => k.key.enctype === etype);
    if (!e)
      throw new Krb5Error(
        'KRB5_KT_NOKEY',
        `keytab has no ${etype} key for ${principalToString(opts.client)}`,
      );
    return e.key;
  }
  const salt = info?.salt ?? defaultSalt(opts.client.realm, opts.client.components);
  return stringToKey(etype, opts.secret.password, salt, info?.s2kparams);
}

function etypeInfoFrom(padata: PaData[]): EtypeInfo2Entry[] {
  const out: EtypeInfo2Entry[] = [];
  for (const p of padata) {
    if (p.type === PA_ETYPE_INFO2) out.push(...decodeEtypeInfo2(p.value));
  }
  const pwSalt = padata.find((p) => p.type === PA_PW_SALT);
  if (out.length === 0 && pwSalt) {
    // Old KDCs: a bare salt that applies to every etype.
    for (const etype of SUPPORTED_ENCTYPES) out.push({ etype, salt: pwSalt.value.toString('utf8') });
  }
  return out;
}

export async function asExchange(opts: AsExchangeOptions): Promise<Credentials> {
  const now = opts.now ?? (() => new Date());
  const realm = opts.client.realm;
  const service = opts.service ?? tgsPrincipal(realm);
  let etypes: number[];
  let preauthKey: EncryptionKey | undefined;
  if ('keytab' in opts.secret) {
    const mine = keytabEntriesFor(opts.secret.keytab, opts.client).filter((e) =>
      isSupportedEnctype(e.key.enctype),
    );
    if (mine.length === 0) {
      throw new Krb5Error('KRB5_KT_NOKEY', `keytab has no AES key for ${principalToString(opts.client)}`);
    }
    const best = mine.filter((e) => e.kvno === mine[0]?.kvno);
    etypes = SUPPORTED_ENCTYPES.filter((t) => best.some((e) => e.key.enctype === t));
    // With a keytab the key is known up front: pre-authenticate in the first request.
    preauthKey = best.find((e) => e.key.enctype === etypes[0])?.key;
  } else {
    etypes = [...SUPPORTED_ENCTYPES];
  }
  let info: EtypeInfo2Entry[] = [];

  for (let round = 0; round < 3; round++) {
    const nonce = randomInt(1, 0x7fffffff);
    const t = now();
    const padata: PaData[] = [];
    if (preauthKey) {
      const enc = encrypt(preauthKey, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, encodePaEncTsEnc(t));
      padata.push({
        type: PA_ENC_TIMESTAMP,
        value: encodeEncryptedData({ etype: preauthKey.enctype, cipher: enc }),
      });
    }
    const body = encodeKdcReqBody({
      options: KdcOptions.RENEWABLE_OK,
      cname: opts.client,
      realm,
      sname: service,
      till: new Date(t.getTime() + (opts.lifetimeSec ?? 36_000) * 1000),
      nonce,
      etypes,
    });
    const reply = await sendToKdc(opts.config, realm, encodeKdcReq(MSG_AS_REQ, padata, body), opts.kdc);

    if (messageType(reply) === MSG_KRB_ERROR) {
      const err = decodeKrbError(reply);
      if (err.errorCode !== KDC_ERR_PREAUTH_REQUIRED || !err.eData) throw err;
      const fresh = etypeInfoFrom(decodeMethodData(err.eData));
      if (fresh.length > 0) info = fresh;
      const pick = info.find((i) => isSupportedEnctype(i.etype) && etypes.includes(i.etype));
      if (!pick) throw new KdcError(err.errorCode, 'KDC offers no AES enctype for pre-authentication');
      const key = clientKey(opts, pick.etype, pick);
      if (preauthKey && preauthKey.enctype === key.enctype && preauthKey.key.equals(key.key)) throw err;
      preauthKey = key;
      continue;
    }

    const rep = decodeKdcRep(reply, MSG_AS_REP);
    const fromRep = etypeInfoFrom(rep.padata);
    const etype = rep.encPart.etype;
    const replyInfo = fromRep.find((i) => i.etype === etype) ?? info.find((i) => i.etype === etype);
    const key = preauthKey?.enctype === etype ? preauthKey : clientKey(opts, etype, replyInfo);
    let enc: Buffer;
    try {
      enc = decrypt(key, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher);
    } catch (e) {
      if (e instanceof Krb5CryptoError && e.code === 'KRB5_BAD_INTEGRITY') {
        throw new Krb5Error(
          'KRB5_PREAUTH_FAILED',
          `wrong password or key for ${principalToString(opts.client)}`,
          {
            cause: e,
          },
        );
      }
      throw e;
    }
    const part = decodeEncKdcRepPart(enc);
    if (part.nonce !== nonce)
      throw new Krb5Error('KRB5_KDC_BAD_REPLY', 'AS-REP nonce does not match the request');
    const creds = credentialsFromReply(rep, part);
    // We never ask for canonicalisation, so the KDC must name exactly the service we asked for.
    if (!samePrincipal(creds.server, service)) {
      throw new Krb5Error('KRB5_KDC_BAD_REPLY', 'AS-REP names a different service');
    }
    return creds;
  }
  throw new Krb5Error(
    'KRB5_PREAUTH_FAILED',
    `pre-authentication did not converge for ${principalToString(opts.client)}`,
  );
}
