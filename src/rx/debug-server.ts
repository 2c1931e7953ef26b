// Answering DEBUG and VERSION packets (OpenAFS's `rxdebug` inspecting us) and asking them of
// others (`tsafs rxdebug`). Answers disclose epochs, connection ids and call numbers — enough to
// forge packets into live calls — so they go only where the endpoint's `debugAnswers` allows.

import type { ConnTable } from './conn-table.js';
import type { RxConnection } from './connection.js';
import {
  DEBUG_BADTYPE,
  DEBUG_GETALLCONN,
  DEBUG_GETCONN,
  DEBUG_GETPEER,
  DEBUG_GETSTATS,
  DEBUG_RXSTATS,
  DEBUG_VERSION,
  type DebugConn,
  encodeDebugConn,
  encodeDebugPeer,
  encodeDebugStats,
  encodeVersion,
} from './debug.js';
import { RX_CALL_DEAD, RxCallError } from './errors.js';
import { Flags, type Packet, type PacketHeader, PacketType } from './packet.js';
import { isLoopback, type RxPeer } from './peer.js';
import type { DebugAnswers, RxTuning } from './tuning.js';

/** Debug requests carry this epoch (rx.c MakeDebugCall). */
const DEBUG_EPOCH = 999;
/** rx_debugIn: {int32 type; int32 index}. */
const DEBUG_IN_SIZE = 8;

/** Whether a debug policy lets `host` have answers. */
export function debugAllowed(policy: DebugAnswers, host: string): boolean {
  if (policy === 'all') return true;
  if (policy === 'none') return false;
  return isLoopback(host);
}

export interface DebugHost {
  readonly tuning: RxTuning;
  readonly conns: ConnTable;
  readonly stats: { packetsIn: number; packetsOut: number; callsServed: number };
  send(host: string, port: number, h: PacketHeader, body: Buffer): void;
  drop(reason: string): void;
  hold(): () => void;
}

export class DebugService {
  private readonly waiters = new Map<number, (p: Packet) => void>();
  private nextCall = 100;

  constructor(
    private readonly host: DebugHost,
    readonly policy: DebugAnswers,
    private readonly versionText: string,
  ) {}

  /** A DEBUG or VERSION packet arrived: a request to answer, or an answer we wait for. */
  receive(p: Packet, host: string, port: number): void {
    if (p.flags & Flags.CLIENT_INITIATED) {
      if (debugAllowed(this.policy, host)) this.answer(p, host, port);
      else this.host.drop('debug-refused');
      return;
    }
    const w = this.waiters.get(p.callNumber);
    if (w) w(p);
    else this.host.drop('debug-reply-unexpected');
  }

  private answer(p: Packet, host: string, port: number): void {
    const reply = (body: Buffer) =>
      this.host.send(host, port, { ...p, flags: p.flags & ~Flags.CLIENT_INITIATED }, body);
    if (p.type === PacketType.Version) {
      reply(encodeVersion(this.versionText));
      return;
    }
    if (p.body.length < DEBUG_IN_SIZE) {
      this.host.drop('malformed:debug');
      return;
    }
    const type = p.body.readInt32BE(0);
    const index = p.body.readInt32BE(4);
    const stats = this.host.stats;
    switch (type) {
      case DEBUG_GETSTATS:
        reply(
          encodeDebugStats({
            nFreePackets: 0,
            packetReclaims: 0,
            callsExecuted: stats.callsServed,
            waitingForPackets: 0,
            usedFDs: 1,
            version: DEBUG_VERSION,
            nWaiting: 0,
            idleThreads: 0,
            nWaited: 0,
            nPackets: 0,
          }),
        );
        return;
      case DEBUG_GETCONN:
      case DEBUG_GETALLCONN: {
        const c = this.host.conns.connAt(index, type === DEBUG_GETCONN);
        reply(encodeDebugConn(c ? describeConn(c) : null));
        return;
      }
      case DEBUG_GETPEER: {
        const peer = this.host.conns.peerAt(index);
        reply(encodeDebugPeer(peer ? this.describePeer(peer) : null));
        return;
      }
      case DEBUG_RXSTATS: {
        // The rx_statistics structure is a long run of int32 counters; fill the ones we keep.
        const b = Buffer.alloc(4 * 48);
        b.writeInt32BE(stats.packetsIn | 0, 0);
        b.writeInt32BE(stats.packetsOut | 0, 4);
        reply(b);
        return;
      }
      default: {
        const b = Buffer.allocUnsafe(8);
        b.writeInt32BE(DEBUG_BADTYPE, 0);
        b.writeInt32BE(DEBUG_BADTYPE, 4);
        reply(b);
      }
    }
  }

