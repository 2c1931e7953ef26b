// One DNS question to one nameserver: over UDP, and again over TCP (RFC 7766) when the answer was
// truncated. Replies that are not ours (id, question) are ignored, as spoofing defence; every
// exchange ends at the first of an answer, an error, its timeout or the caller's signal, and
// releases its socket and timer whichever it is.

import { createSocket } from 'node:dgram';
import { isIPv6, connect as tcpConnect } from 'node:net';
import { type NameServer, serverLabel } from './config.js';
import { DnsMalformedError, DnsUnreachableError } from './errors.js';
import {
  type DnsMessage,
  type DnsQuestion,
  FLAG_QR,
  MAX_MESSAGE,
  parseMessage,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
} from './message.js';

export interface Exchange {
  ns: NameServer;
  query: Buffer;
  q: DnsQuestion;
  timeoutMs: number;
  signal: AbortSignal;
}

export function signalError(signal: AbortSignal): unknown {
  return signal.reason ?? new DnsUnreachableError('aborted');
}

/** Whether a reply with the right id is the answer to our question. */
function answersQuestion(m: DnsMessage, q: DnsQuestion): boolean {
  if ((m.flags & FLAG_QR) === 0) return false;
  if (!m.question) return m.rcode !== RCODE_NOERROR && m.rcode !== RCODE_NXDOMAIN; // FORMERR and kin
  return m.question.name === q.name && m.question.type === q.type && m.question.cls === q.cls;
}

type Finish = (err: unknown, m?: DnsMessage) => void;

/**
 * The shell of one exchange: `start` opens a transport and returns how to close it. `offer`
 * parses a reply: a malformed one ends the exchange, one that is not ours returns false.
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

export function udpExchange(x: Exchange): Promise<DnsMessage> {
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

export function tcpExchange(x: Exchange): Promise<DnsMessage> {
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
