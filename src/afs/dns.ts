// DNS discovery of a cell's VL servers (protocol.md §13): `_afs3-vlserver._udp.<cell>` SRV
// (RFC 5864), else AFSDB subtype 1 (RFC 1183), target hostnames resolved to IPv4 addresses, with
// the smallest TTL of every record used. Node's resolver exposes neither AFSDB nor SRV TTLs, so
// queries are built with dns-packet and sent over node:dgram (TCP when the answer is truncated).
// Only the nameservers the caller names are asked: DNS lookup of cells is opt-in (as afsd -afsdb),
// and the system resolver configuration is read only when asked for with `servers: 'system'`.
// Answers are hostile input: every count, length and name is bounded before use.

import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6, connect as tcpConnect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { AfsRecordOps, VlServerAnswer } from './ops.js';
import { AfsRecordError } from './record-errors.js';

export const AFS_VL_PORT = 7003;
const DNS_PORT = 53;

export const DNS_TYPE = { A: 1, CNAME: 5, SOA: 6, AFSDB: 18, SRV: 33, OPT: 41 } as const;
const CLASS_IN = 1;
const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;
const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const AFSDB_SUBTYPE_VL = 1;

/** The EDNS0 UDP payload we advertise (the DNS flag-day size: no IP fragmentation). */
const EDNS_UDP_SIZE = 1232;
/** No DNS message is larger (TCP length prefix is 16 bits). */
export const MAX_MESSAGE = 65535;
/** Resource records accepted in one message, all sections together. */
export const MAX_RECORDS = 512;
/** The smallest possible resource record: root name, type, class, TTL, rdlength. */
const MIN_RR_BYTES = 11;
const MAX_CNAME_CHAIN = 8;
/** Addresses kept per VL server hostname. */
const MAX_ADDRS_PER_HOST = 8;
/** resolv.conf's MAXNS. */
const MAX_SYSTEM_NAMESERVERS = 3;

// dns-packet's name codec handles compression safely (pointers only to earlier bytes, 254-byte
// cap); @types/dns-packet does not declare it, so it is typed here.
type NameDecode = ((buf: Buffer, offset?: number) => string) & { bytes: number };
const wireName = (dnsPacket as unknown as { name: { decode: NameDecode } }).name;

// ---- errors ----

/** Base of the DNS errors. `temporary`: worth retrying soon (kAFS: 10 s), unlike "no such cell". */
export class DnsError extends AfsRecordError {
  readonly temporary: boolean;
  constructor(code: string, message: string, temporary: boolean, options?: { cause?: unknown }) {
    super(code, message, options);
    this.temporary = temporary;
  }
}

/** NXDOMAIN, or no SRV/AFSDB record leading to an address: the DNS knows no such cell. */
export class DnsNoSuchCellError extends DnsError {
  constructor(
    readonly cell: string,
    detail: string,
    /** Negative-caching TTL from the SOA in the answer (RFC 2308), when the server sent one. */
    readonly ttlSeconds?: number,
  ) {
    super('ERR_TSAFS_DNS_NO_SUCH_CELL', `no such cell in DNS: ${cell} (${detail})`, false);
  }
}

/** No configured nameserver answered (timeout, ICMP refused) before the deadline. */
export class DnsUnreachableError extends DnsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TSAFS_DNS_UNREACHABLE', message, true, options);
  }
}

/** The nameserver answered with SERVFAIL, REFUSED, NOTIMP or FORMERR. */
export class DnsServerFailureError extends DnsError {
  constructor(
    readonly server: string,
    readonly rcode: number,
  ) {
    super('ERR_TSAFS_DNS_SERVER_FAILURE', `nameserver ${server} answered rcode ${rcode}`, true);
  }
}

/** The answer could not be parsed within its bounds (truncated, absurd counts, bad names...). */
export class DnsMalformedError extends DnsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TSAFS_DNS_MALFORMED', `malformed DNS message: ${message}`, true, options);
  }
}

/** DNS discovery was not configured usably (no nameserver named, none in resolv.conf). */
export class DnsConfigError extends DnsError {
  constructor(message: string) {
    super('ERR_TSAFS_DNS_CONFIG', message, false);
  }
}

// ---- messages ----

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

