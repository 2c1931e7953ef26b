// -localauth for tsafs: on a server machine, the cell's own key lets us mint a ticket for any
// PTS user, as OpenAFS's GenericAuth does for "vos -localauth" (src/auth/authcon.c). Unlike
// OpenAFS, the user is named (default "admin"): a ticket for the bare "afs" principal maps to
// no PTS user and file servers treat it as anonymous.
import { hasOddParity, isWeakDesKey, randomDesKey } from '../rx/crypto/des.js';
import { NEVERDATE } from '../rx/security/rxkad-server.js';
import { KEYTYPE_RXKAD, keyTypeName, loadServerKeys, type ServerKey } from './keyfile.js';
import { makeTicket } from './ticket.js';
import { type RxkadToken, sealToken } from './token.js';

export const DEFAULT_SERVER_CONFDIR = '/etc/openafs/server';
export const DEFAULT_LOCALAUTH_USER = 'admin';

export class LocalAuthError extends Error {
  readonly code: 'LOCALAUTH_NO_DES_KEY' | 'LOCALAUTH_BAD_KEY' | 'LOCALAUTH_BAD_USER';
  constructor(code: LocalAuthError['code'], message: string) {
    super(message);
    this.name = 'LocalAuthError';
    this.code = code;
  }
}

export interface LocalAuthOptions {
  /** The cell the servers belong to (a label on the token; the ticket itself says "" = local). */
  cell: string;
  /** PTS user, "name" or "name.instance"; default "admin". */
  user?: string;
  /** Use this key version instead of the highest rxkad kvno. */
  kvno?: number;
  /** Ticket validity in Unix seconds; default unlimited (start 0, end 0xffffffff) like OpenAFS. */
  start?: number;
  end?: number;
}

/** The DES (rxkad) key OpenAFS would use: the highest kvno, or the one asked for. */
export function pickLocalAuthKey(keys: readonly ServerKey[], kvno?: number): ServerKey {
  const des = keys.filter((k) => k.type === KEYTYPE_RXKAD && k.key.length === 8);
  const pick =
    kvno === undefined
      ? des.reduce<ServerKey | undefined>((a, k) => (!a || k.kvno > a.kvno ? k : a), undefined)
      : des.find((k) => k.kvno === kvno);
  if (!pick) {
    const others = [...new Set(keys.map((k) => `${keyTypeName(k.type)}/${k.subType}`))].join(', ') || 'none';
    throw new LocalAuthError(
      'LOCALAUTH_NO_DES_KEY',
      `no rxkad DES key${kvno === undefined ? '' : ` with kvno ${kvno}`} in KeyFile (other keys: ${others}); ` +
        'minting rxkad-k5 tickets from KeyFileExt keys is not supported',
    );
  }
  if (!hasOddParity(pick.key) || isWeakDesKey(pick.key)) {
    throw new LocalAuthError('LOCALAUTH_BAD_KEY', `KeyFile key kvno ${pick.kvno} has bad parity or is weak`);
  }
  return pick;
}

/** Split "name.instance" the way OpenAFS does for Kerberos 4 names (first dot). */
export function splitPrincipal(user: string): { name: string; instance: string } {
  const dot = user.indexOf('.');
  const name = dot < 0 ? user : user.slice(0, dot);
  const instance = dot < 0 ? '' : user.slice(dot + 1);
  if (!name || name.includes('@'))
    throw new LocalAuthError('LOCALAUTH_BAD_USER', `bad PTS user name "${user}"`);
  return { name, instance };
}

/** Mint a token for `user` with a cell key, without touching the disk. */
export function mintLocalAuthToken(keys: readonly ServerKey[], opts: LocalAuthOptions): RxkadToken {
  const key = pickLocalAuthKey(keys, opts.kvno);
  const { name, instance } = splitPrincipal(opts.user ?? DEFAULT_LOCALAUTH_USER);
  const start = opts.start ?? 0;
  const end = opts.end ?? NEVERDATE;
  const sessionKey = randomDesKey();
  const ticket = makeTicket(
    { name, instance, cell: '', host: 0, sessionKey, start, end, serviceName: 'afs', serviceInstance: '' },
    key.key,
  );
  return sealToken({
    kvno: key.kvno,
    ticket,
    sessionKey,
    start,
    end,
    identity: { name, instance, cell: opts.cell },
    cell: opts.cell,
    source: 'localauth',
  });
}

/** Read the server config directory's key files and mint a localauth token. */
export async function localAuthToken(opts: LocalAuthOptions & { confDir?: string }): Promise<RxkadToken> {
  const keys = await loadServerKeys(opts.confDir ?? DEFAULT_SERVER_CONFDIR);
  return mintLocalAuthToken(keys, opts);
}
