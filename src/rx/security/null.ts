// rxnull (security index 0): no authentication, no checksum, payloads untouched. Anonymous
// access uses it only when the caller asks for it; nothing falls back to it silently.
import type { ConnIdentity, ConnSecurity, SecuredHeader, SecurityClass } from './types.js';

export const RXNULL_SECURITY_INDEX = 0;

/** rxnull never receives a CHALLENGE from a correct server; answering one would be a bug. */
export class RxnullChallengeError extends Error {
  readonly code = 'RXNULL_CHALLENGE';
  constructor() {
    super('rxnull cannot answer a security CHALLENGE (the server wants authentication)');
    this.name = 'RxnullChallengeError';
  }
}

class RxnullConn implements ConnSecurity {
  readonly headerSize = 0;
  readonly trailerSize = 0;
  readonly ready = true;

  seal(_h: SecuredHeader, payload: Buffer): { payload: Buffer; cksum: number } {
    return { payload, cksum: 0 };
  }

  open(_h: SecuredHeader, _cksum: number, payload: Buffer): Buffer {
    return payload;
  }

  respond(_challenge: Buffer): Buffer {
    throw new RxnullChallengeError();
  }
}

export class RxnullClass implements SecurityClass {
  readonly index = RXNULL_SECURITY_INDEX;
  readonly name = 'rxnull';

  newConnection(_id: ConnIdentity): ConnSecurity {
    return new RxnullConn();
  }
}

export const rxnull: SecurityClass = new RxnullClass();
