// A scripted DNS server on 127.0.0.1 (UDP, and TCP on the same port when asked) for resolver
// tests: each query goes to a handler that returns the datagrams to send back (none: dropped).
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';

export type Transport = 'udp' | 'tcp';
export type Handler = (q: dnsPacket.DecodedPacket, transport: Transport) => Buffer[] | Buffer | null;

export interface FakeDns {
  port: number;
  addr: string;
  /** Every query received: "TYPE name/transport". */
  log: string[];
  close(): Promise<void>;
}

export const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof RCODES;

/** A reply to `q` carrying these sections. */
export function reply(
  q: dnsPacket.DecodedPacket,
  s: {
    an?: dnsPacket.Answer[];
    ns?: dnsPacket.Answer[];
    ar?: dnsPacket.Answer[];
    rcode?: Rcode;
    flags?: number;
  } = {},
): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: q.id,
    // dns-packet's encoder takes the RCODE only from the low bits of `flags`.
    flags:
      (s.flags ?? 0) |
      dnsPacket.RECURSION_DESIRED |
      dnsPacket.RECURSION_AVAILABLE |
      RCODES[s.rcode ?? 'NOERROR'],
    questions: q.questions,
    answers: s.an ?? [],
    authorities: s.ns ?? [],
    additionals: s.ar ?? [],
  } as dnsPacket.Packet);
}

function describeQuery(q: dnsPacket.DecodedPacket, t: Transport): string {
  const x = q.questions?.[0];
  return `${x?.type} ${x?.name}/${t}`;
}

export async function fakeDns(handler: Handler, opts: { tcp?: boolean } = {}): Promise<FakeDns> {
  const udp = createSocket('udp4');
  const log: string[] = [];
  udp.on('message', (msg, rinfo) => {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    log.push(describeQuery(q, 'udp'));
    const out = handler(q, 'udp');
    for (const b of out === null ? [] : Array.isArray(out) ? out : [out])
      udp.send(b, rinfo.port, rinfo.address);
  });
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  const port = udp.address().port;
  let tcp: Server | undefined;
  const conns = new Set<Socket>();
  let closed = false;
  if (opts.tcp) {
    tcp = createServer((c) => {
      conns.add(c);
      c.on('close', () => conns.delete(c));
      let got = Buffer.alloc(0);
      c.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
        const q = dnsPacket.decode(got.subarray(2, 2 + got.readUInt16BE(0)));
        log.push(describeQuery(q, 'tcp'));
        const out = handler(q, 'tcp');
        for (const b of out === null ? [] : Array.isArray(out) ? out : [out]) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(b.length);
          c.write(Buffer.concat([len, b]));
        }
      });
    });
    tcp.listen(port, '127.0.0.1');
    await once(tcp, 'listening');
  }
  return {
    port,
    addr: `127.0.0.1:${port}`,
    log,
    async close() {
      if (closed) return;
      closed = true;
      udp.close();
      for (const c of conns) c.destroy();
      if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
