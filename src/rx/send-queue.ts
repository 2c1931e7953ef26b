// The send side of one call: bytes cut into DATA packets, the window that lets them out, ACK
// processing (hard acks free packets, soft acks and nacks steer retransmission), fast retransmit
// and the retransmission timeout. The call owns the timer; this queue only says when it is due.

import { Congestion } from './congestion.js';
import {
  type AckBody,
  buildJumbogram,
  Flags,
  HEADER_SIZE,
  JUMBO_DATA_SIZE,
  MAX_ACKS,
  type PacketHeader,
  PacketType,
} from './packet.js';
import type { RxPeer } from './peer.js';
import type { ConnSecurity } from './security/types.js';
import type { RxTuning } from './tuning.js';

/** What the queue needs from its call. */
export interface SendHost {
  readonly peer: RxPeer;
  readonly tuning: RxTuning;
  readonly security: ConnSecurity;
  readonly isClient: boolean;
  header(type: number, seq: number, serial: number, flags: number, cksum?: number): PacketHeader;
  nextSerial(n?: number): number;
  transmit(header: PacketHeader, body: Buffer): void;
  transmitRaw(datagram: Buffer): void;
  countRetransmit(n: number): void;
  /** Whether `bytes` more may go to the peer now (false toward an unproven peer past its budget). */
  maySend(bytes: number): boolean;
  /** The resend deadline changed. */
  schedule(): void;
}

interface TxPacket {
  seq: number;
  flags: number;
  cksum: number;
  payload: Buffer;
  sentAt: number;
  serial: number;
  sendCount: number;
  acked: boolean;
  nacks: number;
}

export class SendQueue {
  private tq: TxPacket[] = [];
  private head = 0; // first packet not hard-acked
  private txNext = 0; // first packet never sent
  private nextSeq = 1;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** The application has finished its side. */
  ended = false;
  /** Every packet hard-acknowledged (or implicitly, by the reply). */
  done = false;
  private readonly cc: Congestion;
  private rtoBackoff = 1;
  private recoverySeq = 0;
  /** When the oldest unacknowledged packet is due for retransmission; 0 = nothing outstanding. */
  resendDue = 0;
  bytesSent = 0;

  constructor(private readonly host: SendHost) {
    this.cc = new Congestion(Math.min(host.peer.rwind, 16));
  }

  /** Packets queued and not yet hard-acknowledged. */
  get queued(): number {
    return this.tq.length - this.head;
  }

  /** Above this many queued packets writers wait. */
  get limit(): number {
    return Math.max(2 * this.window(), 32);
  }

  /** Everything the application gave has been packetized and sent at least once. */
  get allTransmitted(): boolean {
    return this.ended && this.pendingLen === 0 && this.txNext === this.tq.length;
  }

  write(data: Buffer, now: number): void {
    if (data.length > 0) {
      this.pending.push(data);
      this.pendingLen += data.length;
      this.packetize(false);
      this.pump(now);
    }
  }

  end(data: Buffer | undefined, now: number): void {
    if (data && data.length > 0) {
      this.pending.push(data);
      this.pendingLen += data.length;
    }
    this.ended = true;
    this.packetize(true);
    this.pump(now);
  }

  private dataSize(): number {
    const sec = this.host.security.headerSize + this.host.security.trailerSize;
    const peer = this.host.peer;
    // Jumbograms only help a peer that takes no large packets; one that does gets them whole.
    const bigPackets = peer.heardTrailer && peer.maxMTU >= 2 * (JUMBO_DATA_SIZE + HEADER_SIZE);
    if (this.host.tuning.jumboSend && peer.maxDgramPackets > 1 && !bigPackets) return JUMBO_DATA_SIZE - sec;
    const mtu = Math.min(
      peer.heardTrailer ? peer.maxMTU : JUMBO_DATA_SIZE + HEADER_SIZE,
      this.host.tuning.maxSendMTU,
    );
    return mtu - HEADER_SIZE - sec;
  }

  /** Cut pending bytes into DATA packets; a partial packet waits for more data or for end(). */
  private packetize(final: boolean): void {
    const size = this.dataSize();
    while (this.pendingLen >= size || (final && (this.pendingLen > 0 || !this.lastQueued()))) {
      const n = Math.min(size, this.pendingLen);
      const payload = this.take(n);
      const last = final && this.pendingLen === 0;
      this.enqueue(payload, last);
      if (last) break;
    }
  }

  private lastQueued(): boolean {
    const t = this.tq[this.tq.length - 1];
    return t !== undefined && (t.flags & Flags.LAST_PACKET) !== 0;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.pending[0]!;
    if (first.length === n) {
      this.pending.shift();
      this.pendingLen -= n;
      return first;
    }
    if (first.length > n) {
      this.pending[0] = first.subarray(n);
      this.pendingLen -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const b = this.pending[0]!;
      const k = Math.min(b.length, n - off);
      b.copy(out, off, 0, k);
      off += k;
      if (k === b.length) this.pending.shift();
      else this.pending[0] = b.subarray(k);
    }
    this.pendingLen -= n;
    return out;
  }