/** A standard recursive query with an EDNS0 OPT record. */
export function buildQuery(id: number, name: string, type: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    // dns-packet's RecordType union lacks AFSDB's name in its types; its codec knows it.
    questions: [{ name, type: typeName(type) as 'A', class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: EDNS_UDP_SIZE,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  });
}

function typeName(type: number): string {
  const e = Object.entries(DNS_TYPE).find(([, v]) => v === type);
  if (!e) throw new DnsConfigError(`no query type ${type}`);
  return e[0];
}

function decodeName(buf: Buffer, off: number): { name: string; end: number } {
  try {
    const name = wireName.decode(buf, off);
    return { name: name.toLowerCase(), end: off + wireName.decode.bytes };
  } catch (e) {
    throw new DnsMalformedError(`bad name at offset ${off}`, { cause: e });
  }
}

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

// ---- names ----

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A hostname safe to query and to log: LDH labels (and `_`), 63/253-byte limits. */
export function isHostname(s: string): boolean {
  return HOSTNAME.test(s);
}

// ---- nameservers ----

export interface NameServer {
  host: string;
  port: number;
}

/** "a.b.c.d", "a.b.c.d:port", "::1", "[::1]:port" → a nameserver; only IP literals. */
export function parseNameServer(s: string): NameServer {
  let host = s;
  let port = DNS_PORT;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (!isIPv6(s)) {
    const m = /^([^:]+)(?::(\d+))?$/.exec(s);
    if (m) {
      host = m[1]!;
      if (m[2] !== undefined) port = Number(m[2]);
    }
  }
  if (!(isIPv4(host) || isIPv6(host)) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DnsConfigError(`nameserver ${JSON.stringify(s)} is not an IP address with an optional port`);
  }
  return { host, port };
}

function serverLabel(ns: NameServer): string {
  return isIPv6(ns.host) ? `[${ns.host}]:${ns.port}` : `${ns.host}:${ns.port}`;
}

/** The `nameserver` lines of a resolv.conf text (at most 3, as the C library reads). */
export function parseResolvConf(text: string): NameServer[] {
  const out: NameServer[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const addr = m[1]!.replace(/%.*$/, ''); // drop an IPv6 zone id
    if (!(isIPv4(addr) || isIPv6(addr))) continue;
    out.push({ host: addr, port: DNS_PORT });
    if (out.length === MAX_SYSTEM_NAMESERVERS) break;
  }
  return out;
}

// ---- transport ----

function signalError(signal: AbortSignal): unknown {
  return signal.reason ?? new DnsUnreachableError('aborted');
}

/** Whether a reply with the right id is the answer to our question. */
function answersQuestion(m: DnsMessage, q: DnsQuestion): boolean {
  if ((m.flags & FLAG_QR) === 0) return false;
  if (!m.question) return m.rcode !== RCODE_NOERROR && m.rcode !== RCODE_NXDOMAIN; // FORMERR and kin
  return m.question.name === q.name && m.question.type === q.type && m.question.cls === q.cls;
}

type Finish = (err: unknown, m?: DnsMessage) => void;