  private describePeer(peer: RxPeer) {
    return {
      host: peer.host,
      port: peer.port,
      ifMTU: peer.ifMTU,
      idleWhen: Math.floor(peer.lastHeard / 1000),
      refCount: 1,
      rtt: Math.round(peer.srtt * 8),
      rttDev: Math.round(peer.rttvar * 4),
      nSent: peer.nSent,
      reSends: peer.reSends,
      natMTU: peer.maxMTU,
      maxMTU: peer.maxMTU,
      maxDgramPackets: peer.maxDgramPackets,
      ifDgramPackets: this.host.tuning.jumboRecv,
      MTU: peer.maxMTU,
      cwind: peer.rwind,
      bytesSent: BigInt(peer.bytesSent),
      bytesReceived: BigInt(peer.bytesReceived),
    };
  }

  /** Send one DEBUG or VERSION request and wait for its answer (used by `tsafs rxdebug`). */
  async request(host: string, port: number, type: number, body: Buffer, timeoutMs = 3000): Promise<Buffer> {
    this.nextCall = (this.nextCall + 1) >>> 0 || 1;
    const callNumber = this.nextCall;
    const release = this.host.hold();
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        let tries = 0;
        let timer: NodeJS.Timeout | undefined;
        const h: PacketHeader = {
          epoch: DEBUG_EPOCH,
          cid: 0,
          callNumber,
          seq: 0,
          serial: 0,
          type,
          flags: Flags.CLIENT_INITIATED | Flags.LAST_PACKET,
          userStatus: 0,
          securityIndex: 0,
          cksum: 0,
          serviceId: 0,
        };
        const transmit = () => {
          if (tries++ >= 4) {
            this.waiters.delete(callNumber);
            reject(new RxCallError('dead', RX_CALL_DEAD, `no debug answer from ${host}:${port}`));
            return;
          }
          this.host.send(host, port, h, body);
          timer = setTimeout(transmit, timeoutMs / 4);
          timer.unref();
        };
        this.waiters.set(callNumber, (p) => {
          clearTimeout(timer);
          this.waiters.delete(callNumber);
          resolve(Buffer.from(p.body));
        });
        transmit();
      });
    } finally {
      release();
    }
  }

  close(): void {
    this.waiters.clear();
  }
}

function describeConn(c: RxConnection): DebugConn {
  return {
    host: c.peer.host,
    port: c.peer.port,
    cid: c.cid,
    epoch: c.epoch,
    serial: c.currentSerial,
    callNumber: [...c.callNumbers],
    error: c.error,
    flags: 0,
    type: c.isClient ? 0 : 1,
    securityIndex: c.securityIndex,
    // RX_STATE_ACTIVE = 2, RX_STATE_NOTINIT = 0; mode RX_MODE_RECEIVING = 2 while waiting.
    callState: c.calls.map((x) => (x ? 2 : 0)),
    callMode: c.calls.map((x) => (x ? 2 : 0)),
    callFlags: [0, 0, 0, 0],
    callOther: c.calls.map((x) => (x ? (x.rxQueued ? 1 : 0) | (x.txQueued ? 2 : 0) : 0)),
    natMTU: c.peer.maxMTU,
  };
}
