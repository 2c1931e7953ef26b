// An Rx connection: (epoch, cid) to one peer and service with one security object, four
// channels, per-channel call numbers and one serial counter. Client connections are ours; server
// connections are created when a peer calls our endpoint (the callback service).

import { type CallHost, type CallTimeouts, RxCall, type RxTuning } from './call.js';
import { RX_PROTOCOL_ERROR } from './errors.js';
import { type AckBody, AckReason, encodeAck, Flags, type PacketHeader, PacketType } from './packet.js';
import type { RxPeer } from './peer.js';
import type { ConnSecurity, SecurityClass } from './security/types.js';

export const MAX_CALLS = 4;

/** What a connection needs from the endpoint. */
export interface ConnHost {
  readonly tuning: RxTuning;
  send(peer: RxPeer, header: PacketHeader, body: Buffer | null): void;
  sendRaw(peer: RxPeer, datagram: Buffer): void;
  callStarted(call: RxCall): void;
  callEnded(call: RxCall): void;
  countRetransmit(n: number): void;
}

interface DoneChannel {
  callNumber: number;
  /** The seq after the peer's last DATA packet, to re-acknowledge retransmissions. */
  rnext: number;
}

export class RxConnection {
  private serial = 0;
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
      if (call.state === 'done')
        this.done[call.channel] = { callNumber: call.callNumber, rnext: call.ackBody(0, 0).firstPacket };
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
    const flags = (this.isClient ? Flags.CLIENT_INITIATED : 0) | Flags.SLOW_START_OK;
    this.host.send(
      this.peer,
      {
        epoch: this.epoch,
        cid: (this.cid | (h.cid & 3)) >>> 0,
        callNumber: h.callNumber,
        seq: 0,
        serial: this.nextSerial(),
        type: PacketType.Ack,
        flags,
        userStatus: 0,
        securityIndex: this.securityIndex,
        cksum: 0,
        serviceId: this.serviceId,
      },
      encodeAck(body),
    );
  }

  /** Client side: answer a CHALLENGE, then resend what the server dropped while it waited. */
  challenge(body: Buffer): void {
    let response: Buffer;
    try {
      response = this.security.respond(body);
    } catch (e) {
      const code =
        typeof (e as { code?: unknown }).code === 'number' ? (e as { code: number }).code : RX_PROTOCOL_ERROR;
      this.abortAll('local-abort', code, e);
      return;
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
