// An Rx connection: (epoch, cid) to one peer and service with one security object, four
// channels, per-channel call numbers and one serial counter. Client connections are ours; server
// connections are created when a peer calls our endpoint (the callback service).

import { randomBytes } from 'node:crypto';
import { type CallHost, type CallTimeouts, RxCall } from './call.js';
import { RX_CALL_DEAD } from './errors.js';
import {
  type AckBody,
  AckReason,
  encodeAbortCode,
  encodeAck,
  Flags,
  type PacketHeader,
  PacketType,
} from './packet.js';
import type { RxPeer } from './peer.js';
import { RXKADEXPIRED } from './security/rxkad-errors.js';
import type { ConnSecurity, SecurityClass } from './security/types.js';
import type { RxTuning } from './tuning.js';

const MAX_CALLS = 4;

/** What a connection needs from the endpoint. */
export interface ConnHost {
  readonly tuning: RxTuning;
  send(peer: RxPeer, header: PacketHeader, body: Buffer | null): void;
  sendRaw(peer: RxPeer, datagram: Buffer): void;
  /** Whether `bytes` more may go to the peer now (the budget toward unproven peers). */
  maySend(peer: RxPeer, bytes: number): boolean;
  callStarted(call: RxCall): void;
  callEnded(call: RxCall): void;
  countRetransmit(n: number): void;
}

interface DoneChannel {
  callNumber: number;
  /** The seq after the peer's last DATA packet, to re-acknowledge retransmissions. */
  rnext: number;
  /** Set when the call ended in error: the code to repeat to a peer that keeps sending. */
  abortCode?: number;
  abortSentAt?: number;
}

/** A peer still sending for a call we aborted is told again at most this often (ms). */
const ABORT_REPEAT_INTERVAL = 1000;

export class RxConnection {
  /**
   * Server connections start their serials at a random point: a peer's ACK naming one of them
   * proves it receives our packets, which an off-path sender with a forged address cannot.
   */
  private readonly serialBase: number;
  private serial: number;
  readonly calls: (RxCall | null)[] = [null, null, null, null];
  readonly callNumbers: [number, number, number, number] = [0, 0, 0, 0];
  private readonly done: (DoneChannel | null)[] = [null, null, null, null];
  readonly security: ConnSecurity;
  lastUsed = Date.now();
  /** Set when the peer aborted the whole connection. */
  error = 0;

  constructor(
    private readonly host: ConnHost,
    readonly peer: RxPeer,
    readonly epoch: number,
    readonly cid: number,
    readonly serviceId: number,
    readonly securityClass: SecurityClass,
    readonly isClient: boolean,
  ) {
    this.serialBase = isClient ? 0 : randomBytes(4).readUInt32BE(0) & 0x3fffffff;
    this.serial = this.serialBase;
    this.security = securityClass.newConnection({
      epoch,
      cid,
      securityIndex: securityClass.index,
      callNumbers: () => this.callNumbers,
    });
  }

  get securityIndex(): number {
    return this.securityClass.index;
  }

  nextSerial(n = 1): number {
    const s = this.serial + 1;
    this.serial += n;
    return s >>> 0;
  }

  get currentSerial(): number {
    return this.serial;
  }

  /** Whether we have sent a packet with this serial on this connection. */
  sentSerial(serial: number): boolean {
    const d = (serial - this.serialBase) >>> 0;
    return d >= 1 && d <= (this.serial - this.serialBase) >>> 0;
  }

  freeChannel(): number {
    for (let i = 0; i < MAX_CALLS; i++) if (this.calls[i] === null) return i;
    return -1;
  }

  get activeCalls(): number {
    let n = 0;
    for (const c of this.calls) if (c) n++;
    return n;
  }

  /** Client side: start a call on a free channel. */
  startCall(channel: number, timeouts: CallTimeouts, signal?: AbortSignal): RxCall {
    const callNumber = ++this.callNumbers[channel]!;
    const call = new RxCall(this.callHost(), channel, callNumber, timeouts, signal);
    this.calls[channel] = call;
    this.done[channel] = null;
    this.lastUsed = Date.now();
    this.host.callStarted(call);
    return call;
  }

  /** Server side: a DATA packet for a call we have not seen. */
  acceptCall(channel: number, callNumber: number, timeouts: CallTimeouts): RxCall {
    const old = this.calls[channel];
    // A newer call number ends the previous call on the channel.
    if (old) old.implicitlyAcked();
    this.callNumbers[channel] = callNumber;
    const call = new RxCall(this.callHost(), channel, callNumber, timeouts);
    this.calls[channel] = call;
    this.done[channel] = null;
    this.lastUsed = Date.now();
    this.host.callStarted(call);
    return call;
  }

  private hostCache: CallHost | undefined;
  private callHost(): CallHost {
    if (this.hostCache) return this.hostCache;
    const conn = this;
    this.hostCache = {
      get epoch() {
        return conn.epoch;
      },
      get cid() {
        return conn.cid;
      },
      get serviceId() {
        return conn.serviceId;
      },
      get securityIndex() {
        return conn.securityClass.index;
      },
      get security() {
        return conn.security;
      },
      get peer() {
        return conn.peer;
      },
      get isClient() {
        return conn.isClient;
      },
      get tuning() {
        return conn.host.tuning;
      },
      nextSerial: (n?: number) => conn.nextSerial(n),
      sentSerial: (s: number) => conn.sentSerial(s),
      maySend: (bytes: number) => conn.host.maySend(conn.peer, bytes),
      transmit: (h, body) => conn.host.send(conn.peer, h, body),
      transmitRaw: (d) => conn.host.sendRaw(conn.peer, d),
      callEnded: (call) => conn.callEnded(call),
      countRetransmit: (n) => conn.host.countRetransmit(n),
    };
    return this.hostCache;
  }

