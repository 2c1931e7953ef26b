// The TGS exchange (RFC 4120 §3.3) and the AFS service ticket: afs/<cell>@REALM, falling back to
// afs@REALM as aklog does. The TGT comes from the user's ccache when it holds a live one for the
// realm, otherwise from the AS exchange with a keytab or password.

import { randomInt } from 'node:crypto';
import { asExchange, type ClientSecret, tgsPrincipal } from './as.js';
import { defaultCcachePath, readCcache } from './ccache.js';
import { type Krb5Config, loadKrb5Config, realmForName } from './config.js';
import { type Credentials, credentialsFromCache, credentialsFromReply } from './credentials.js';
import { checksum, checksumType, decrypt, encrypt, KeyUsage, SUPPORTED_ENCTYPES } from './enctypes.js';
import { KDC_ERR_S_PRINCIPAL_UNKNOWN, KdcError, Krb5Error } from './errors.js';
import type { KdcExchangeOptions } from './kdc-client.js';
import { sendToKdc } from './kdc-client.js';
import { readKeytab } from './keytab.js';
import {
  decodeEncKdcRepPart,
  decodeKdcRep,
  decodeKrbError,
  encodeApReq,
  encodeAuthenticator,
  encodeKdcReq,
  encodeKdcReqBody,
  MSG_KRB_ERROR,
  MSG_TGS_REP,
  MSG_TGS_REQ,
  messageType,
  NT_PRINCIPAL,
  NT_SRV_INST,
  PA_TGS_REQ,
  type Principal,
  parsePrincipal,
  principalToString,
  samePrincipal,
} from './messages.js';

export interface TgsExchangeOptions {
  config: Krb5Config;
  tgt: Credentials;
  service: Principal;
  /** Session-key enctypes to ask for, in preference order (default aes256, aes128). */
  enctypes?: readonly number[];
  kdc?: KdcExchangeOptions;
  now?: () => Date;
}

export async function tgsExchange(opts: TgsExchangeOptions): Promise<Credentials> {
  const now = (opts.now ?? (() => new Date()))();
  const { tgt, service } = opts;
  const realm = tgt.server.realm;
  const nonce = randomInt(1, 0x7fffffff);
  const bodyDer = encodeKdcReqBody({
    options: 0,
    realm: service.realm,
    sname: service,
    // Never ask past the TGT's own end; the KDC would clamp it anyway.
    till: tgt.endtime,
    nonce,
    etypes: opts.enctypes ?? SUPPORTED_ENCTYPES,
  });
  const authenticator = encodeAuthenticator({
    crealm: tgt.client.realm,
    cname: tgt.client,
    cksum: {
      type: checksumType(tgt.key.enctype),
      value: checksum(tgt.key, KeyUsage.TGS_REQ_AUTH_CKSUM, bodyDer),
    },
    ctime: now,
    cusec: (now.getTime() % 1000) * 1000,
  });
  const apReq = encodeApReq(tgt.ticket.der, {
    etype: tgt.key.enctype,
    cipher: encrypt(tgt.key, KeyUsage.TGS_REQ_AUTH, authenticator),
  });
  const req = encodeKdcReq(MSG_TGS_REQ, [{ type: PA_TGS_REQ, value: apReq }], bodyDer);
  const reply = await sendToKdc(opts.config, realm, req, opts.kdc);
  if (messageType(reply) === MSG_KRB_ERROR) throw decodeKrbError(reply);
  const rep = decodeKdcRep(reply, MSG_TGS_REP);
  const part = decodeEncKdcRepPart(decrypt(tgt.key, KeyUsage.TGS_REP_ENCPART_SESSKEY, rep.encPart.cipher));
  if (part.nonce !== nonce)
    throw new Krb5Error('KRB5_KDC_BAD_REPLY', 'TGS-REP nonce does not match the request');
  const creds = credentialsFromReply(rep, part);
  if (!samePrincipal(creds.server, service)) {
    throw new Krb5Error(
      'KRB5_KDC_BAD_REPLY',
      `TGS-REP is for ${principalToString(creds.server)}, not the service asked for`,
    );
  }
  return creds;
}

