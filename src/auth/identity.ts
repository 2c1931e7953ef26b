// Which identity a client uses in a cell, turned into an Rx security class. Anonymous (rxnull)
// only when asked for, or in "auto" mode when no token exists for the cell; a token that exists
// but is expired or unusable is an error, never a silent downgrade.

import { rxnull } from '../rx/security/null.js';
import { RxkadClientClass } from '../rx/security/rxkad.js';
import type { RxkadLevel } from '../rx/security/rxkad-packet.js';
import type { SecurityClass } from '../rx/security/types.js';
import { localAuthToken } from './localauth.js';
import { describeToken, type RxkadToken, sealToken, tokenExpired } from './token.js';
import { TokenStore } from './token-store.js';

export type LevelName = 'clear' | 'auth' | 'crypt';

export type AuthOption =
  | 'anonymous'
  /** The stored token for the cell (tsafs login), anonymous when there is none. */
  | 'auto'
  | { token: RxkadToken; level?: LevelName }
  /** Mint a ticket from the server KeyFile, like `vos -localauth` (default user "admin"). */
  | { localauth: { user?: string; confDir?: string }; level?: LevelName }
  | { store: TokenStore | string; level?: LevelName };

export class TokenExpiredError extends Error {
  override readonly name = 'TokenExpiredError';
  readonly code = 'ERR_TSAFS_TOKEN_EXPIRED';
  constructor(readonly cell: string) {
    super(`your token for cell ${cell} has expired: run 'tsafs login' to get a new one`);
  }
}

export class NoTokenError extends Error {
  override readonly name = 'NoTokenError';
  readonly code = 'ERR_TSAFS_NO_TOKEN';
  constructor(readonly cell: string) {
    super(`no token for cell ${cell}: run 'tsafs login' first`);
  }
}

export interface Identity {
  security: SecurityClass;
  /** "anonymous", or the token's description (no secrets). */
  description: string;
  token?: RxkadToken;
}

const LEVELS: Record<LevelName, RxkadLevel> = { clear: 0, auth: 1, crypt: 2 };

export function levelOf(name: LevelName | undefined): RxkadLevel {
  return LEVELS[name ?? 'crypt'];
}

function fromToken(t: RxkadToken, cell: string, level: LevelName | undefined): Identity {
  if (tokenExpired(t)) throw new TokenExpiredError(cell);
  // A token handed in by the caller is sealed too: the identity keeps it.
  return {
    security: new RxkadClientClass(t, levelOf(level)),
    description: describeToken(t),
    token: sealToken(t),
  };
}

export async function resolveIdentity(auth: AuthOption | undefined, cell: string): Promise<Identity> {
  const a = auth ?? 'auto';
  if (a === 'anonymous') return { security: rxnull, description: 'anonymous' };
  if (a === 'auto') {
    const t = await new TokenStore().get(cell);
    return t ? fromToken(t, cell, undefined) : { security: rxnull, description: 'anonymous' };
  }
  if ('token' in a) return fromToken(a.token, cell, a.level);
  if ('store' in a) {
    const store = typeof a.store === 'string' ? new TokenStore(a.store) : a.store;
    const t = await store.get(cell);
    if (!t) throw new NoTokenError(cell);
    return fromToken(t, cell, a.level);
  }
  const t = await localAuthToken({ cell, user: a.localauth.user, confDir: a.localauth.confDir });
  return fromToken(t, cell, a.level);
}
