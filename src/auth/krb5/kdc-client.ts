// Sends one request to a realm's KDCs and returns the first answer. UDP first (TCP first when the
// request exceeds udp_preference_limit), TCP when the KDC answers KRB_ERR_RESPONSE_TOO_BIG.
// KDC addresses come only from krb5.conf: IP literals or "localhost" — never DNS.

import { createSocket } from 'node:dgram';
import { isIP, Socket } from 'node:net';
import type { Krb5Config } from './config.js';
import { KdcUnreachableError, KRB_ERR_RESPONSE_TOO_BIG, Krb5Error } from './errors.js';
import { decodeKrbError, MSG_AS_REP, MSG_KRB_ERROR, MSG_TGS_REP, messageType } from './messages.js';

export interface KdcAddress {
  host: string;
  port: number;
}

export interface KdcExchangeOptions {
  /** Whole exchange deadline in ms (default 10 000). */
  timeoutMs?: number;
  /** Rounds over the KDC list (default 3). */
  rounds?: number;
  /** First per-attempt UDP wait; doubles each round (default 1000). */
  attemptTimeoutMs?: number;
}

/** Replies larger than this are refused on TCP (MIT caps at 1 MiB too). */
const MAX_TCP_REPLY = 1 << 20;

export function parseKdcAddress(spec: string): KdcAddress {
  let host: string;
  let port = 88;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  if (v6) {
    host = v6[1] as string;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const i = spec.lastIndexOf(':');
    if (i >= 0 && spec.indexOf(':') === i) {
      host = spec.slice(0, i);
      port = Number(spec.slice(i + 1));
    } else {
      host = spec;
    }
  }
  if (host === 'localhost') host = '127.0.0.1';
  if (!isIP(host)) {
    throw new Krb5Error(
      'KRB5_KDC_ADDRESS',
      `KDC "${spec}" is not an IP address; tsafs does no name lookups for KDCs`,
    );
  }
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Krb5Error('KRB5_KDC_ADDRESS', `KDC "${spec}" has a bad port`);
  }
  return { host, port };
}

export function kdcAddresses(config: Krb5Config, realm: string): KdcAddress[] {
  const r = config.realms.get(realm);
  if (!r || r.kdcs.length === 0) {
    throw new Krb5Error(
      'KRB5_REALM_UNKNOWN',
      `no kdc for realm ${realm} in ${config.files.join(':') || 'krb5.conf'}`,
    );
  }
  return r.kdcs.map(parseKdcAddress);
}

function isReply(buf: Buffer): boolean {
  const t = messageType(buf);
  return t === MSG_AS_REP || t === MSG_TGS_REP || t === MSG_KRB_ERROR;
}

function udpExchange(kdc: KdcAddress, req: Buffer, waitMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIP(kdc.host) === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply as Buffer);
    };
    const timer = setTimeout(() => finish(new Krb5Error('KRB5_KDC_TIMEOUT', 'no UDP answer')), waitMs);
    timer.unref();
    sock.on('error', (e) => finish(e));
    sock.on('message', (msg) => {
      // A connected socket only hears its peer; still ignore anything that is not a reply.
      if (isReply(msg)) finish(undefined, msg);
    });
    // Connecting makes an ICMP port-unreachable surface as ECONNREFUSED instead of a silent wait.
    sock.connect(kdc.port, kdc.host, () => sock.send(req));
  });
}

function tcpExchange(kdc: KdcAddress, req: Buffer, waitMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    let settled = false;
    let chunks: Buffer[] = [];
    let have = 0;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply as Buffer);
    };
    const timer = setTimeout(() => finish(new Krb5Error('KRB5_KDC_TIMEOUT', 'no TCP answer')), waitMs);
    timer.unref();
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Krb5Error('KRB5_KDC_TIMEOUT', 'KDC closed the TCP connection early')));
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (have < 4) return;
      const all = Buffer.concat(chunks);
      chunks = [all];
      const len = all.readUInt32BE(0);
      if (len & 0x80000000 || len > MAX_TCP_REPLY) {
        finish(new Krb5Error('KRB5_KDC_BAD_REPLY', `KDC TCP reply length ${len} refused`));
        return;
      }
      if (all.length >= 4 + len) {
        const reply = all.subarray(4, 4 + len);
        if (isReply(reply)) finish(undefined, reply);
        else finish(new Krb5Error('KRB5_KDC_BAD_REPLY', 'KDC TCP reply is not a Kerberos reply'));
      }
    });
    sock.connect(kdc.port, kdc.host, () => {
      const hdr = Buffer.alloc(4);
      hdr.writeUInt32BE(req.length);
      sock.write(Buffer.concat([hdr, req]));
    });
  });
}

function tooBig(reply: Buffer): boolean {
  if (messageType(reply) !== MSG_KRB_ERROR) return false;
  try {
    return decodeKrbError(reply).errorCode === KRB_ERR_RESPONSE_TOO_BIG;
  } catch {
    return false;
  }
}

/**
 * Sends `req` to the KDCs of `realm` and resolves with the raw reply (AS-REP, TGS-REP or
 * KRB-ERROR; decoding is the caller's). Rejects with KdcUnreachableError when the deadline passes
 * or every attempt failed.
 */
export async function sendToKdc(
  config: Krb5Config,
  realm: string,
  req: Buffer,
  opts: KdcExchangeOptions = {},
): Promise<Buffer> {
  const kdcs = kdcAddresses(config, realm);
  const total = opts.timeoutMs ?? 10_000;
  const rounds = opts.rounds ?? 3;
  const deadline = Date.now() + total;
  const tcpFirst = req.length > config.udpPreferenceLimit;
  let lastError: unknown;
  let attempt = opts.attemptTimeoutMs ?? 1000;
  for (let round = 0; round < rounds; round++, attempt *= 2) {
    for (const kdc of kdcs) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        if (tcpFirst) return await tcpExchange(kdc, req, remaining);
        const reply = await udpExchange(kdc, req, Math.min(attempt, remaining));
        if (!tooBig(reply)) return reply;
        return await tcpExchange(kdc, req, Math.max(1, deadline - Date.now()));
      } catch (e) {
        lastError = e;
      }
    }
    if (deadline - Date.now() <= 0) break;
  }
  const where = kdcs.map((k) => `${k.host}:${k.port}`).join(', ');
  const why =
    lastError instanceof Error ? `: ${(lastError as NodeJS.ErrnoException).code ?? lastError.message}` : '';
  throw new KdcUnreachableError(
    realm,
    `no KDC of realm ${realm} answered (${where}) within ${total} ms${why}`,
    {
      cause: lastError,
    },
  );
}
