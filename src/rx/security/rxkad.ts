// rxkad (security index 2), client side: answers the server's CHALLENGE with a v2 RESPONSE
// proving possession of the token's session key, then checksums and seals every DATA packet.
// OpenAFS: rxkad_client.c (NewClientSecurityObject, GetResponse), private_data.h (layouts).
import { type InspectOptionsStylized, inspect } from 'node:util';
import { FcryptSchedule, fcryptBlock, fcryptIv, fcryptPcbcInPlace } from '../crypto/fcrypt.js';
import { REDACTED, redactedView } from '../crypto/redact.js';
import {
  RXKADBADKEY,
  RXKADEXPIRED,
  RXKADINCONSISTENCY,
  RXKADLEVELFAIL,
  RXKADPACKETSHORT,
  RXKADTICKETLEN,
  RxkadError,
} from './rxkad-errors.js';
import {
  isRxkadLevel,
  RXKAD_LEVEL_NAMES,
  type RxkadLevel,
  RxkadPacketCodec,
  rxkadEndpoint,
} from './rxkad-packet.js';
import type { ConnIdentity, ConnSecurity, SecuredHeader, SecurityClass } from './types.js';

export const RXKAD_SECURITY_INDEX = 2;
export const RXKAD_CHALLENGE_VERSION = 2;
export const MIN_TICKET_LEN = 32;
export const MAX_TICKET_LEN = 12000;
/** Bytes of a v2 RESPONSE before the ticket: version, spare, 40 encrypted, kvno, ticketLen. */
export const RXKAD_V2_RESPONSE_SIZE = 56;
/** Offset and size of the encrypted part inside the v2 RESPONSE. */
export const RXKAD_V2_ENCRYPTED_OFFSET = 8;
export const RXKAD_V2_ENCRYPTED_SIZE = 40;
const NEVERDATE = 0xffffffff;

/** What rxkad needs from a token (src/auth/token.ts carries more). */
export interface RxkadCredentials {
  /** Server key version, or 256 / 213 for Kerberos 5 tickets. */
  kvno: number;
  /** Opaque to the client: encrypted with the server's key. */
  ticket: Uint8Array;
  /** The 8-byte DES session key shared with the server through the ticket. */
  sessionKey: Uint8Array;
  /** Unix seconds after which the server will refuse the ticket; omitted or 0xffffffff = never. */
  end?: number;
}

/** The v2 RESPONSE checksum: h = 1000003; h = byte + h·0x10204081 over all 56 bytes, endpoint cksum zeroed. */
export function rxkadResponseChecksum(resp56: Uint8Array): number {
  let h = 1000003;
  for (let i = 0; i < RXKAD_V2_RESPONSE_SIZE; i++) {
    const b = i >= 16 && i < 20 ? 0 : resp56[i]; // bytes 16..19 = encrypted.endpoint.cksum
    h = (b + Math.imul(h, 0x10204081)) >>> 0;
  }
  return h;
}

/** One rxkad client security object: a token and the level every connection will use. */
export class RxkadClientClass implements SecurityClass {
  readonly index = RXKAD_SECURITY_INDEX;
  readonly name: string;
  readonly level: RxkadLevel;
  private readonly creds: RxkadCredentials;
  private readonly ks: FcryptSchedule;
  private readonly now: () => number;

  [inspect.custom](_depth: number, options: InspectOptionsStylized): string {
    return redactedView(
      'RxkadClientClass',
      { name: this.name, kvno: this.creds.kvno, sessionKey: REDACTED },
      options,
    );
  }

