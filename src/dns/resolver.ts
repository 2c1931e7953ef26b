// A small stub resolver: one question asked of each nameserver in turn, for a bounded number of
// rounds, within a deadline. Node's own resolver gives neither SRV TTLs nor AFSDB, so tsafs asks
// the nameservers itself (the same ones Node uses, unless told otherwise).

import { randomInt } from 'node:crypto';
import { type NameServer, parseNameServer, resolvConfServers, serverLabel, systemServers } from './config.js';
import { DnsConfigError, DnsError, DnsServerFailureError, DnsUnreachableError } from './errors.js';
import {
  buildQuery,
  CLASS_IN,
  type DnsMessage,
  type DnsQuestion,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
} from './message.js';
import { type Exchange, signalError, tcpExchange, udpExchange } from './transport.js';

export interface DnsResolverOptions {
  /**
   * The nameservers to ask ("a.b.c.d", "a.b.c.d:port", "[v6]:port"), or 'system' (default): the
   * ones Node's resolver uses (/etc/resolv.conf), or those of `resolvConf` when it is given.
   */
  servers?: readonly string[] | 'system';
  /** A resolv.conf to read for `servers: 'system'` instead of Node's configuration. */
  resolvConf?: string;
  /** Wait for one answer from one server (ms, default 2000). */
  timeoutMs?: number;
  /** Rounds over the server list per query (default 2). */
  attempts?: number;
  /** Bound on a whole resolution, every query included (ms, default 10 000). */
  deadlineMs?: number;
}

/** A deadline for one resolution, combined with the caller's signal. */
export class Deadline {
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

export function positive(v: number | undefined, def: number, what: string): number {
  if (v === undefined) return def;
  if (!Number.isFinite(v) || v <= 0) throw new DnsConfigError(`${what} must be a positive number`);
  return v;
}

export class DnsResolver {
  private readonly timeoutMs: number;
  private readonly attempts: number;
  readonly deadlineMs: number;
  private servers: Promise<NameServer[]>;

  constructor(options: DnsResolverOptions = {}) {
    const s = options.servers ?? 'system';
    if (s === 'system') {
      this.servers = options.resolvConf
        ? resolvConfServers(options.resolvConf)
        : new Promise((resolve) => resolve(systemServers()));
      this.servers.catch(() => {}); // reported on first use, not as an unhandled rejection
    } else {
      if (!Array.isArray(s) || s.length === 0) {
        throw new DnsConfigError("nameservers must be a non-empty list ['a.b.c.d:port'] or 'system'");
      }
      this.servers = Promise.resolve(s.map(parseNameServer));
    }
    this.timeoutMs = positive(options.timeoutMs, 2000, 'timeoutMs');
    this.attempts = positive(options.attempts, 2, 'attempts');
    this.deadlineMs = positive(options.deadlineMs, 10_000, 'deadlineMs');
  }

  /** The nameservers this resolver asks, "host:port". */
  async nameServers(): Promise<string[]> {
    return (await this.servers).map(serverLabel);
  }

  /**
   * One question, asked of each server in turn for `attempts` rounds. NOERROR and NXDOMAIN are
   * answers; SERVFAIL/REFUSED, timeouts and malformed replies move on to the next server. Without
   * a signal, the resolver's own deadline bounds it.
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
}