/** One question to one nameserver over one transport. */
interface Exchange {
  ns: NameServer;
  query: Buffer;
  q: DnsQuestion;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * The shell of one exchange: `start` opens a transport and returns how to close it; the exchange
 * ends at the first of an answer, an error, the per-query timeout or the signal. `offer` parses a
 * reply: a malformed one ends the exchange, one that is not ours returns false.
 */
function exchange(
  x: Exchange,
  what: string,
  start: (finish: Finish, offer: (msg: Buffer) => boolean) => () => void,
): Promise<DnsMessage> {
  const { signal, timeoutMs } = x;
  const id = x.query.readUInt16BE(0);
  return new Promise<DnsMessage>((resolve, reject) => {
    if (signal.aborted) return reject(signalError(signal));
    let done = false;
    let close: (() => void) | undefined;
    const finish: Finish = (err, m) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      close?.();
      if (err) reject(err);
      else resolve(m!);
    };
    const offer = (msg: Buffer): boolean => {
      if (msg.length < 2 || msg.readUInt16BE(0) !== id) return false;
      try {
        const m = parseMessage(msg);
        if (!answersQuestion(m, x.q)) return false;
        finish(null, m);
      } catch (e) {
        finish(e);
      }
      return true;
    };
    const onAbort = () => finish(signalError(signal));
    const timer = setTimeout(
      () => finish(new DnsUnreachableError(`no answer from ${what} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
    close = start(finish, offer);
    if (done) close();
  });
}

function transportError(what: string, finish: Finish) {
  return (e: NodeJS.ErrnoException) =>
    finish(new DnsUnreachableError(`${what}: ${e.code ?? e.message}`, { cause: e }));
}

/** One UDP exchange; replies that are not ours (id, question) are ignored, as spoofing defence. */
function udpExchange(x: Exchange): Promise<DnsMessage> {
  const what = serverLabel(x.ns);
  return exchange(x, what, (finish, offer) => {
    const sock = createSocket(isIPv6(x.ns.host) ? 'udp6' : 'udp4');
    sock.on('error', transportError(what, finish));
    sock.on('message', (msg) => offer(msg));
    // A connected socket only hears from the server asked, and learns of ICMP refusals at once.
    sock.connect(x.ns.port, x.ns.host, () => sock.send(x.query));
    return () => sock.close();
  });
}

/** The same question over TCP (RFC 7766), for answers that did not fit in UDP. */
function tcpExchange(x: Exchange): Promise<DnsMessage> {
  const what = `${serverLabel(x.ns)} (TCP)`;
  return exchange(x, what, (finish, offer) => {
    const sock = tcpConnect({ host: x.ns.host, port: x.ns.port });
    let got = Buffer.alloc(0);
    sock.on('error', transportError(what, finish));
    sock.on('close', () => finish(new DnsMalformedError('TCP connection closed before a whole message')));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(x.query.length);
      sock.write(Buffer.concat([len, x.query]));
    });
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length > 2 + MAX_MESSAGE)
        return finish(new DnsMalformedError('TCP stream longer than a message'));
      if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
      if (!offer(got.subarray(2, 2 + got.readUInt16BE(0)))) {
        finish(new DnsMalformedError('TCP answer is not for our question'));
      }
    });
    return () => sock.destroy();
  });
}

// ---- the resolver ----

export interface AfsDnsOptions {
  /**
   * The nameservers to ask ("a.b.c.d", "a.b.c.d:port", "[v6]:port"), or 'system' to read the
   * `nameserver` lines of resolv.conf. Required: nothing is asked by default.
   */
  servers: readonly string[] | 'system';
  /** resolv.conf path for `servers: 'system'` (default /etc/resolv.conf). */
  resolvConf?: string;
  /** Wait for one answer from one server (ms, default 2000). */
  timeoutMs?: number;
  /** Rounds over the server list per query (default 2). */
  attempts?: number;
  /** Bound on a whole cell resolution, every query included (ms, default 10 000). */
  deadlineMs?: number;
  /** VL server hostnames used per cell (default 16). */
  maxHosts?: number;
}

/** One VL server hostname with where it came from. */
interface VlHost {
  host: string;
  port: number;
  /** The message that named it (its additional section may carry the addresses). */
  from: DnsMessage;
}

/** A deadline for one resolution, combined with the caller's signal. */
class Deadline {
  readonly signal: AbortSignal;
  private readonly ctl = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly ms: number,
    caller: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(
      () => this.ctl.abort(new DnsUnreachableError(`DNS deadline of ${ms} ms passed`)),
      ms,
    );
    this.timer.unref();
    this.signal = caller ? AbortSignal.any([caller, this.ctl.signal]) : this.ctl.signal;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

export class AfsCellResolver {
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly deadlineMs: number;
  private readonly maxHosts: number;
  private servers: Promise<NameServer[]>;

  constructor(readonly options: AfsDnsOptions) {
    const s = options?.servers;
    if (s === 'system') {
      const path = options.resolvConf ?? '/etc/resolv.conf';
      this.servers = readFile(path, 'utf8').then(
        (text) => {
          const list = parseResolvConf(text);
          if (list.length === 0) throw new DnsConfigError(`${path} names no nameserver`);
          return list;
        },
        (e: NodeJS.ErrnoException) => {
          throw new DnsConfigError(`cannot read ${path}: ${e.code ?? e.message}`);
        },
      );
      this.servers.catch(() => {}); // reported on first use, not as an unhandled rejection
    } else {
      if (!Array.isArray(s) || s.length === 0) {
        throw new DnsConfigError(
          "DNS cell discovery needs nameservers: { servers: ['a.b.c.d:port'] } or 'system'",
        );
      }
      this.servers = Promise.resolve(s.map(parseNameServer));
    }
    this.timeoutMs = positive(options.timeoutMs, 2000, 'timeoutMs');
    this.attempts = positive(options.attempts, 2, 'attempts');
    this.deadlineMs = positive(options.deadlineMs, 10_000, 'deadlineMs');
    this.maxHosts = positive(options.maxHosts, 16, 'maxHosts');
  }

  /** The nameservers this resolver asks, "host:port". */
  async nameServers(): Promise<string[]> {
    return (await this.servers).map(serverLabel);
  }

  /**
   * One question, asked of each server in turn for `attempts` rounds. NOERROR and NXDOMAIN are
   * answers; SERVFAIL/REFUSED, timeouts and malformed replies move on to the next server.
   */
  async query(name: string, type: number, signal?: AbortSignal): Promise<DnsMessage> {
    const d = signal ? null : new Deadline(this.deadlineMs, undefined);
    try {
      return await this.ask(name, type, signal ?? d!.signal);
    } finally {
      d?.dispose();
    }
  }

  private async ask(name: string, type: number, signal: AbortSignal): Promise<DnsMessage> {
    const servers = await this.servers;
    const q: DnsQuestion = { name: name.toLowerCase(), type, cls: CLASS_IN };
    let last: unknown = new DnsUnreachableError('no nameserver was asked');
    for (let round = 0; round < this.attempts; round++) {
      for (const ns of servers) {
        if (signal.aborted) throw signalError(signal);
        // A fresh id per send: a late reply to an earlier send cannot be taken for this one.
        const query = buildQuery(randomInt(0, 0x10000), q.name, type);
        try {
          const x: Exchange = { ns, query, q, timeoutMs: this.timeoutMs, signal };
          let m = await udpExchange(x);
          if (m.truncated) m = await tcpExchange(x);
          if (m.rcode !== RCODE_NOERROR && m.rcode !== RCODE_NXDOMAIN) {
            throw new DnsServerFailureError(serverLabel(ns), m.rcode);
          }
          return m;
        } catch (e) {
          if (signal.aborted) throw signalError(signal);
          if (!(e instanceof DnsError)) throw e;
          last = e;
        }
      }
    }
    throw last;
  }

  /**
   * The VL servers of a cell as "a.b.c.d:port", in preference order, and the smallest TTL of the
   * records used. Shaped as AfsRecordOps.resolveVlServers.
   */
  async resolveVlServers(cellName: string, signal?: AbortSignal): Promise<VlServerAnswer> {
    const cell = cellName.toLowerCase().replace(/\.$/, '');
    if (!isHostname(cell)) throw new DnsNoSuchCellError(cell, 'not a DNS name');
    const d = new Deadline(this.deadlineMs, signal);
    try {
      const found = await this.vlHosts(cell, d.signal);
      const servers: string[] = [];
      let ttl = found.ttl;
      let temporary: DnsError | undefined;
      const results = await Promise.allSettled(found.hosts.map((h) => this.addressesOf(h, d.signal)));
      results.forEach((r, i) => {
        const h = found.hosts[i]!;
        if (r.status === 'fulfilled') {
          ttl = Math.min(ttl, r.value.ttl);
          for (const a of r.value.addrs) {
            const s = `${a}:${h.port}`;
            if (!servers.includes(s)) servers.push(s);
          }
        } else if (r.reason instanceof DnsError && r.reason.temporary) {
          temporary ??= r.reason;
        } else if (!(r.reason instanceof DnsNoSuchCellError)) {
          throw r.reason;
        }
      });
      if (servers.length === 0) {
        if (signal?.aborted) throw signalError(signal);
        if (temporary) throw temporary;
        throw new DnsNoSuchCellError(cell, 'its VL server names have no IPv4 address');
      }
      return { servers, ttlSeconds: Number.isFinite(ttl) ? ttl : 0 };
    } finally {
      d.dispose();
    }
  }

  /** SRV first (RFC 5864), AFSDB subtype 1 when there is no SRV record at all. */
  private async vlHosts(cell: string, signal: AbortSignal): Promise<{ hosts: VlHost[]; ttl: number }> {
    const srvName = `_afs3-vlserver._udp.${cell}`;
    const srv = await this.ask(srvName, DNS_TYPE.SRV, signal);
    const srvSet = srv.rcode === RCODE_NOERROR ? answersFor(srv, srvName, DNS_TYPE.SRV) : undefined;
    if (srvSet && srvSet.records.length > 0) {
      const all = srvSet.records.map((r) => ({ ttl: r.ttl, ...srvData(srv, r) }));
      // RFC 2782: a lone "." target says the service is decidedly not offered here.
      const usable = all.filter((s) => s.target !== '.' && isHostname(s.target));
      if (usable.length === 0) {
        throw new DnsNoSuchCellError(cell, 'SRV records offer no VL server', minTtl(all, srvSet.chainTtl));
      }
      usable.sort(
        (a, b) => a.priority - b.priority || b.weight - a.weight || a.target.localeCompare(b.target),
      );
      const used = usable.slice(0, this.maxHosts);
      return {
        // As kAFS reads its DNS blob: port 0 means the default VL port.
        hosts: used.map((s) => ({ host: s.target, port: s.port || AFS_VL_PORT, from: srv })),
        ttl: minTtl(used, srvSet.chainTtl),
      };
    }
    const afsdb = await this.ask(cell, DNS_TYPE.AFSDB, signal);
    if (afsdb.rcode === RCODE_NXDOMAIN) throw new DnsNoSuchCellError(cell, 'NXDOMAIN', negativeTtl(afsdb));
    const set = answersFor(afsdb, cell, DNS_TYPE.AFSDB);
    const hosts: (VlHost & { ttl: number })[] = [];
    for (const r of set.records) {
      const a = afsdbData(afsdb, r);
      if (a.subtype !== AFSDB_SUBTYPE_VL || !isHostname(a.host) || hosts.length === this.maxHosts) continue;
      if (!hosts.some((h) => h.host === a.host))
        hosts.push({ host: a.host, port: AFS_VL_PORT, from: afsdb, ttl: r.ttl });
    }
    if (hosts.length === 0) {
      throw new DnsNoSuchCellError(cell, 'no SRV or AFSDB record', negativeTtl(afsdb) ?? negativeTtl(srv));
    }
    return { hosts, ttl: minTtl(hosts, set.chainTtl) };
  }

  /** A hostname's IPv4 addresses: from the additional section that came with it, else an A query. */
  private async addressesOf(h: VlHost, signal: AbortSignal): Promise<{ addrs: string[]; ttl: number }> {
    const extra = h.from.additionals.filter(
      (r) => r.name === h.host && r.type === DNS_TYPE.A && r.cls === CLASS_IN,
    );
    if (extra.length > 0) {
      const used = extra.slice(0, MAX_ADDRS_PER_HOST);
      return { addrs: used.map((r) => aData(h.from, r)), ttl: minTtl(used) };
    }
    const m = await this.ask(h.host, DNS_TYPE.A, signal);
    const set = m.rcode === RCODE_NOERROR ? answersFor(m, h.host, DNS_TYPE.A) : undefined;
    if (!set || set.records.length === 0) throw new DnsNoSuchCellError(h.host, 'no A record');
    const used = set.records.slice(0, MAX_ADDRS_PER_HOST);
    return { addrs: used.map((r) => aData(m, r)), ttl: minTtl(used, set.chainTtl) };
  }
}

function positive(v: number | undefined, def: number, what: string): number {
  if (v === undefined) return def;
  if (!Number.isFinite(v) || v <= 0) throw new DnsConfigError(`${what} must be a positive number`);
  return v;
}

/** `ops` with DNS discovery of VL servers added (every other operation delegated unchanged). */
export function withDnsDiscovery(ops: AfsRecordOps, resolver: AfsCellResolver): AfsRecordOps {
  return {
    vlGetEntry: (cell, nameOrId, signal) => ops.vlGetEntry(cell, nameOrId, signal),
    vlGetAddrs: (cell, uuid, signal) => ops.vlGetAddrs(cell, uuid, signal),
    fsProbe: (server, addrs, signal) => ops.fsProbe(server, addrs, signal),
    fsGiveUpAllCallBacks: (server, addr, signal) => ops.fsGiveUpAllCallBacks(server, addr, signal),
    resolveVlServers: (cellName, signal) => resolver.resolveVlServers(cellName, signal),
  };
}