  constructor(creds: RxkadCredentials, level: RxkadLevel, opts: { now?: () => number } = {}) {
    if (!isRxkadLevel(level)) throw new RxkadError(RXKADLEVELFAIL, `unknown level ${level}`);
    if (creds.sessionKey.length !== 8) throw new RxkadError(RXKADBADKEY, 'session key must be 8 bytes');
    const tl = creds.ticket.length;
    if (tl < MIN_TICKET_LEN || tl > MAX_TICKET_LEN)
      throw new RxkadError(RXKADTICKETLEN, `ticket of ${tl} bytes`);
    this.creds = { ...creds, ticket: Buffer.from(creds.ticket), sessionKey: Buffer.from(creds.sessionKey) };
    this.level = level;
    this.name = `rxkad-${RXKAD_LEVEL_NAMES[level]}`;
    this.ks = new FcryptSchedule(this.creds.sessionKey);
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** True when the token's end time has passed: the server would answer RXKADEXPIRED. */
  expired(): boolean {
    const end = this.creds.end;
    return end !== undefined && end !== NEVERDATE && this.now() >= end;
  }

  newConnection(id: ConnIdentity): ConnSecurity {
    return new RxkadClientConn(this, id);
  }

  /** Build the RESPONSE body for a CHALLENGE body (v2 if the challenge has more than 8 bytes). */
  buildResponse(id: ConnIdentity, challenge: Buffer): Buffer {
    if (this.expired()) {
      throw new RxkadError(RXKADEXPIRED, 'the token has expired; get a new one (tsafs login)');
    }
    let challengeID: number;
    let minLevel: number;
    const v2 = challenge.length > 8;
    if (v2) {
      if (challenge.length < 16)
        throw new RxkadError(RXKADPACKETSHORT, `v2 challenge of ${challenge.length} bytes`);
      challengeID = challenge.readInt32BE(4);
      minLevel = challenge.readInt32BE(8);
    } else {
      if (challenge.length < 8)
        throw new RxkadError(RXKADPACKETSHORT, `challenge of ${challenge.length} bytes`);
      challengeID = challenge.readInt32BE(0);
      minLevel = challenge.readInt32BE(4);
    }
    if (minLevel > this.level) {
      throw new RxkadError(
        RXKADLEVELFAIL,
        `server requires level ${minLevel}, this token is used at ${this.level}`,
      );
    }
    const ticket = this.creds.ticket;
    const incChallengeID = (challengeID + 1) | 0;
    if (!v2) {
      const r = Buffer.alloc(16 + ticket.length);
      r.writeInt32BE(incChallengeID, 0);
      r.writeInt32BE(this.level, 4);
      const w = new Int32Array(2);
      fcryptBlock(this.ks, r.readInt32BE(0), r.readInt32BE(4), true, w);
      r.writeInt32BE(w[0], 0);
      r.writeInt32BE(w[1], 4);
      r.writeInt32BE(this.creds.kvno, 8);
      r.writeInt32BE(ticket.length, 12);
      r.set(ticket, 16);
      return r;
    }
    const r = Buffer.alloc(RXKAD_V2_RESPONSE_SIZE + ticket.length);
    r.writeInt32BE(RXKAD_CHALLENGE_VERSION, 0);
    // spare (4..7) stays 0
    rxkadEndpoint(id.epoch, id.cid, 0, id.securityIndex).copy(r, 8);
    const calls = id.callNumbers();
    for (let i = 0; i < 4; i++) {
      const c = calls[i];
      if (!Number.isInteger(c) || c < 0 || c > 0x7fffffff) {
        throw new RxkadError(RXKADINCONSISTENCY, `call number ${c} on channel ${i}`);
      }
      r.writeInt32BE(c, 24 + 4 * i);
    }
    r.writeInt32BE(incChallengeID, 40);
    r.writeInt32BE(this.level, 44);
    r.writeInt32BE(this.creds.kvno, 48);
    r.writeInt32BE(ticket.length, 52);
    r.writeUInt32BE(rxkadResponseChecksum(r), 16);
    fcryptPcbcInPlace(
      this.ks,
      fcryptIv(this.creds.sessionKey),
      r,
      RXKAD_V2_ENCRYPTED_OFFSET,
      RXKAD_V2_ENCRYPTED_SIZE,
      true,
    );
    r.set(ticket, RXKAD_V2_RESPONSE_SIZE);
    return r;
  }

  /** @internal the per-connection packet codec for a connection of this class. */
  codecFor(id: ConnIdentity): RxkadPacketCodec {
    return new RxkadPacketCodec(this.creds.sessionKey, this.level, id.epoch, id.cid, id.securityIndex);
  }
}

class RxkadClientConn implements ConnSecurity {
  readonly headerSize: number;
  readonly trailerSize: number;
  private answered = false;
  private readonly codec: RxkadPacketCodec;

  constructor(
    private readonly cls: RxkadClientClass,
    private readonly id: ConnIdentity,
  ) {
    this.codec = cls.codecFor(id);
    this.headerSize = this.codec.headerSize;
    this.trailerSize = this.codec.headerSize; // padding never exceeds the header size
  }

  get ready(): boolean {
    return this.answered;
  }

  seal(h: SecuredHeader, payload: Buffer): { payload: Buffer; cksum: number } {
    return this.codec.seal(h, payload);
  }

  open(h: SecuredHeader, cksum: number, payload: Buffer): Buffer {
    return this.codec.open(h, cksum, payload);
  }

  respond(challenge: Buffer): Buffer {
    const r = this.cls.buildResponse(this.id, challenge);
    this.answered = true;
    return r;
  }
}