  private callEnded(call: RxCall): void {
    if (this.calls[call.channel] === call) {
      this.calls[call.channel] = null;
      const d: DoneChannel = { callNumber: call.callNumber, rnext: call.receiveNext };
      if (call.state !== 'done' && call.error && call.error.failure !== 'remote-abort') {
        d.abortCode = call.error.code;
        d.abortSentAt = Date.now();
      }
      this.done[call.channel] = d;
    }
    this.lastUsed = Date.now();
    this.host.callEnded(call);
  }

  /**
   * A packet for a call that is no longer active on its channel. Retransmitted DATA of a finished
   * call means our final ACK was lost: acknowledge again so the peer can let go.
   */
  strayPacket(h: PacketHeader): boolean {
    const d = this.done[h.cid & 3];
    if (!d || d.callNumber !== h.callNumber) return false;
    if (d.abortCode !== undefined) {
      // A call we aborted: repeat the abort now and then, never once per packet.
      const now = Date.now();
      if (h.type !== PacketType.Abort && now - (d.abortSentAt ?? 0) >= ABORT_REPEAT_INTERVAL) {
        d.abortSentAt = now;
        this.sendChannelPacket(h, PacketType.Abort, encodeAbortCode(d.abortCode));
      }
      return true;
    }
    if (h.type === PacketType.Data || (h.type === PacketType.Ack && h.flags & Flags.REQUEST_ACK)) {
      this.sendConnAck(h, h.type === PacketType.Ack ? AckReason.PING_RESPONSE : AckReason.DUPLICATE, d.rnext);
    }
    return true;
  }

  /** An ACK about our receive state for a call that has no live record (finished or unknown). */
  sendConnAck(h: PacketHeader, reason: number, firstPacket: number): void {
    const t = this.host.tuning;
    const body: AckBody = {
      bufferSpace: 0,
      maxSkew: 0,
      firstPacket,
      previousPacket: 0,
      serial: h.serial,
      reason,
      acks: new Uint8Array(0),
      maxMTU: t.maxMTU,
      ifMTU: t.maxMTU,
      rwind: t.rwind,
      maxDgramPackets: t.jumboRecv,
    };
    this.sendChannelPacket(h, PacketType.Ack, encodeAck(body), Flags.SLOW_START_OK);
  }

  /** A packet about a call that has no live record, on the channel and call number of `h`. */
  private sendChannelPacket(h: PacketHeader, type: number, body: Buffer, extraFlags = 0): void {
    this.host.send(
      this.peer,
      {
        epoch: this.epoch,
        cid: (this.cid | (h.cid & 3)) >>> 0,
        callNumber: h.callNumber,
        seq: 0,
        serial: this.nextSerial(),
        type,
        flags: (this.isClient ? Flags.CLIENT_INITIATED : 0) | extraFlags,
        userStatus: 0,
        securityIndex: this.securityIndex,
        cksum: 0,
        serviceId: this.serviceId,
      },
      body,
    );
  }

  /**
   * Client side: answer a CHALLENGE, then resend what the server dropped while it waited. A
   * challenge whose content we cannot answer is ignored (false), never fatal: anyone can forge
   * one. Only our own expired token, which no challenge can mend, fails the calls.
   */
  challenge(body: Buffer): boolean {
    let response: Buffer;
    try {
      response = this.security.respond(body);
    } catch (e) {
      if ((e as { code?: unknown }).code === RXKADEXPIRED) this.abortAll('local-abort', RXKADEXPIRED, e);
      return false;
    }
    this.host.send(
      this.peer,
      {
        epoch: this.epoch,
        cid: this.cid,
        callNumber: 0,
        seq: 0,
        serial: this.nextSerial(),
        type: PacketType.Response,
        flags: Flags.CLIENT_INITIATED,
        userStatus: 0,
        securityIndex: this.securityIndex,
        cksum: 0,
        serviceId: this.serviceId,
      },
      response,
    );
    for (const c of this.calls) c?.kick();
    return true;
  }

  /** Forget the connection's calls without a word to the peer (evicted under a flood). */
  dropAll(reason: string): void {
    for (const c of this.calls) c?.fail('local-abort', RX_CALL_DEAD, reason);
  }

  /** The peer aborted the connection (call number 0), or we are closing. */
  abortAll(failure: 'remote-abort' | 'local-abort' | 'closed', code: number, cause?: unknown): void {
    if (failure === 'remote-abort') this.error = code;
    for (const c of this.calls) {
      if (!c) continue;
      // Tell the peer we are gone, unless it was the peer that ended things.
      if (failure !== 'remote-abort') c.sendAbortPacket(code);
      c.fail(failure, code, failure === 'closed' ? 'the endpoint was closed' : undefined, cause);
    }
  }
}
