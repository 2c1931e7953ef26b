// What an endpoint may be tuned with: packet sizes, windows and ACK pacing, and the bounds that
// keep a hostile peer from growing our tables or using us as an amplifier.

import { MAX_PACKET_SIZE } from './packet.js';

export interface RxTuning {
  /** Our receive window, advertised in every ACK (OpenAFS caps its own at 32). */
  rwind: number;
  /** Largest packet we accept, advertised as maxMTU. */
  maxMTU: number;
  /** Largest packet we send (header included), before the peer's limit. */
  maxSendMTU: number;
  /** Sub-packets per jumbogram we accept (advertised) — 1 asks peers not to send any. */
  jumboRecv: number;
  /** Whether we send jumbograms to peers that advertise them. */
  jumboSend: boolean;
  /** ACK after this many unacknowledged DATA packets. */
  ackEvery: number;
  /** Otherwise ACK after this delay (ms). */
  ackDelay: number;
}

export const DEFAULT_TUNING: RxTuning = {
  rwind: 64,
  maxMTU: MAX_PACKET_SIZE,
  maxSendMTU: MAX_PACKET_SIZE,
  jumboRecv: 1,
  jumboSend: true,
  // ACK every 8th packet (or when asked): every 2nd cost 13% of the client's CPU on bulk reads.
  ackEvery: 8,
  ackDelay: 20,
};

/** Bounds on what peers can make us keep or send. */
export interface RxLimits {
  /** Server connections (peers calling us) in total; idle ones, then unproven peers' ones, are evicted first. */
  maxServerConns: number;
  /** Server connections from one peer address. */
  maxServerConnsPerPeer: number;
  /** Peer records kept; peers without connections or application data are evicted beyond this. */
  maxPeers: number;
  /**
   * Bytes we send toward a peer that has not yet shown it receives our packets, as a multiple of
   * the bytes it sent us: a spoofed source address cannot make us reflect more than this.
   */
  unprovenSendRatio: number;
}

export const DEFAULT_LIMITS: RxLimits = {
  maxServerConns: 1024,
  maxServerConnsPerPeer: 16,
  maxPeers: 4096,
  unprovenSendRatio: 3,
};

/** A server call's limits: OpenAFS cache managers give an incoming call about two minutes. */
export const SERVER_CALL_TIMEOUTS = { deadTime: 30_000, hardDeadline: 120_000, idleTimeout: 0 };

/** Who gets answers to rxdebug (DEBUG/VERSION) packets and cmdebug's RPCs. */
export type DebugAnswers = 'loopback' | 'all' | 'none';
