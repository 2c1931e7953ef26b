// Kerberos 5 service ticket → rxkad token, as aklog does it: kvno 256 (a "2b" token) whose ticket
// is the whole Ticket DER, and the 8-byte session key rxkad-k5 derives from the Kerberos one.

import { rxkadSessionKeyFromKrb5 } from '../rxkad-k5.js';
import { type RxkadToken, sealToken } from '../token.js';
import type { Credentials } from './credentials.js';
import { Krb5Error } from './errors.js';

/** rxkad kvno that marks a full Kerberos 5 Ticket in the token. */
export const RXKAD_TKT_TYPE_KERBEROS_V5 = 256;
const MAX_TICKET_LEN = 12000;

export function rxkadTokenFromCredentials(creds: Credentials, cell: string): RxkadToken {
  const ticket = creds.ticket.der;
  if (ticket.length > MAX_TICKET_LEN) {
    throw new Krb5Error(
      'KRB5_TICKET_TOO_BIG',
      `service ticket is ${ticket.length} bytes; rxkad allows ${MAX_TICKET_LEN}`,
    );
  }
  // DES keys pass through; other enctypes go through the rxkad-k5 KDF (3DES after parity folding).
  const sessionKey = rxkadSessionKeyFromKrb5(creds.key.enctype, creds.key.key);
  const [name = '', instance = ''] = creds.client.components;
  const localRealm = cell.toUpperCase();
  return sealToken({
    kvno: RXKAD_TKT_TYPE_KERBEROS_V5,
    ticket: Buffer.from(ticket),
    sessionKey,
    start: Math.floor(creds.starttime.getTime() / 1000),
    end: Math.floor(creds.endtime.getTime() / 1000),
    identity: {
      name,
      instance,
      cell: creds.client.realm === localRealm ? '' : creds.client.realm.toLowerCase(),
    },
    cell: cell.toLowerCase(),
    source: 'krb5',
  });
}