/** afs/<cell>@REALM, or afs@REALM when the KDC has no cell-named principal (as aklog does). */
export async function getAfsServiceTicket(
  opts: Omit<TgsExchangeOptions, 'service'> & { cell: string; realm?: string },
): Promise<Credentials> {
  const realm = opts.realm ?? opts.tgt.client.realm;
  const named: Principal = { realm, nameType: NT_SRV_INST, components: ['afs', opts.cell.toLowerCase()] };
  try {
    return await tgsExchange({ ...opts, service: named });
  } catch (e) {
    if (!(e instanceof KdcError) || e.errorCode !== KDC_ERR_S_PRINCIPAL_UNKNOWN) throw e;
  }
  return tgsExchange({ ...opts, service: { realm, nameType: NT_PRINCIPAL, components: ['afs'] } });
}

/** A TGT for `realm` (and `client`, when given) from the ccache, valid for at least `marginSec`. */
export async function tgtFromCcache(
  path: string,
  realm: string,
  client?: Principal,
  now = new Date(),
  marginSec = 60,
): Promise<Credentials | undefined> {
  let cc: Awaited<ReturnType<typeof readCcache>>;
  try {
    cc = await readCcache(path);
  } catch (e) {
    if (e instanceof Krb5Error && e.code === 'KRB5_CC_NOTFOUND') return undefined;
    throw e;
  }
  const want = tgsPrincipal(realm);
  for (const c of cc.credentials) {
    if (!samePrincipal(c.server, want)) continue;
    if (client && !samePrincipal(c.client, client)) continue;
    if (c.endtime.getTime() - now.getTime() < marginSec * 1000) continue;
    return credentialsFromCache(c);
  }
  return undefined;
}

export interface AfsCredentialOptions {
  cell: string;
  /** Default: the cell name upper-cased. */
  realm?: string;
  /** "user" or "user@REALM"; required for the AS exchange, optional with a ccache. */
  principal?: string;
  keytabPath?: string;
  password?: string;
  /** Default KRB5CCNAME or /tmp/krb5cc_<uid>. Pass null to ignore any ccache. */
  ccachePath?: string | null;
  /** Default KRB5_CONFIG or /etc/krb5.conf. */
  config?: Krb5Config;
  kdc?: KdcExchangeOptions;
}

/** The kinit + aklog of tsafs, up to the Kerberos service ticket for the cell. */
export async function obtainAfsCredentials(opts: AfsCredentialOptions): Promise<Credentials> {
  const config = opts.config ?? (await loadKrb5Config());
  // The cell's realm: given, else krb5.conf's [domain_realm] for the cell name, else the cell upper-cased.
  const realm = opts.realm ?? realmForName(config, opts.cell) ?? opts.cell.toUpperCase();
  const client = opts.principal ? parsePrincipal(opts.principal, realm) : undefined;
  let tgt: Credentials | undefined;
  const useSecret = opts.keytabPath !== undefined || opts.password !== undefined;
  if (!useSecret && opts.ccachePath !== null) {
    tgt = await tgtFromCcache(opts.ccachePath ?? defaultCcachePath(), realm, client);
  }
  if (!tgt) {
    if (!client) {
      throw new Krb5Error(
        'KRB5_NO_TGT',
        `no ticket-granting ticket for ${realm}: run kinit, or give a principal with a keytab or password`,
      );
    }
    let secret: ClientSecret;
    if (opts.keytabPath !== undefined) secret = { keytab: await readKeytab(opts.keytabPath) };
    else if (opts.password !== undefined) secret = { password: opts.password };
    else
      throw new Krb5Error(
        'KRB5_NO_TGT',
        `no ticket-granting ticket for ${principalToString(client)} and no keytab or password`,
      );
    tgt = await asExchange({ config, client, secret, kdc: opts.kdc });
  }
  return getAfsServiceTicket({ config, tgt, cell: opts.cell, realm, kdc: opts.kdc });
}
