// rxkad tickets in the Kerberos 4 ("Athena") layout that OpenAFS's tkt_MakeTicket builds for
// -localauth and tkt_DecodeTicket checks on every server: a plaintext record sealed with the
// server's DES key in PCBC mode (key doubles as IV).
import { DesKey, desPcbcDecrypt, desPcbcEncrypt, isWeakDesKey } from '../rx/crypto/des.js';
import { RXKADBADKEY, RXKADBADTICKET, RxkadError } from '../rx/security/rxkad-errors.js';
import {
  MAX_TICKET_LIFETIME,
  NEVERDATE,
  type RxkadTicketContents,
  rxkadCheckTimes,
  rxkadTimesError,
} from '../rx/security/rxkad-server.js';

export const MAX_NAME_LEN = 64; // MAXKTCNAMELEN / MAXKTCREALMLEN, including the NUL
const MIN_TICKET_LEN = 32;
const MAX_TICKET_LEN = 12000;

// Kerberos 4 lifetime byte: < 0x80 counts 5-minute units; 0x80..0xbf index this table of
// seconds (a geometric series from 10.67 hours to 30 days, OpenAFS lifetimes.h); 0xff never expires.
const LIFE_MIN_FIXED = 0x80;
const LIFE_MAX_FIXED = 0xbf;
const LIFE_NO_EXPIRE = 0xff;
const FIXED_LIFETIMES = [
  38400, 41055, 43894, 46929, 50174, 53643, 57352, 61318, 65558, 70091, 74937, 80119, 85658, 91581, 97914,
  104684, 111922, 119661, 127935, 136781, 146239, 156350, 167161, 178720, 191077, 204289, 218415, 233517,
  249664, 266926, 285383, 305116, 326213, 348769, 372885, 398668, 426234, 455705, 487215, 520904, 556921,
  595430, 636601, 680618, 727680, 777995, 831789, 889303, 950794, 1016537, 1086825, 1161973, 1242318, 1328218,
  1420057, 1518247, 1623226, 1735464, 1855462, 1983758, 2120925, 2267576, 2424367, 2592000,
];

/** End time encoded by a lifetime byte (life_to_time). */
export function lifeToTime(start: number, life: number): number {
  if (life === LIFE_NO_EXPIRE) return NEVERDATE;
  if (life < LIFE_MIN_FIXED) return start + life * 300;
  if (life > LIFE_MAX_FIXED) return start + MAX_TICKET_LIFETIME;
  return start + FIXED_LIFETIMES[life - LIFE_MIN_FIXED];
}

/** Smallest lifetime byte covering [start, end] (time_to_life); 0 when the span is unencodable. */
export function timeToLife(start: number, end: number): number {
  if (end === NEVERDATE) return LIFE_NO_EXPIRE;
  const lifetime = end - start;
  if (lifetime > MAX_TICKET_LIFETIME || lifetime <= 0) return 0;
  if (lifetime < FIXED_LIFETIMES[0]) return Math.ceil(lifetime / 300);
  for (let i = 0; i < FIXED_LIFETIMES.length; i++) {
    if (FIXED_LIFETIMES[i] >= lifetime) return i + LIFE_MIN_FIXED; // the table is increasing
  }
  return 0;
}

export class TicketError extends RxkadError {
  constructor(detail: string, code = RXKADBADTICKET) {
    super(code, detail);
    this.name = 'TicketError';
  }
}

export interface TicketFields {
  name: string;
  instance: string;
  /** Realm/cell of the client; "" means the server's own cell (what -localauth uses). */
  cell: string;
  /** Client IPv4 address as a 32-bit number; 0 = any (servers ignore it). */
  host: number;
  sessionKey: Uint8Array;
  /** Unix seconds; 0 with end 0xffffffff is an unlimited ticket, as -localauth mints. */
  start: number;
  end: number;
  /** Service principal the ticket is for: "afs", "" for AFS servers. */
  serviceName: string;
  serviceInstance: string;
}

