// A real DNS server for tests: Debian's dnsmasq (package dnsmasq-base) on 127.0.0.1 at a free high
// port, answering only from its command line (--no-resolv --no-hosts: it never forwards a query,
// and --local=/test/ makes unknown names under .test NXDOMAIN instead of REFUSED).
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { AfsCellResolver } from '../../../src/afs/vl-dns.js';
import { DNS_TYPE } from '../../../src/dns/message.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';

/** dnsmasq is not installed (the environment must provide dnsmasq-base). */
export class DnsmasqMissingError extends Error {
  readonly code = 'EDNSMASQ';
}

export interface Dnsmasq {
  port: number;
  addr: string;
  proc: ChildProcess;
  /** What dnsmasq printed (it logs to stderr with --log-facility=-). */
  output(): string;
  stop(): Promise<void>;
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  for (;;) {
    const u = createSocket('udp4');
    u.bind(0, '127.0.0.1');
    await once(u, 'listening');
    const port = u.address().port;
    const t = createServer();
    const ok = await new Promise<boolean>((r) => {
      t.once('error', () => r(false));
      t.listen(port, '127.0.0.1', () => r(true));
    });
    u.close();
    if (ok) {
      await new Promise<void>((r) => t.close(() => r()));
      if (port >= 10_000) return port;
    }
  }
}

/** AFSDB RDATA as `--dns-rr` takes it: 16-bit subtype, then the hostname in wire format, in hex. */
export function afsdbHex(subtype: number, host: string): string {
  const parts = [Buffer.from([subtype >> 8, subtype & 0xff])];
  for (const l of host.split('.')) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts).toString('hex');
}

/** Starts dnsmasq with these record options and waits until it answers `probe` (an A name). */
export async function startDnsmasq(records: string[], probe: string): Promise<Dnsmasq> {
  try {
    await access(DNSMASQ);
  } catch {
    throw new DnsmasqMissingError(`${DNSMASQ} is missing: apt-get install dnsmasq-base`);
  }
  let lastOutput = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--pid-file',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      '--log-facility=-',
      '--log-queries',
      '--local=/test/',
      ...records,
    ];
    const proc = spawn(DNSMASQ, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = once(proc, 'exit').then(() => true);
    const stop = async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
    };
    const probeResolver = new AfsCellResolver({
      servers: [`127.0.0.1:${port}`],
      timeoutMs: 200,
      attempts: 1,
    });
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline && proc.exitCode === null) {
      try {
        await probeResolver.dns.query(probe, DNS_TYPE.A);
        return { port, addr: `127.0.0.1:${port}`, proc, output: () => out, stop };
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    lastOutput = out;
    await stop(); // port taken between the check and the bind, or it never answered: try another
  }
  throw new Error(`dnsmasq did not start: ${lastOutput}`);
}
