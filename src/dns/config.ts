// Which nameservers the stub resolver asks: ones named by the caller, or the system's. The system
// configuration is what Node's own resolver read from /etc/resolv.conf (`dns.getServers()`), or a
// resolv.conf named explicitly. Only IP literals are accepted: asking DNS where DNS is would loop.

// The default import: named imports are bound to the resolver Node started with, and miss
// `dns.setServers` made later in the process.
import dns from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { DnsConfigError } from './errors.js';

export const DNS_PORT = 53;
/** resolv.conf's MAXNS. */
const MAX_SYSTEM_NAMESERVERS = 3;

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

export function serverLabel(ns: NameServer): string {
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

/** The nameservers of a resolv.conf file. */
export async function resolvConfServers(path: string): Promise<NameServer[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DnsConfigError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const list = parseResolvConf(text);
  if (list.length === 0) throw new DnsConfigError(`${path} names no nameserver`);
  return list;
}

/** The nameservers Node's resolver uses (resolv.conf, or what `dns.setServers` set in this process). */
export function systemServers(): NameServer[] {
  const list = dns.getServers().map(parseNameServer);
  if (list.length === 0) throw new DnsConfigError('the system resolver configuration names no nameserver');
  return list;
}