  private enqueue(payload: Buffer, last: boolean): void {
    const seq = this.nextSeq++;
    let flags = this.host.isClient ? Flags.CLIENT_INITIATED : 0;
    if (last) flags |= Flags.LAST_PACKET;
    const h = this.host.header(PacketType.Data, seq, 0, flags);
    const sealed = this.host.security.seal(h, payload);
    this.tq.push({
      seq,
      flags,
      cksum: sealed.cksum,
      payload: sealed.payload,
      sentAt: 0,
      serial: 0,
      sendCount: 0,
      acked: false,
      nacks: 0,
    });
    this.bytesSent += payload.length;
  }

  private window(): number {
    return Math.max(1, Math.min(Math.floor(this.cc.cwnd), this.host.peer.rwind, MAX_ACKS));
  }

  /** Send what the window (and, toward an unproven peer, the send budget) allows. */
  pump(now: number): void {
    const first = this.tq[this.head];
    if (!first) return;
    const limit = first.seq + this.window();
    const peer = this.host.peer;
    const jumbo = this.host.tuning.jumboSend && peer.maxDgramPackets > 1;
    while (this.txNext < this.tq.length) {
      const p = this.tq[this.txNext]!;
      if (p.seq >= limit || !this.host.maySend(HEADER_SIZE + p.payload.length)) break;
      if (jumbo) {
        // Gather consecutive full-size packets into one datagram.
        const group: TxPacket[] = [p];
        while (
          group.length < peer.maxDgramPackets &&
          this.txNext + group.length < this.tq.length &&
          group[group.length - 1]!.payload.length === JUMBO_DATA_SIZE
        ) {
          const nx = this.tq[this.txNext + group.length]!;
          if (nx.seq >= limit) break;
          group.push(nx);
        }
        this.txNext += group.length;
        this.sendGroup(group, now, limit);
      } else {
        this.txNext++;
        this.sendOne(p, now, p.seq === limit - 1 || this.txNext === this.tq.length);
      }
    }
    if (this.resendDue === 0 && this.txNext > this.head) this.armResend(now);
  }

  private sendOne(p: TxPacket, now: number, requestAck: boolean): void {
    p.serial = this.host.nextSerial();
    p.sentAt = now;
    p.sendCount++;
    let flags = p.flags;
    if (requestAck || p.sendCount > 1) flags |= Flags.REQUEST_ACK;
    this.host.transmit(this.host.header(PacketType.Data, p.seq, p.serial, flags, p.cksum), p.payload);
  }

  private sendGroup(group: TxPacket[], now: number, limit: number): void {
    if (group.length === 1) {
      const p = group[0]!;
      this.sendOne(p, now, p.seq === limit - 1 || this.txNext === this.tq.length);
      return;
    }
    const serial0 = this.host.nextSerial(group.length);
    const parts = group.map((p, i) => {
      p.serial = (serial0 + i) >>> 0;
      p.sentAt = now;
      p.sendCount++;
      const last = i === group.length - 1;
      const flags = last ? p.flags | Flags.REQUEST_ACK : p.flags;
      return { flags, cksum: p.cksum, body: p.payload };
    });
    const g0 = group[0]!;
    const h = this.host.header(PacketType.Data, g0.seq, serial0, parts[0]!.flags, g0.cksum);
    this.host.transmitRaw(buildJumbogram(h, parts));
  }

  private armResend(now: number): void {
    this.resendDue = now + this.host.peer.rto * this.rtoBackoff;
    this.host.schedule();
  }

  /** Retransmit everything sent, not acked, and older than the RTO. */
  resend(now: number): void {
    const rto = this.host.peer.rto * this.rtoBackoff;
    let n = 0;
    const first = this.tq[this.head];
    const limit = first ? first.seq + this.window() : 0;
    for (let i = this.head; i < this.txNext; i++) {
      const p = this.tq[i]!;
      if (p.acked || p.seq >= limit) continue;
      if (now - p.sentAt >= rto - 1) {
        if (!this.host.maySend(HEADER_SIZE + p.payload.length)) break;
        this.sendOne(p, now, true);
        n++;
      }
    }
    if (n > 0) {
      this.host.countRetransmit(n);
      this.cc.onTimeout();
      this.rtoBackoff = Math.min(this.rtoBackoff * 2, 64);
    }
    this.resendDue = 0;
    if (this.txNext > this.head) this.armResend(now);
  }

