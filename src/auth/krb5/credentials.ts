// A ticket with its session key, as the AS and TGS exchanges produce it and the ccache stores it.

import type { CachedCredential } from './ccache.js';
import type { EncryptionKey } from './enctypes.js';
import { decodeTicket, type EncKdcRepPart, type KdcRep, type Principal, type Ticket } from './messages.js';

export interface Credentials {
  client: Principal;
  server: Principal;
  /** Session key: secret, never printed. */
  key: EncryptionKey;
  authtime: Date;
  starttime: Date;
  endtime: Date;
  renewTill?: Date | undefined;
  flags: number;
  ticket: Ticket;
}

export function credentialsFromCache(c: CachedCredential): Credentials {
  return {
    client: c.client,
    server: c.server,
    key: c.key,
    authtime: c.authtime,
    // MIT writes starttime 0 when the KDC sent none: the ticket is valid from authtime.
    starttime: c.starttime.getTime() === 0 ? c.authtime : c.starttime,
    endtime: c.endtime,
    renewTill: c.renewTill.getTime() === 0 ? undefined : c.renewTill,
    flags: c.flags,
    ticket: decodeTicket(c.ticket),
  };
}

export function credentialsToCache(c: Credentials): CachedCredential {
  return {
    client: c.client,
    server: c.server,
    key: c.key,
    authtime: c.authtime,
    starttime: c.starttime,
    endtime: c.endtime,
    renewTill: c.renewTill ?? new Date(0),
    isSkey: false,
    flags: c.flags,
    ticket: c.ticket.der,
    secondTicket: Buffer.alloc(0),
  };
}

/** The credentials an AS-REP or TGS-REP grants, from the reply and its decrypted part. */
export function credentialsFromReply(rep: KdcRep, part: EncKdcRepPart): Credentials {
  return {
    client: { realm: rep.crealm, ...rep.cname },
    server: { realm: part.srealm, ...part.sname },
    key: part.key,
    authtime: part.authtime,
    starttime: part.starttime ?? part.authtime,
    endtime: part.endtime,
    renewTill: part.renewTill,
    flags: part.flags,
    ticket: rep.ticket,
  };
}
