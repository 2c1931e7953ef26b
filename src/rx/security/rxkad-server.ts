// rxkad server side (OpenAFS rxkad_server.c: CreateChallenge, CheckResponse). tsafs is a
// client; this exists so simulations and tests can stand up an rxkad peer that checks our
// RESPONSE exactly as a file server does, then speaks sealed packets back.
import { randomBytes } from 'node:crypto';
import { FcryptSchedule, fcryptBlock, fcryptIv, fcryptPcbcInPlace } from '../crypto/fcrypt.js';
import {
  MAX_TICKET_LEN,
  MIN_TICKET_LEN,
  RXKAD_CHALLENGE_VERSION,
  RXKAD_V2_ENCRYPTED_OFFSET,
  RXKAD_V2_ENCRYPTED_SIZE,
  RXKAD_V2_RESPONSE_SIZE,
  rxkadResponseChecksum,
} from './rxkad.js';
import {
  RXKADBADKEY,
  RXKADBADTICKET,
  RXKADEXPIRED,
  RXKADINCONSISTENCY,
  RXKADLEVELFAIL,
  RXKADNOAUTH,
  RXKADOUTOFSEQUENCE,
  RXKADPACKETSHORT,
  RXKADSEALEDINCON,
  RXKADTICKETLEN,
  RxkadError,
} from './rxkad-errors.js';
import { isRxkadLevel, type RxkadLevel, RxkadPacketCodec, rxkadEndpoint } from './rxkad-packet.js';
import type { SecuredHeader } from './types.js';

export const MAX_TICKET_LIFETIME = 30 * 24 * 3600;
export const TIME_UNCERTAINTY = 15 * 60;
export const NEVERDATE = 0xffffffff;

/** What a ticket decoder learns from a ticket (tkt_DecodeTicket's outputs). */
export interface RxkadTicketContents {
  name: string;
  instance: string;
  cell: string;
  sessionKey: Buffer;
  host: number;
  start: number;
  end: number;
}

/** Decode a ticket sealed for this server; throw RxkadError (UNKNOWNKEY, BADTICKET, ...) when it cannot. */
export type RxkadTicketDecoder = (kvno: number, ticket: Buffer) => RxkadTicketContents;

/**
 * tkt_CheckTimes: -2 inconsistent or long expired, -1 recently expired, 0 not yet valid,
 * 1 valid with no expiry, 2 valid.
 */
export function rxkadCheckTimes(start: number, end: number, now: number): -2 | -1 | 0 | 1 | 2 {
  if (start >= end) return -2;
  if (start > now + TIME_UNCERTAINTY + MAX_TICKET_LIFETIME) return -2;
  if (start !== 0 && end !== NEVERDATE && end - start > MAX_TICKET_LIFETIME) return -2;
  if (end !== NEVERDATE && end + TIME_UNCERTAINTY < now) {
    if (start !== 0 && now - start > MAX_TICKET_LIFETIME + 24 * 60 * 60) return -2;
    return -1;
  }
  const active = start === 0 || start - TIME_UNCERTAINTY <= now ? 1 : 0;
  if (start === 0 || end === NEVERDATE) return active;
  return active ? 2 : 0;
}

/** Turn a tkt_CheckTimes verdict into the error CheckResponse returns, or nothing. */
export function rxkadTimesError(verdict: number): RxkadError | undefined {
  if (verdict === 0) return new RxkadError(RXKADNOAUTH, 'ticket not yet valid');
  if (verdict === -1) return new RxkadError(RXKADEXPIRED, 'ticket expired');
  if (verdict < -1) return new RxkadError(RXKADBADTICKET, 'ticket times inconsistent');
  return undefined;
}

export interface RxkadServerConnOptions {
  minLevel: RxkadLevel;
  epoch: number;
  cid: number;
  securityIndex?: number;
  decodeTicket: RxkadTicketDecoder;
  now?: () => number;
}

export interface RxkadAuthenticated {
  level: RxkadLevel;
  kvno: number;
  client: { name: string; instance: string; cell: string };
  callNumbers: [number, number, number, number];
  expires: number;
}

/** The server end of one rxkad connection. */
export class RxkadServerConn {
  private readonly opts: RxkadServerConnOptions;
  private readonly securityIndex: number;
  private challengeID = 0;
  private codec: RxkadPacketCodec | undefined;
  authenticated: RxkadAuthenticated | undefined;

  constructor(opts: RxkadServerConnOptions) {
    this.opts = opts;
    this.securityIndex = opts.securityIndex ?? 2;
  }

  /** A fresh v2 CHALLENGE {version 2, challengeID, minLevel, spare}. */
  challenge(): Buffer {
    this.challengeID = randomBytes(4).readInt32BE(0) & 0x7fffffff;
    const c = Buffer.alloc(16);
    c.writeInt32BE(RXKAD_CHALLENGE_VERSION, 0);
    c.writeInt32BE(this.challengeID, 4);
    c.writeInt32BE(this.opts.minLevel, 8);
    return c;
  }

