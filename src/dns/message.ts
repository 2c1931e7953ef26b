// DNS messages (RFC 1035): building a query and reading an answer. Answers are hostile input:
// every count, length, name and compression pointer is bounded before use, and RDATA stays in
// the buffer until a typed reader (A, SRV, AFSDB, CNAME, SOA) checks and decodes it.

import { DnsMalformedError } from './errors.js';

export const DNS_TYPE = { A: 1, CNAME: 5, SOA: 6, AFSDB: 18, SRV: 33, OPT: 41 } as const;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_NXDOMAIN = 3;
export const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;

/** The EDNS0 UDP payload we advertise (the DNS flag-day size: no IP fragmentation). */
const EDNS_UDP_SIZE = 1232;
/** No DNS message is larger (TCP length prefix is 16 bits). */
export const MAX_MESSAGE = 65535;
/** Resource records accepted in one message, all sections together. */
export const MAX_RECORDS = 512;
/** The smallest possible resource record: root name, type, class, TTL, rdlength. */
const MIN_RR_BYTES = 11;
const MAX_CNAME_CHAIN = 8;
/** RFC 1035 §2.3.4: names are at most 255 bytes on the wire, labels at most 63. */
const MAX_NAME_WIRE = 255;
const MAX_LABEL = 63;

export interface DnsQuestion {
  name: string;
  type: number;
  cls: number;
}

/** One resource record, its RDATA left in place (names in it may point anywhere earlier). */
export interface DnsRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  rdOffset: number;
  rdLength: number;
}

export interface DnsMessage {
  id: number;
  flags: number;
  rcode: number;
  truncated: boolean;
  question: DnsQuestion | undefined;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  buf: Buffer;
}

// ---- names ----

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A hostname safe to query and to log: LDH labels (and `_`), 63/253-byte limits. */
export function isHostname(s: string): boolean {
  return HOSTNAME.test(s);
}

/** A name in wire form, uncompressed. Only names isHostname accepts (or the root) are encoded. */
export function encodeName(name: string): Buffer {
  const n = name.replace(/\.$/, '').toLowerCase();
  if (n === '') return Buffer.from([0]);
  if (!isHostname(n)) throw new DnsMalformedError(`cannot ask for ${JSON.stringify(name.slice(0, 80))}`);
  const parts = n.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/**
 * The name at `off`, following compression pointers. A pointer must lead strictly before the
 * segment it sits in, so pointers only ever move backwards and every name ends (no loops).
 */
export function decodeName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = off;
  let segmentStart = off;
  let end = -1;
  let wire = 1;
  for (;;) {
    if (pos >= buf.length) throw new DnsMalformedError(`name at offset ${off} runs past the message end`);
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsMalformedError(`pointer at offset ${pos} cut short`);
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= segmentStart)
        throw new DnsMalformedError(`compression pointer at ${pos} does not point back`);
      if (end < 0) end = pos + 2;
      pos = target;
      segmentStart = target;
      continue;
    }
    if (kind !== 0) throw new DnsMalformedError(`label type 0x${kind.toString(16)} at offset ${pos}`);
    if (len > MAX_LABEL) throw new DnsMalformedError(`label of ${len} bytes`);
    if (pos + 1 + len > buf.length) throw new DnsMalformedError(`label at offset ${pos} cut short`);
    wire += len + 1;
    if (wire > MAX_NAME_WIRE)
      throw new DnsMalformedError(`name at offset ${off} longer than ${MAX_NAME_WIRE} bytes`);
    labels.push(escapeLabel(buf.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end };
}

