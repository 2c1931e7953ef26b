// An rxkad token: what the security class needs (kvno, ticket, session key) plus what a person
// wants to see (who, for which cell, until when). Secrets never appear in describeToken(), nor in
// util.inspect / console.log of a token we made or loaded (sealToken).

import { type InspectOptionsStylized, inspect } from 'node:util';
import { REDACTED, redactedView } from '../rx/crypto/redact.js';
import type { RxkadCredentials } from '../rx/security/rxkad.js';
import { NEVERDATE } from '../rx/security/rxkad-server.js';

export interface TokenIdentity {
  /** PTS user name as the server will see it, e.g. "admin" or "alice". */
  name: string;
  instance: string;
  /** Cell (realm) of the identity; "" = the server's own cell. */
  cell: string;
}

export interface RxkadToken extends RxkadCredentials {
  kvno: number;
  ticket: Buffer;
  sessionKey: Buffer;
  /** Unix seconds; 0 = valid since forever. */
  start: number;
  /** Unix seconds; 0xffffffff = never expires. */
  end: number;
  identity: TokenIdentity;
  /** The cell whose servers accept this ticket. */
  cell: string;
  /** How it was obtained, for `tsafs tokens`. */
  source: 'localauth' | 'krb5' | 'imported';
}

export class TokenFormatError extends Error {
  readonly code = 'TOKEN_FORMAT';
  constructor(detail: string) {
    super(`malformed stored token: ${detail}`);
    this.name = 'TokenFormatError';
  }
}

export function tokenExpired(
  t: Pick<RxkadToken, 'end'>,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  return t.end !== NEVERDATE && nowSeconds >= t.end;
}

/** A printable summary with no key or ticket bytes. */
export function describeToken(t: RxkadToken): string {
  const who = t.identity.instance ? `${t.identity.name}.${t.identity.instance}` : t.identity.name;
  const at = t.identity.cell ? `@${t.identity.cell}` : '';
  const until = t.end === NEVERDATE ? 'never expires' : `expires ${new Date(t.end * 1000).toISOString()}`;
  return `rxkad token for ${who}${at} in cell ${t.cell} (kvno ${t.kvno}, ${t.source}), ${until}`;
}

/**
 * Give a token a [util.inspect.custom] that shows who and where but not the ticket or the session
 * key. Not enumerable: JSON and copies are unaffected. Returns the same object.
 */
export function sealToken<T extends RxkadToken>(t: T): T {
  Object.defineProperty(t, inspect.custom, {
    configurable: true,
    value: (_depth: number, options: InspectOptionsStylized) =>
      redactedView(
        'RxkadToken',
        {
          cell: t.cell,
          identity: t.identity,
          kvno: t.kvno,
          source: t.source,
          start: t.start,
          end: t.end,
          ticket: `[${t.ticket.length} bytes]`,
          sessionKey: REDACTED,
        },
        options,
      ),
  });
  return t;
}

/** JSON form for a 0600 token file; binary fields as base64. */
export interface StoredToken {
  v: 1;
  kvno: number;
  ticket: string;
  sessionKey: string;
  start: number;
  end: number;
  identity: TokenIdentity;
  cell: string;
  source: RxkadToken['source'];
}

export function tokenToStored(t: RxkadToken): StoredToken {
  return {
    v: 1,
    kvno: t.kvno,
    ticket: t.ticket.toString('base64'),
    sessionKey: t.sessionKey.toString('base64'),
    start: t.start,
    end: t.end,
    identity: { ...t.identity },
    cell: t.cell,
    source: t.source,
  };
}

export function tokenFromStored(s: unknown): RxkadToken {
  if (typeof s !== 'object' || s === null) throw new TokenFormatError('not an object');
  const o = s as Record<string, unknown>;
  if (o.v !== 1) throw new TokenFormatError(`version ${String(o.v)}`);
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new TokenFormatError(`${k} is not an integer`);
    return v;
  };
  const str = (v: unknown, k: string): string => {
    if (typeof v !== 'string') throw new TokenFormatError(`${k} is not a string`);
    return v;
  };
  const id = o.identity as Record<string, unknown> | undefined;
  if (typeof id !== 'object' || id === null) throw new TokenFormatError('identity missing');
  const sessionKey = Buffer.from(str(o.sessionKey, 'sessionKey'), 'base64');
  if (sessionKey.length !== 8) throw new TokenFormatError('session key is not 8 bytes');
  const source = str(o.source, 'source');
  if (source !== 'localauth' && source !== 'krb5' && source !== 'imported')
    throw new TokenFormatError('source');
  return sealToken({
    kvno: num('kvno'),
    ticket: Buffer.from(str(o.ticket, 'ticket'), 'base64'),
    sessionKey,
    start: num('start'),
    end: num('end'),
    identity: {
      name: str(id.name, 'identity.name'),
      instance: str(id.instance, 'identity.instance'),
      cell: str(id.cell, 'identity.cell'),
    },
    cell: str(o.cell, 'cell'),
    source,
  });
}
