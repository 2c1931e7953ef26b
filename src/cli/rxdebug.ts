// tsafs rxdebug <addr> [port]: ask any Rx endpoint (OpenAFS server, cache manager, tsafs) for its
// version, statistics, connections and peers, as OpenAFS's rxdebug does.

import { FS_PORT } from '../rpc/fs.js';
import {
  DEBUG_GETALLCONN,
  DEBUG_GETPEER,
  DEBUG_GETSTATS,
  type DebugConn,
  type DebugPeer,
  type DebugStats,
  decodeDebugConn,
  decodeDebugPeer,
  decodeDebugStats,
  decodeVersion,
} from '../rx/debug.js';
import type { RxEndpoint } from '../rx/endpoint.js';
import { PacketType } from '../rx/packet.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson, UsageError } from './output.js';

export interface RxDebugReport {
  host: string;
  port: number;
  version: string;
  stats: DebugStats;
  connections: DebugConn[];
  peers: DebugPeer[];
}

function debugIn(type: number, index: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(type, 0);
  b.writeInt32BE(index, 4);
  return b;
}

export async function rxdebugReport(
  ep: RxEndpoint,
  host: string,
  port: number,
  limit = 256,
): Promise<RxDebugReport> {
  const version = decodeVersion(await ep.debugRequest(host, port, PacketType.Version, Buffer.alloc(1)));
  const stats = decodeDebugStats(
    await ep.debugRequest(host, port, PacketType.Debug, debugIn(DEBUG_GETSTATS, 0)),
  );
  const connections: DebugConn[] = [];
  for (let i = 0; i < limit; i++) {
    const c = decodeDebugConn(
      await ep.debugRequest(host, port, PacketType.Debug, debugIn(DEBUG_GETALLCONN, i)),
    );
    if (!c) break;
    connections.push(c);
  }
  const peers: DebugPeer[] = [];
  for (let i = 0; i < limit; i++) {
    const p = decodeDebugPeer(await ep.debugRequest(host, port, PacketType.Debug, debugIn(DEBUG_GETPEER, i)));
    if (!p) break;
    peers.push(p);
  }
  return { host, port, version, stats, connections, peers };
}

export async function rxdebugCommand(ep: RxEndpoint, args: string[], json: boolean): Promise<void> {
  const [host, portText] = args;
  if (!host) throw new UsageError('usage: tsafs rxdebug <addr> [port] [--json]');
  const port = portText ? Number(portText) : FS_PORT;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new UsageError(`bad port ${portText}`);
  const r = await rxdebugReport(ep, host, port);
  if (json) return printJson(r);
  const out = [
    `Trying ${host} (port ${port}):`,
    `AFS version: ${r.version}`,
    `Free packets: ${r.stats.nFreePackets}, packet reclaims: ${r.stats.packetReclaims}, calls: ${r.stats.callsExecuted}, used FDs: ${r.stats.usedFDs}`,
    `${r.stats.nWaiting} calls waiting for a thread, ${r.stats.idleThreads} threads are idle`,
    `${r.connections.length} connection(s):`,
  ];
  for (const c of r.connections) {
    out.push(
      `  ${c.type === 1 ? 'server' : 'client'} conn to ${c.host}:${c.port} cid ${c.cid.toString(16)} epoch ${c.epoch.toString(16)} serial ${c.serial} secindex ${c.securityIndex} calls ${c.callNumber.join(',')}`,
    );
  }
  out.push(`${r.peers.length} peer(s):`);
  for (const p of r.peers) {
    out.push(
      `  ${p.host}:${p.port} rtt ${(p.rtt / 8).toFixed(2)} ms sent ${p.nSent} resent ${p.reSends} MTU ${p.MTU}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export const command: Command = {
  name: 'rxdebug',
  summary: 'ask an Rx endpoint for its version, stats, connections, peers',
  usage: 'usage: tsafs rxdebug <addr> [port] [--json]',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    await ctx.client.start();
    await rxdebugCommand(ctx.client.endpoint, positionals, ctx.json);
    return undefined;
  },
};