  /** Verify a v2 RESPONSE as rxkad_CheckResponse does; on success the connection is authenticated. */
  checkResponse(resp: Buffer): RxkadAuthenticated {
    if (resp.length < RXKAD_V2_RESPONSE_SIZE)
      throw new RxkadError(RXKADPACKETSHORT, `response of ${resp.length} bytes`);
    const kvno = resp.readInt32BE(48);
    const tlen = resp.readInt32BE(52);
    if (resp.length < RXKAD_V2_RESPONSE_SIZE + tlen)
      throw new RxkadError(RXKADPACKETSHORT, 'ticket cut short');
    if (tlen < MIN_TICKET_LEN || tlen > MAX_TICKET_LEN)
      throw new RxkadError(RXKADTICKETLEN, `ticket of ${tlen} bytes`);
    const ticket = resp.subarray(RXKAD_V2_RESPONSE_SIZE, RXKAD_V2_RESPONSE_SIZE + tlen);
    const t = this.opts.decodeTicket(kvno, Buffer.from(ticket));
    const now = this.opts.now?.() ?? Math.floor(Date.now() / 1000);
    const timesErr = rxkadTimesError(rxkadCheckTimes(t.start, t.end, now));
    if (timesErr) throw timesErr;
    if (t.sessionKey.length !== 8) throw new RxkadError(RXKADBADKEY, 'session key is not 8 bytes');

    const ks = new FcryptSchedule(t.sessionKey);
    const clear = Buffer.from(resp.subarray(0, RXKAD_V2_RESPONSE_SIZE));
    fcryptPcbcInPlace(
      ks,
      fcryptIv(t.sessionKey),
      clear,
      RXKAD_V2_ENCRYPTED_OFFSET,
      RXKAD_V2_ENCRYPTED_SIZE,
      false,
    );
    if (rxkadResponseChecksum(clear) !== clear.readUInt32BE(16)) {
      throw new RxkadError(RXKADSEALEDINCON, 'response checksum mismatch');
    }
    const ep = rxkadEndpoint(this.opts.epoch, this.opts.cid, 0, this.securityIndex);
    clear.writeUInt32BE(0, 16);
    if (!ep.equals(clear.subarray(8, 24)))
      throw new RxkadError(RXKADSEALEDINCON, 'response names another connection');
    const callNumbers: [number, number, number, number] = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      callNumbers[i] = clear.readInt32BE(24 + 4 * i);
      if (callNumbers[i] < 0) throw new RxkadError(RXKADSEALEDINCON, 'negative call number');
    }
    if (clear.readInt32BE(40) !== ((this.challengeID + 1) | 0)) {
      throw new RxkadError(RXKADOUTOFSEQUENCE, 'response answers another challenge');
    }
    const level = clear.readInt32BE(44);
    if (level < this.opts.minLevel || !isRxkadLevel(level)) {
      throw new RxkadError(RXKADLEVELFAIL, `client level ${level}, server minimum ${this.opts.minLevel}`);
    }
    this.codec = new RxkadPacketCodec(
      t.sessionKey,
      level,
      this.opts.epoch,
      this.opts.cid,
      this.securityIndex,
    );
    this.authenticated = {
      level,
      kvno,
      client: { name: t.name, instance: t.instance, cell: t.cell },
      callNumbers,
      expires: t.end,
    };
    return this.authenticated;
  }

  private live(): RxkadPacketCodec {
    if (!this.codec || !this.authenticated)
      throw new RxkadError(RXKADEXPIRED, 'connection not authenticated');
    const now = this.opts.now?.() ?? Math.floor(Date.now() / 1000);
    if (this.authenticated.expires !== NEVERDATE && now >= this.authenticated.expires) {
      throw new RxkadError(RXKADEXPIRED, 'ticket lifetime over');
    }
    return this.codec;
  }

  seal(h: SecuredHeader, payload: Buffer): { payload: Buffer; cksum: number } {
    return this.live().seal(h, payload);
  }

  open(h: SecuredHeader, cksum: number, payload: Buffer): Buffer {
    return this.live().open(h, cksum, payload);
  }
}

/** Old-style (pre-v2) RESPONSE check, for completeness of the protocol: {incChallengeID, level} ECB. */
export function rxkadOpenOldResponse(
  sessionKey: Buffer,
  resp: Buffer,
): { incChallengeID: number; level: number } {
  if (resp.length < 16) throw new RxkadError(RXKADPACKETSHORT, 'old response too short');
  if (sessionKey.length !== 8) throw new RxkadError(RXKADINCONSISTENCY, 'session key');
  const w = new Int32Array(2);
  fcryptBlock(new FcryptSchedule(sessionKey), resp.readInt32BE(0), resp.readInt32BE(4), false, w);
  return { incChallengeID: w[0], level: w[1] };
}
