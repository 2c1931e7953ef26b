// Typed errors of the DNS stub resolver. `temporary`: worth retrying soon (kAFS waits 10 s),
// unlike "no such name".

export class DnsError extends Error {
  readonly code: string;
  readonly temporary: boolean;
  constructor(code: string, message: string, temporary: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.temporary = temporary;
  }
}

/** NXDOMAIN, or no record of the kind asked for: the DNS knows no such name. */
export class DnsNoSuchNameError extends DnsError {
  constructor(
    readonly dnsName: string,
    detail: string,
    /** Negative-caching TTL from the SOA in the answer (RFC 2308), when the server sent one. */
    readonly ttlSeconds?: number,
    code = 'ERR_TSAFS_DNS_NO_SUCH_NAME',
    message = `no such name in DNS: ${dnsName} (${detail})`,
  ) {
    super(code, message, false);
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

/** The resolver was not configured usably (no nameserver named, none in the system configuration). */
export class DnsConfigError extends DnsError {
  constructor(message: string) {
    super('ERR_TSAFS_DNS_CONFIG', message, false);
  }
}
