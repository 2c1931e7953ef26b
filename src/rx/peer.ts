// One remote transport address (host:port): round-trip estimate, what the peer told us about its
// packet sizes and window, counters, and one slot of application data. The AFS layer uses that slot
// to map incoming callback calls to the file-server record that owns the address (as kAFS attaches
// an afs_server to each rxrpc_peer).

import { OLD_MAX_PACKET_SIZE } from './packet.js';

/** Retransmit timeout bounds (ms). */
const RTO_MIN = 20;
// OpenAFS adds 200 ms to cover receivers that delay ACKs up to 100 ms; ours ACK at once when
// asked (REQUEST_ACK ends every burst), so a smaller margin keeps loss recovery fast.
const RTO_EXTRA = 50;
const RTO_MAX = 60_000;
const RTO_INITIAL = 1000;

/** Loopback addresses: no packet from off the host can carry them. */
export function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1';
}

export class RxPeer {
  readonly key: string;
  /** Smoothed RTT and its mean deviation, ms; srtt 0 = no sample yet. */
  srtt = 0;
  rttvar = 0;
  /** Largest packet (header included) the peer accepts, from its ACK trailers. */
  maxMTU = OLD_MAX_PACKET_SIZE;
  /** The peer's own interface MTU (informational). */
  ifMTU = OLD_MAX_PACKET_SIZE;
  /** The peer's receive window in packets; 16 until it tells us. */
  rwind = 16;
  /** Sub-packets per jumbogram the peer accepts (1 = none). */
  maxDgramPackets = 1;
  /** Whether we have had any trailer from the peer. */
  heardTrailer = false;
  /**
   * The peer has shown that it receives what we send to its address (we called it, or it named
   * a serial of ours): until then a forged source address could be making us reflect traffic.
   */
  proven = false;
  lastHeard = 0;
  nSent = 0;
  reSends = 0;
  bytesSent = 0;
  bytesReceived = 0;
  /** Application data (the AFS server record this address belongs to); not a reference count. */
  appData: unknown = undefined;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    this.key = `${host}:${port}`;
  }

  /** RFC 6298-style smoothing, as Rx does (rx.c rxi_ComputeRoundTripTime). */
  sampleRtt(ms: number): void {
    const r = Math.max(ms, 0.05);
    if (this.srtt === 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
  }

  /** Retransmit timeout: max(srtt + 4·rttvar, 20 ms) plus a margin for delayed ACKs. */
  get rto(): number {
    if (this.srtt === 0) return RTO_INITIAL;
    return Math.min(Math.max(this.srtt + 4 * this.rttvar, RTO_MIN) + RTO_EXTRA, RTO_MAX);
  }

  learnTrailer(t: { maxMTU?: number; ifMTU?: number; rwind?: number; maxDgramPackets?: number }): void {
    if (t.maxMTU !== undefined) {
      this.maxMTU = Math.min(Math.max(t.maxMTU, 500), 16384);
      this.heardTrailer = true;
    }
    if (t.ifMTU !== undefined) this.ifMTU = Math.min(Math.max(t.ifMTU, 500), 65535);
    if (t.rwind !== undefined) this.rwind = Math.min(Math.max(t.rwind, 1), 255);
    if (t.maxDgramPackets !== undefined) this.maxDgramPackets = Math.min(Math.max(t.maxDgramPackets, 1), 64);
  }
}