/** A label as text; dots and bytes outside printable ASCII escaped (RFC 4343) so they cannot pass for structure. */
function escapeLabel(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${c.toString().padStart(3, '0')}`;
  }
  return s;
}

// ---- queries ----

/** A standard recursive query for `name`/`type` in class IN, with an EDNS0 OPT record. */
export function buildQuery(id: number, name: string, type: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(FLAG_RD, 2);
  header.writeUInt16BE(1, 4); // one question
  header.writeUInt16BE(1, 10); // one additional: the OPT record
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(CLASS_IN, 2);
  // OPT (RFC 6891): root owner, type 41, class = UDP payload size, TTL 0 (no flags), no options.
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(DNS_TYPE.OPT, 1);
  opt.writeUInt16BE(EDNS_UDP_SIZE, 3);
  return Buffer.concat([header, encodeName(name), q, opt]);
}

// ---- answers ----

/** RFC 2181 §8: a TTL with the top bit set is treated as zero. */
function ttlOf(raw: number): number {
  return raw > 0x7fffffff ? 0 : raw;
}

/** Parses a whole message; every offset is checked against the buffer before it is read. */
export function parseMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new DnsMalformedError(`${buf.length}-byte message is shorter than a header`);
  if (buf.length > MAX_MESSAGE) throw new DnsMalformedError(`${buf.length}-byte message`);
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const counts = [buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  const total = counts[0] + counts[1] + counts[2];
  if (qd > 1) throw new DnsMalformedError(`${qd} questions`);
  if (total > MAX_RECORDS || total * MIN_RR_BYTES > buf.length - 12) {
    throw new DnsMalformedError(
      `${total} records cannot fit in ${buf.length} bytes (or exceed ${MAX_RECORDS})`,
    );
  }
  let off = 12;
  let question: DnsQuestion | undefined;
  if (qd === 1) {
    const n = decodeName(buf, off);
    if (n.end + 4 > buf.length) throw new DnsMalformedError('question cut short');
    question = { name: n.name, type: buf.readUInt16BE(n.end), cls: buf.readUInt16BE(n.end + 2) };
    off = n.end + 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const n = decodeName(buf, off);
      if (n.end + 10 > buf.length) throw new DnsMalformedError(`record ${i} of section ${s} cut short`);
      const rdLength = buf.readUInt16BE(n.end + 8);
      const rdOffset = n.end + 10;
      if (rdOffset + rdLength > buf.length) {
        throw new DnsMalformedError(`record data of ${rdLength} bytes runs past the message end`);
      }
      sections[s]!.push({
        name: n.name,
        type: buf.readUInt16BE(n.end),
        cls: buf.readUInt16BE(n.end + 2),
        ttl: ttlOf(buf.readUInt32BE(n.end + 4)),
        rdOffset,
        rdLength,
      });
      off = rdOffset + rdLength;
    }
  }
  return {
    id,
    flags,
    rcode: flags & 0x0f,
    truncated: (flags & FLAG_TC) !== 0,
    question,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
    buf,
  };
}

/** A name inside RDATA that must end exactly at `end` (no bytes after it, none borrowed past it). */
function rdataName(m: DnsMessage, off: number, end: number): string {
  const n = decodeName(m.buf, off);
  if (n.end !== end) throw new DnsMalformedError(`name in record data ends at ${n.end}, not ${end}`);
  return n.name;
}

export function aData(m: DnsMessage, rr: DnsRecord): string {
  if (rr.rdLength !== 4) throw new DnsMalformedError(`A record of ${rr.rdLength} bytes`);
  const b = m.buf;
  const o = rr.rdOffset;
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export function srvData(m: DnsMessage, rr: DnsRecord): SrvData {
  if (rr.rdLength < 7) throw new DnsMalformedError(`SRV record of ${rr.rdLength} bytes`);
  const o = rr.rdOffset;
  return {
    priority: m.buf.readUInt16BE(o),
    weight: m.buf.readUInt16BE(o + 2),
    port: m.buf.readUInt16BE(o + 4),
    target: rdataName(m, o + 6, o + rr.rdLength),
  };
}

export function afsdbData(m: DnsMessage, rr: DnsRecord): { subtype: number; host: string } {
  if (rr.rdLength < 3) throw new DnsMalformedError(`AFSDB record of ${rr.rdLength} bytes`);
  const o = rr.rdOffset;
  return { subtype: m.buf.readUInt16BE(o), host: rdataName(m, o + 2, o + rr.rdLength) };
}

export function cnameData(m: DnsMessage, rr: DnsRecord): string {
  return rdataName(m, rr.rdOffset, rr.rdOffset + rr.rdLength);
}

/** RFC 2308 negative-caching TTL: min(SOA TTL, SOA MINIMUM) from the authority section. */
export function negativeTtl(m: DnsMessage): number | undefined {
  const soa = m.authorities.find((r) => r.type === DNS_TYPE.SOA && r.cls === CLASS_IN);
  if (!soa || soa.rdLength < 22) return undefined;
  return Math.min(soa.ttl, ttlOf(m.buf.readUInt32BE(soa.rdOffset + soa.rdLength - 4)));
}

/**
 * The records of `type` that answer `name`, following CNAMEs within the answer section (bounded).
 * `chainTtl` is the smallest TTL of the CNAMEs followed (Infinity when there are none): an answer
 * reached through them lives no longer than they do.
 */
export function answersFor(
  m: DnsMessage,
  name: string,
  type: number,
): { records: DnsRecord[]; chainTtl: number } {
  let owner = name.toLowerCase();
  let chainTtl = Infinity;
  for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
    const records = m.answers.filter((r) => r.name === owner && r.type === type && r.cls === CLASS_IN);
    if (records.length > 0) return { records, chainTtl };
    const cname = m.answers.find((r) => r.name === owner && r.type === DNS_TYPE.CNAME && r.cls === CLASS_IN);
    if (!cname) break;
    chainTtl = Math.min(chainTtl, cname.ttl);
    owner = cnameData(m, cname);
  }
  return { records: [], chainTtl };
}

/** The smallest TTL of the records used and of the CNAME chain that led to them. */
export function minTtl(records: readonly { ttl: number }[], chainTtl = Infinity): number {
  return records.reduce((t, r) => Math.min(t, r.ttl), chainTtl);
}