  /** Resend at once whatever is unacknowledged (after a security handshake or a proof of reach). */
  kick(now: number): void {
    for (let i = this.head; i < this.txNext; i++) {
      const p = this.tq[i]!;
      if (!p.acked && this.host.maySend(HEADER_SIZE + p.payload.length)) this.sendOne(p, now, true);
    }
    this.pump(now);
  }

  /**
   * An ACK from the peer: hard acks free packets, soft acks mark them, nacks below a soft ack
   * trigger fast retransmit. Returns whether it acknowledged anything new.
   */
  onAck(a: AckBody, serial: number, now: number): boolean {
    if (this.done) return false;
    let progress = false;
    let newlyAcked = 0;
    while (this.head < this.tq.length && this.tq[this.head]!.seq < a.firstPacket) {
      const p = this.tq[this.head]!;
      if (p.sendCount === 0) break; // never sent: the peer cannot ack it
      if (!p.acked) newlyAcked++;
      this.head++;
      progress = true;
    }
    if (this.txNext < this.head) this.txNext = this.head;
    let lastAckedIdx = -1;
    for (let i = a.acks.length - 1; i >= 0; i--) {
      if (a.acks[i] === 1) {
        lastAckedIdx = i;
        break;
      }
    }
    let fastRetransmit = false;
    const peer = this.host.peer;
    const recoverAfter = Math.max(peer.srtt + 4 * peer.rttvar, 2);
    for (let i = 0; i < a.acks.length; i++) {
      const seq = a.firstPacket + i;
      const idx = this.head + (seq - (this.tq[this.head]?.seq ?? seq));
      const p = this.tq[idx];
      if (!p || p.seq !== seq || p.sendCount === 0) continue;
      if (a.acks[i] === 1) {
        if (!p.acked) {
          p.acked = true;
          newlyAcked++;
          progress = true;
        }
      } else if (i < lastAckedIdx) {
        p.acked = false; // a soft ack can be revoked
        // A hole below an acknowledged packet: resend after three such ACKs (as Rx and TCP do), or
        // sooner once it has been out longer than a round trip — small windows never see three.
        p.nacks++;
        if (p.nacks >= 3 || now - p.sentAt >= recoverAfter) fastRetransmit = true;
      }
    }
    // RTT from the packet that provoked this ACK, if it was sent only once.
    if (serial && a.serial) {
      for (let i = this.head - 1; i >= 0 && i >= this.head - 4; i--)
        this.sampleFrom(this.tq[i], a.serial, now);
      for (let i = this.head; i < this.txNext; i++) if (this.sampleFrom(this.tq[i], a.serial, now)) break;
    }
    if (progress) {
      this.rtoBackoff = 1;
      this.cc.onAcked(newlyAcked);
    }
    if (fastRetransmit) this.fastRetransmit(a.firstPacket, lastAckedIdx, recoverAfter, now);
    // Trim the queue's consumed head now and then so it does not grow without bound.
    if (this.head > 256 && this.head * 2 > this.tq.length) {
      this.tq = this.tq.slice(this.head);
      this.txNext -= this.head;
      this.head = 0;
    }
    if (this.queued === 0) {
      this.resendDue = 0;
      if (this.ended && this.pendingLen === 0) this.allSent();
    } else if (progress) {
      this.armResend(now);
    }
    this.pump(now);
    return progress;
  }

  private fastRetransmit(firstPacket: number, lastAckedIdx: number, recoverAfter: number, now: number): void {
    let n = 0;
    for (let i = this.head; i < this.txNext && i <= this.head + lastAckedIdx; i++) {
      const p = this.tq[i]!;
      if (!p.acked && p.nacks > 0 && (p.nacks >= 3 || now - p.sentAt >= recoverAfter)) {
        p.nacks = 0;
        this.sendOne(p, now, true);
        n++;
      }
    }
    if (n) {
      this.host.countRetransmit(n);
      // Halve the window once per loss event, not once per retransmitted packet.
      if (firstPacket > this.recoverySeq) {
        this.cc.onFastRetransmit();
        this.recoverySeq = this.nextSeq;
      }
    }
  }

  private sampleFrom(p: TxPacket | undefined, serial: number, now: number): boolean {
    if (!p || p.serial !== serial) return false;
    if (p.sendCount === 1) this.host.peer.sampleRtt(now - p.sentAt);
    return true;
  }

  /** ACKALL: the peer has everything we sent. Returns whether that completed our side. */
  ackAll(): boolean {
    if (this.done || !this.ended || this.pendingLen !== 0) return false;
    this.allSent();
    return true;
  }

  /** Our side is fully acknowledged (explicitly, or implicitly by the peer's reply). */
  allSent(): void {
    this.done = true;
    this.resendDue = 0;
    this.tq = [];
    this.head = 0;
    this.txNext = 0;
  }
}
