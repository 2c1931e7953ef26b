// Logging in to a cell: kinit + aklog in one. A live TGT in the ccache is used when there is one;
// otherwise the AS exchange runs with the keytab or a password. The afs/<cell> ticket becomes an
// rxkad token in the token store. Nothing secret is printed or logged.

import { userInfo } from 'node:os';
import { Krb5Error } from './krb5/errors.js';
import type { KdcExchangeOptions } from './krb5/kdc-client.js';
import { rxkadTokenFromCredentials } from './krb5/rxkad-token.js';
import { obtainAfsCredentials } from './krb5/tgs.js';
import type { RxkadToken } from './token.js';
import { TokenStore } from './token-store.js';

export interface LoginRequest {
  cell: string;
  /** "user" or "user@REALM"; default: the ccache's principal, else the login name. */
  principal?: string;
  /** Default: the cell name upper-cased. */
  realm?: string;
  keytab?: string;
  /** Default KRB5CCNAME or /tmp/krb5cc_<uid>; null ignores any ccache. */
  ccache?: string | null;
  /** Asked for only when neither a TGT nor a keytab is at hand. */
  password?: (prompt: string) => Promise<string>;
  store?: TokenStore;
  kdc?: KdcExchangeOptions;
}

/** Obtain the cell's token and store it; resolves with the stored token (keep it out of logs). */
export async function login(req: LoginRequest): Promise<RxkadToken> {
  const cell = req.cell.toLowerCase();
  const base = { cell, realm: req.realm, kdc: req.kdc };
  let creds: Awaited<ReturnType<typeof obtainAfsCredentials>>;
  if (req.keytab !== undefined) {
    if (!req.principal)
      throw new Krb5Error('KRB5_KT_NOTFOUND', 'a keytab login needs the principal (user@REALM)');
    creds = await obtainAfsCredentials({ ...base, principal: req.principal, keytabPath: req.keytab });
  } else {
    try {
      creds = await obtainAfsCredentials({ ...base, principal: req.principal, ccachePath: req.ccache });
    } catch (e) {
      // No usable TGT: fall back to a password, as kinit would.
      if (!(e instanceof Krb5Error && e.code === 'KRB5_NO_TGT')) throw e;
      const principal = req.principal ?? userInfo().username;
      const realm = req.realm ?? cell.toUpperCase();
      const shown = principal.includes('@') ? principal : `${principal}@${realm}`;
      const ask = req.password;
      if (!ask) throw e; // no TGT and no way to ask for a password
      const password = await ask(`Password for ${shown}: `);
      creds = await obtainAfsCredentials({ ...base, principal, password, ccachePath: null });
    }
  }
  const token = rxkadTokenFromCredentials(creds, cell);
  await (req.store ?? new TokenStore()).put(token);
  return token;
}