function putString(out: number[], s: string, min: number, what: string): void {
  const b = Buffer.from(s, 'utf8');
  if (b.includes(0)) throw new TicketError(`${what} contains NUL`);
  if (b.length < min || b.length >= MAX_NAME_LEN)
    throw new TicketError(`${what} length ${b.length} out of range`);
  for (const x of b) out.push(x);
  out.push(0);
}

function putWord(out: number[], v: number): void {
  out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/** The cleartext ticket record (assemble_athena_ticket), unpadded. */
export function assembleTicket(f: TicketFields): Buffer {
  if (f.sessionKey.length !== 8) throw new TicketError('session key must be 8 bytes', RXKADBADKEY);
  const life = timeToLife(f.start, f.end);
  if (life === 0) throw new TicketError(`lifetime ${f.start}..${f.end} cannot be encoded`);
  const out: number[] = [0]; // flags: bit 0 clear = big-endian integers
  putString(out, f.name, 1, 'name');
  putString(out, f.instance, 0, 'instance');
  putString(out, f.cell, 0, 'cell');
  putWord(out, f.host >>> 0);
  for (const x of f.sessionKey) out.push(x);
  out.push(life);
  putWord(out, f.start >>> 0);
  putString(out, f.serviceName, 1, 'service name');
  putString(out, f.serviceInstance, 0, 'service instance');
  return Buffer.from(out);
}

/** tkt_MakeTicket: assemble, zero-pad to 8 and seal with DES-PCBC under the server key. */
export function makeTicket(f: TicketFields, serverKey: Uint8Array): Buffer {
  if (serverKey.length !== 8 || isWeakDesKey(serverKey))
    throw new TicketError('unusable server key', RXKADBADKEY);
  return desPcbcEncrypt(new DesKey(serverKey), serverKey, assembleTicket(f));
}

export interface DecodedTicket extends RxkadTicketContents {
  serviceName: string;
  serviceInstance: string;
}

/**
 * tkt_DecodeTicket: unseal with the server key, parse, and (unless `now` is null) apply the
 * server's time checks. Every malformation is RXKADBADTICKET, as on a real server.
 */
export function decodeTicket(
  ticket: Uint8Array,
  serverKey: Uint8Array,
  now: number | null = Math.floor(Date.now() / 1000),
): DecodedTicket {
  const len = ticket.length;
  if (len < MIN_TICKET_LEN || len > MAX_TICKET_LEN || len % 8 !== 0)
    throw new TicketError(`ticket of ${len} bytes`);
  if (serverKey.length !== 8) throw new TicketError('server key must be 8 bytes', RXKADBADKEY);
  const t = desPcbcDecrypt(new DesKey(serverKey), serverKey, ticket);
  let p = 0;
  const getString = (min: number, what: string): string => {
    const nul = t.indexOf(0, p);
    if (nul < 0 || nul - p < min || nul - p >= MAX_NAME_LEN) throw new TicketError(`bad ${what}`);
    const s = t.toString('utf8', p, nul);
    p = nul + 1;
    return s;
  };
  const need = (n: number) => {
    if (p + n > len) throw new TicketError('ticket record truncated');
  };
  const flags = t[p++];
  const littleEndian = (flags & 1) !== 0;
  const name = getString(1, 'name');
  const instance = getString(0, 'instance');
  const cell = getString(0, 'cell');
  need(4 + 8 + 1 + 4);
  const host = littleEndian ? t.readUInt32LE(p) : t.readUInt32BE(p);
  p += 4;
  const sessionKey = Buffer.from(t.subarray(p, p + 8));
  p += 8;
  const life = t[p++];
  const start = littleEndian ? t.readUInt32LE(p) : t.readUInt32BE(p);
  p += 4;
  const end = lifeToTime(start, life);
  const serviceName = getString(1, 'service name');
  const serviceInstance = getString(0, 'service instance');
  // The record must fill the ticket up to padding (56 is a length some old servers emitted).
  if (((p + 7) & ~7) !== len && len !== 56)
    throw new TicketError('ticket length does not match its contents');
  if (now !== null) {
    const err = rxkadTimesError(rxkadCheckTimes(start, end, now));
    if (err) throw err;
  }
  return { name, instance, cell, host, sessionKey, start, end, serviceName, serviceInstance };
}
