// DNS discovery of a cell's VL servers (protocol.md §13), as kAFS and `afsd -afsdb` do it:
// `_afs3-vlserver._udp.<cell>` SRV (RFC 5864), else AFSDB subtype 1 (RFC 1183), target hostnames
// resolved to IPv4 addresses, with the smallest TTL of every record used. The DNS itself is
// src/dns (message codec, transport, nameserver configuration).

import { DnsError, DnsNoSuchNameError } from '../dns/errors.js';
import {
  aData,
  afsdbData,
  answersFor,
  CLASS_IN,
  DNS_TYPE,
  type DnsMessage,
  isHostname,
  minTtl,
  negativeTtl,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  srvData,
} from '../dns/message.js';
import { Deadline, DnsResolver, type DnsResolverOptions, positive } from '../dns/resolver.js';
import { signalError } from '../dns/transport.js';
import { VL_PORT } from '../rpc/vl.js';
import type { AfsRecordOps, VlServerAnswer } from './ops.js';

const AFSDB_SUBTYPE_VL = 1;
/** Addresses kept per VL server hostname. */
const MAX_ADDRS_PER_HOST = 8;

/** The DNS knows no VL servers for the cell (NXDOMAIN, no SRV/AFSDB, no address). */
export class DnsNoSuchCellError extends DnsNoSuchNameError {
  constructor(
    readonly cell: string,
    detail: string,
    ttlSeconds?: number,
  ) {
    super(cell, detail, ttlSeconds, 'ERR_TSAFS_DNS_NO_SUCH_CELL', `no such cell in DNS: ${cell} (${detail})`);
  }
}

export interface AfsDnsOptions extends DnsResolverOptions {
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

export class AfsCellResolver {
  private readonly maxHosts: number;
  readonly dns: DnsResolver;

  constructor(readonly options: AfsDnsOptions = {}) {
    this.dns = new DnsResolver(options);
    this.maxHosts = positive(options.maxHosts, 16, 'maxHosts');
  }

  /** The nameservers this resolver asks, "host:port". */
  nameServers(): Promise<string[]> {
    return this.dns.nameServers();
  }

  /**
   * The VL servers of a cell as "a.b.c.d:port", in preference order, and the smallest TTL of the
   * records used. Shaped as AfsRecordOps.resolveVlServers.
   */
  async resolveVlServers(cellName: string, signal?: AbortSignal): Promise<VlServerAnswer> {
    const cell = cellName.toLowerCase().replace(/\.$/, '');
    if (!isHostname(cell)) throw new DnsNoSuchCellError(cell, 'not a DNS name');
    const d = new Deadline(this.dns.deadlineMs, signal);
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
        } else if (!(r.reason instanceof DnsNoSuchNameError)) {
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
    const srv = await this.dns.query(srvName, DNS_TYPE.SRV, signal);
    const srvSet = srv.rcode === RCODE_NOERROR ? answersFor(srv, srvName, DNS_TYPE.SRV) : undefined;
    if (srvSet && srvSet.records.length > 0) {
      const all = srvSet.records.map((r) => ({ ttl: r.ttl, ...srvData(srv, r) }));
      // RFC 2782: a lone "." target says the service is decidedly not offered here.
      const usable = all.filter((s) => s.target !== '' && s.target !== '.' && isHostname(s.target));
      if (usable.length === 0) {
        throw new DnsNoSuchCellError(cell, 'SRV records offer no VL server', minTtl(all, srvSet.chainTtl));
      }
      usable.sort(
        (a, b) => a.priority - b.priority || b.weight - a.weight || a.target.localeCompare(b.target),
      );
      const used = usable.slice(0, this.maxHosts);
      return {
        // As kAFS reads its DNS blob: port 0 means the default VL port.
        hosts: used.map((s) => ({ host: s.target, port: s.port || VL_PORT, from: srv })),
        ttl: minTtl(used, srvSet.chainTtl),
      };
    }
    const afsdb = await this.dns.query(cell, DNS_TYPE.AFSDB, signal);
    if (afsdb.rcode === RCODE_NXDOMAIN) throw new DnsNoSuchCellError(cell, 'NXDOMAIN', negativeTtl(afsdb));
    const set = answersFor(afsdb, cell, DNS_TYPE.AFSDB);
    const hosts: (VlHost & { ttl: number })[] = [];
    for (const r of set.records) {
      const a = afsdbData(afsdb, r);
      if (a.subtype !== AFSDB_SUBTYPE_VL || !isHostname(a.host) || hosts.length === this.maxHosts) continue;
      if (!hosts.some((h) => h.host === a.host))
        hosts.push({ host: a.host, port: VL_PORT, from: afsdb, ttl: r.ttl });
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
    const m = await this.dns.query(h.host, DNS_TYPE.A, signal);
    const set = m.rcode === RCODE_NOERROR ? answersFor(m, h.host, DNS_TYPE.A) : undefined;
    if (!set || set.records.length === 0) throw new DnsNoSuchNameError(h.host, 'no A record');
    const used = set.records.slice(0, MAX_ADDRS_PER_HOST);
    return { addrs: used.map((r) => aData(m, r)), ttl: minTtl(used, set.chainTtl) };
  }
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

/**
 * Whether and how cells outside the configuration are looked up in DNS. Discovery is on unless
 * `option` is false; without an option the environment decides: `TSAFS_DNS=off` turns it off, a
 * comma-separated list of nameservers replaces the system's.
 */
export function dnsDiscoveryOptions(
  option: AfsDnsOptions | false | undefined,
  env: string | undefined = process.env.TSAFS_DNS,
): AfsDnsOptions | undefined {
  if (option === false) return undefined;
  if (option !== undefined) return option;
  const v = env?.trim();
  if (!v) return {};
  if (/^(off|no|false|0)$/i.test(v)) return undefined;
  return { servers: v.split(/[\s,]+/).filter(Boolean) };
}

/** Names worth asking DNS about: hostnames with a dot (a bare `/afs/tmp` is never a query). */
export function mayDiscover(name: string): boolean {
  return name.includes('.') && isHostname(name.replace(/\.$/, ''));
}
