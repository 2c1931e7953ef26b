// A token that dies while connections are live: the file server answers VICETOKENDEAD (1235) or
// its rxkad layer aborts the connection with RXKADEXPIRED. Both mean "get a new token", so the
// user sees TokenExpiredError (naming `tsafs login`) and the identity refuses every later call:
// never a silent switch to rxnull, never another round with the dead ticket.

import { RXKADEXPIRED, VICETOKENDEAD } from '../rpc/errors.js';
import type { SecurityClass } from '../rx/security/types.js';
import { type Identity, TokenExpiredError } from './identity.js';

/** The abort code inside an AFS, Rx or rxkad error (all three carry it differently). */
function abortCodeOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as { afsCode?: unknown; code?: unknown };
  if (typeof o.afsCode === 'number') return o.afsCode;
  if (typeof o.code === 'number') return o.code;
  return undefined;
}

/** True when a failure says the token is no longer accepted (VICETOKENDEAD or RXKADEXPIRED). */
export function isTokenDead(e: unknown): boolean {
  for (let cur = e, depth = 0; cur !== undefined && depth < 4; depth++) {
    const code = abortCodeOf(cur);
    if (code === VICETOKENDEAD || code === RXKADEXPIRED) return true;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return false;
}

/** The user-facing error for a dead token, or undefined when `e` is something else. */
export function tokenDeadError(e: unknown, cell: string): TokenExpiredError | undefined {
  if (!isTokenDead(e)) return undefined;
  const err = new TokenExpiredError(cell);
  Object.defineProperty(err, 'cause', { value: e, enumerable: false, configurable: true });
  return err;
}

/**
 * One cell's identity as the client holds it. `security()` hands out the security class until a
 * failure proved the token dead (or its end time passed); from then on it throws TokenExpiredError.
 * `check(e)` is called with every failed operation's error and returns the error to throw.
 */
export class GuardedIdentity {
  private dead: TokenExpiredError | undefined;

  constructor(
    readonly identity: Identity,
    readonly cell: string,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  get description(): string {
    return this.dead ? `${this.identity.description} (dead: run 'tsafs login')` : this.identity.description;
  }

  /** The security class for a new call, or TokenExpiredError once the token is known dead. */
  security(): SecurityClass {
    if (this.dead) throw this.dead;
    const t = this.identity.token;
    if (t && t.end !== 0xffffffff && this.now() >= t.end) {
      this.dead = new TokenExpiredError(this.cell);
      throw this.dead;
    }
    return this.identity.security;
  }

  /** Map a failure: a dead token marks this identity dead and becomes TokenExpiredError. */
  check(e: unknown): unknown {
    if (!this.identity.token) return e; // anonymous has no token to lose
    const dead = tokenDeadError(e, this.cell);
    if (!dead) return e;
    this.dead ??= dead;
    return dead;
  }

  get isDead(): boolean {
    return this.dead !== undefined;
  }
}
