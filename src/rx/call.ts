// One Rx call, client or server side: the send queue with its window, retransmission and
// congestion control; reassembly and ACK generation on the receive side; keepalive pings, dead-peer
// detection, hard and idle deadlines and cancellation. All of a call's timing runs on one timer.

import { Congestion } from './congestion.js';
import {
  RX_CALL_DEAD,
  RX_CALL_TIMEOUT,
  RX_PROTOCOL_ERROR,
  RX_USER_ABORT,
  RxCallError,
  type RxFailure,
} from './errors.js';
import {
  type AckBody,
  AckReason,
  buildJumbogram,
  encodeAck,
  Flags,
  HEADER_SIZE,
  JUMBO_DATA_SIZE,
  MAX_ACKS,
  type Packet,
  type PacketHeader,
  PacketType,
} from './packet.js';
import type { RxPeer } from './peer.js';
import type { ConnSecurity } from './security/types.js';

export interface CallTimeouts {
  /** No packet at all from the peer for this long: RX_CALL_DEAD. */
  deadTime: number;
  /** The whole call must end within this many ms: RX_CALL_TIMEOUT. 0 = none. */
  hardDeadline: number;
  /** No data progress in either direction for this long: RX_CALL_TIMEOUT. 0 = none. */
  idleTimeout: number;
}

export const DEFAULT_TIMEOUTS: CallTimeouts = { deadTime: 30_000, hardDeadline: 0, idleTimeout: 0 };

/** What a call needs from its connection and endpoint. */
export interface CallHost {
  readonly epoch: number;
  readonly cid: number; // base cid, channel bits clear
  readonly serviceId: number;
  readonly securityIndex: number;
  readonly security: ConnSecurity;
  readonly peer: RxPeer;
  readonly isClient: boolean;
  readonly tuning: RxTuning;
  nextSerial(n?: number): number;
  transmit(header: PacketHeader, body: Buffer | null): void;
  transmitRaw(datagram: Buffer): void;
  callEnded(call: RxCall): void;
  countRetransmit(n: number): void;
}

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

type Waiter = { resolve: () => void; reject: (e: Error) => void };

let callIds = 0;

export class RxCall {
  readonly id = ++callIds;
  readonly startedAt = Date.now();
  state: 'active' | 'done' | 'error' = 'active';
  error: RxCallError | undefined;
  /** Set by the application (e.g. the opcode) for diagnostics. */
  label = '';

  // Send side.
  private tq: TxPacket[] = [];
  private tqHead = 0; // index of first packet not hard-acked
  private txNext = 0; // index of first never-sent packet
  private nextSeq = 1;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private sendEnded = false;
  private sendDone = false; // every packet of ours hard-acked (or implicitly, by the reply)
  private readonly cc: Congestion;
  private rtoBackoff = 1;
  private recoverySeq = 0;
  private writeWaiters: Waiter[] = [];
  bytesSent = 0;

  // Receive side.
  private rq = new Map<number, Buffer>();
  private rnext = 1; // next seq to deliver
  private rhighest = 0;
  private rlast = 0; // seq of the LAST packet, 0 until seen
  private recvDone = false;
  private readable: Buffer[] = [];
  private readableLen = 0;
  private readWaiters: Waiter[] = [];
  private unacked = 0;
  private ackSerial = 0;
  private lastRecvSeq = 0;
  bytesReceived = 0;

  // Timing: one timer for every deadline of this call.
  private lastHeard: number;
  private lastProgress: number;
  private ackDue = 0;
  private pingDue = 0;
  private resendDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private pingSerial = 0;
  private pingSentAt = 0;
  private readonly doneWaiters: Waiter[] = [];
  private abortListener: (() => void) | undefined;

  constructor(
    private readonly host: CallHost,
    readonly channel: number,
    readonly callNumber: number,
    readonly timeouts: CallTimeouts,
    private readonly signal?: AbortSignal,
  ) {
    this.lastHeard = this.startedAt;
    this.lastProgress = this.startedAt;
    this.cc = new Congestion(Math.min(host.peer.rwind, 16));
    if (signal) {
      if (signal.aborted) {
        queueMicrotask(() => this.abortLocal(RX_USER_ABORT, signal.reason));
      } else {
        this.abortListener = () => this.abortLocal(RX_USER_ABORT, signal.reason);
        signal.addEventListener('abort', this.abortListener, { once: true });
      }
    }
    this.schedule();
  }

  get peer(): RxPeer {
    return this.host.peer;
  }

  get isClient(): boolean {
    return this.host.isClient;
  }

  /** Packets queued and not yet hard-acknowledged (diagnostics, rxdebug). */
  get txQueued(): number {
    return this.tq.length - this.tqHead;
  }

  get rxQueued(): number {
    return this.rq.size + this.readable.length;
  }

  // ---------------------------------------------------------------- application side: sending

  /** Queue bytes for sending. Resolves when the send queue has room again (backpressure). */
  write(data: Buffer): Promise<void> {
    if (this.state !== 'active') return Promise.reject(this.error ?? this.closedError());
    if (this.sendEnded)
      return Promise.reject(new RxCallError('local-abort', RX_PROTOCOL_ERROR, 'write after end'));
    if (data.length > 0) {
      this.pending.push(data);
      this.pendingLen += data.length;
      this.packetize(false);
      this.pump();
    }
    if (this.txQueued <= this.queueLimit()) return Promise.resolve();
    return new Promise((resolve, reject) => this.writeWaiters.push({ resolve, reject }));
  }

  /** Finish our side of the call (optionally with a last chunk). */
  end(data?: Buffer): Promise<void> {
    if (this.state !== 'active') return Promise.reject(this.error ?? this.closedError());
    if (this.sendEnded) return Promise.resolve();
    if (data && data.length > 0) {
      this.pending.push(data);
      this.pendingLen += data.length;
    }
    this.sendEnded = true;
    this.packetize(true);
    this.pump();
    return Promise.resolve();
  }

  private queueLimit(): number {
    return Math.max(2 * this.window(), 32);
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
    const h = this.header(PacketType.Data, seq, 0, flags);
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

  /** Send what the window allows. */
  private pump(): void {
    if (this.state !== 'active') return;
    const first = this.tq[this.tqHead];
    if (!first) return;
    const limit = first.seq + this.window();
    const peer = this.host.peer;
    const jumbo = this.host.tuning.jumboSend && peer.maxDgramPackets > 1;
    const now = Date.now();
    while (this.txNext < this.tq.length) {
      const p = this.tq[this.txNext]!;
      if (p.seq >= limit) break;
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
    if (this.resendDue === 0 && this.txQueued > 0) this.armResend(now);
  }

  private sendOne(p: TxPacket, now: number, requestAck: boolean): void {
    p.serial = this.host.nextSerial();
    p.sentAt = now;
    p.sendCount++;
    let flags = p.flags;
    if (requestAck || p.sendCount > 1) flags |= Flags.REQUEST_ACK;
    const h = this.header(PacketType.Data, p.seq, p.serial, flags, p.cksum);
    this.host.transmit(h, p.payload);
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
    const h = this.header(PacketType.Data, g0.seq, serial0, parts[0]!.flags, g0.cksum);
    const buf = buildJumbogram(h, parts);
    this.host.transmitRaw(buf);
  }

  private header(type: number, seq: number, serial: number, flags: number, cksum = 0): PacketHeader {
    return {
      epoch: this.host.epoch,
      cid: (this.host.cid | this.channel) >>> 0,
      callNumber: this.callNumber,
      seq,
      serial,
      type,
      flags,
      userStatus: 0,
      securityIndex: this.host.securityIndex,
      cksum,
      serviceId: this.host.serviceId,
    };
  }

  private armResend(now: number): void {
    this.resendDue = now + this.host.peer.rto * this.rtoBackoff;
    this.schedule();
  }

  /** Retransmit everything sent, not acked, and older than the RTO. */
  private resend(now: number): void {
    const rto = this.host.peer.rto * this.rtoBackoff;
    let n = 0;
    const first = this.tq[this.tqHead];
    const limit = first ? first.seq + this.window() : 0;
    for (let i = this.tqHead; i < this.txNext; i++) {
      const p = this.tq[i]!;
      if (p.acked || p.seq >= limit) continue;
      if (now - p.sentAt >= rto - 1) {
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
    if (this.txQueued > 0) this.armResend(now);
  }

  /** After the security handshake: resend at once whatever the server dropped while unauthenticated. */
  kick(): void {
    if (this.state !== 'active') return;
    const now = Date.now();
    for (let i = this.tqHead; i < this.txNext; i++) {
      const p = this.tq[i]!;
      if (!p.acked) this.sendOne(p, now, true);
    }
    this.pump();
  }

  // ---------------------------------------------------------------- application side: receiving

  /** The next chunk of incoming data, or null at the end of the peer's side. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      if (this.readable.length > 0) {
        const b = this.readable.shift()!;
        this.readableLen -= b.length;
        return b;
      }
      if (this.error) throw this.error;
      if (this.recvDone) return null;
      await new Promise<void>((resolve, reject) => this.readWaiters.push({ resolve, reject }));
    }
  }

  /** Exactly n bytes; an RX_PROTOCOL_ERROR-style error if the peer's side ends first. */
  async readExact(n: number): Promise<Buffer> {
    if (n === 0) return Buffer.alloc(0);
    for (;;) {
      if (this.readableLen >= n) {
        const first = this.readable[0]!;
        if (first.length >= n) {
          const out = first.subarray(0, n);
          if (first.length === n) this.readable.shift();
          else this.readable[0] = first.subarray(n);
          this.readableLen -= n;
          return out;
        }
        const out = Buffer.allocUnsafe(n);
        let off = 0;
        while (off < n) {
          const b = this.readable[0]!;
          const k = Math.min(b.length, n - off);
          b.copy(out, off, 0, k);
          off += k;
          if (k === b.length) this.readable.shift();
          else this.readable[0] = b.subarray(k);
        }
        this.readableLen -= n;
        return out;
      }
      if (this.error) throw this.error;
      if (this.recvDone) {
        throw new RxCallError(
          'local-abort',
          RX_PROTOCOL_ERROR,
          `reply ended ${n - this.readableLen} bytes short`,
        );
      }
      await new Promise<void>((resolve, reject) => this.readWaiters.push({ resolve, reject }));
    }
  }

  /** Everything the peer sends until the end of its side. */
  async readAll(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for (;;) {
      const c = await this.read();
      if (c === null) break;
      chunks.push(c);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  /** Resolves when the call has completed in both directions; rejects with the call's error. */
  get done(): Promise<void> {
    if (this.state === 'done') return Promise.resolve();
    if (this.state === 'error') return Promise.reject(this.error!);
    return new Promise((resolve, reject) => this.doneWaiters.push({ resolve, reject }));
  }

  /** Abort the call with a code; the peer is told with an ABORT packet. */
  abort(code: number, cause?: unknown): void {
    this.abortLocal(code, cause);
  }

  // ---------------------------------------------------------------- packets from the peer

  /** Any packet for this call arrived: the peer is alive. */
  heard(now: number): void {
    this.lastHeard = now;
  }

  receiveData(p: Packet, payload: Buffer, now: number): void {
    this.lastHeard = now;
    if (this.state !== 'active') return;
    if (this.host.isClient && !this.sendDone) {
      // The first reply packet acknowledges our whole request implicitly.
      if (this.sendEnded && this.pendingLen === 0 && this.txNext === this.tq.length) this.allSent();
      else {
        this.abortLocal(RX_PROTOCOL_ERROR, new Error('reply data before the request was sent'));
        return;
      }
    }
    const seq = p.seq;
    if (seq < this.rnext || this.rq.has(seq)) {
      this.sendAck(AckReason.DUPLICATE, p.serial);
      return;
    }
    if (seq >= this.rnext + Math.max(this.host.tuning.rwind, MAX_ACKS)) {
      this.sendAck(AckReason.EXCEEDS_WINDOW, p.serial);
      return;
    }
    if (p.flags & Flags.LAST_PACKET) this.rlast = seq;
    if (this.rlast && seq > this.rlast) {
      this.abortLocal(RX_PROTOCOL_ERROR, new Error('DATA after the last packet'));
      return;
    }
    const inOrder = seq === this.rnext;
    this.rq.set(seq, payload);
    if (seq > this.rhighest) this.rhighest = seq;
    this.lastRecvSeq = seq;
    this.bytesReceived += payload.length;
    let delivered = false;
    while (this.rq.has(this.rnext)) {
      const b = this.rq.get(this.rnext)!;
      this.rq.delete(this.rnext);
      this.rnext++;
      if (b.length > 0) {
        this.readable.push(b);
        this.readableLen += b.length;
      }
      delivered = true;
    }
    if (delivered) this.lastProgress = now;
    if (this.rlast && this.rnext > this.rlast) this.recvDone = true;
    this.unacked++;
    this.ackSerial = p.serial;
    if (this.recvDone) {
      this.sendAck(this.host.isClient ? AckReason.IDLE : AckReason.REQUESTED, p.serial);
    } else if (p.flags & Flags.REQUEST_ACK) {
      this.sendAck(AckReason.REQUESTED, p.serial);
    } else if (!inOrder) {
      this.sendAck(AckReason.OUT_OF_SEQUENCE, p.serial);
    } else if (this.unacked >= this.host.tuning.ackEvery) {
      this.sendAck(AckReason.DELAY, p.serial);
    } else if (this.ackDue === 0) {
      this.ackDue = now + this.host.tuning.ackDelay;
      this.schedule();
    }
    if (delivered || this.recvDone) this.wakeReaders();
    this.checkComplete();
  }

  receiveAck(a: AckBody, serial: number, now: number): void {
    this.lastHeard = now;
    this.host.peer.learnTrailer(a);
    if (a.reason === AckReason.PING) {
      this.sendAck(AckReason.PING_RESPONSE, serial);
    }
    if (a.reason === AckReason.PING_RESPONSE && a.serial === this.pingSerial && this.pingSentAt) {
      this.host.peer.sampleRtt(now - this.pingSentAt);
      this.pingSentAt = 0;
    }
    if (this.state !== 'active' || this.sendDone) return;
    // Hard acks: everything below firstPacket.
    let progress = false;
    let newlyAcked = 0;
    while (this.tqHead < this.tq.length && this.tq[this.tqHead]!.seq < a.firstPacket) {
      const p = this.tq[this.tqHead]!;
      if (p.sendCount === 0) break; // never sent: the peer cannot ack it
      if (!p.acked) newlyAcked++;
      this.tqHead++;
      progress = true;
    }
    if (this.txNext < this.tqHead) this.txNext = this.tqHead;
    // Soft acks and nacks.
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
      const idx = this.tqHead + (seq - (this.tq[this.tqHead]?.seq ?? seq));
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
      for (let i = this.tqHead - 1; i >= 0 && i >= this.tqHead - 4; i--)
        this.sampleFrom(this.tq[i], a.serial, now);
      for (let i = this.tqHead; i < this.txNext; i++) if (this.sampleFrom(this.tq[i], a.serial, now)) break;
    }
    if (progress) {
      this.lastProgress = now;
      this.rtoBackoff = 1;
      this.cc.onAcked(newlyAcked);
    }
    if (fastRetransmit) {
      let n = 0;
      for (let i = this.tqHead; i < this.txNext && i <= this.tqHead + lastAckedIdx; i++) {
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
        if (a.firstPacket > this.recoverySeq) {
          this.cc.onFastRetransmit();
          this.recoverySeq = this.nextSeq;
        }
      }
    }
    // Trim the queue's consumed head now and then so it does not grow without bound.
    if (this.tqHead > 256 && this.tqHead * 2 > this.tq.length) {
      this.tq = this.tq.slice(this.tqHead);
      this.txNext -= this.tqHead;
      this.tqHead = 0;
    }
    if (this.txQueued === 0) {
      this.resendDue = 0;
      if (this.sendEnded && this.pendingLen === 0) this.allSent();
    } else if (progress) {
      this.armResend(now);
    }
    this.pump();
    if (this.txQueued <= this.queueLimit()) this.wakeWriters();
    this.checkComplete();
  }

  private sampleFrom(p: TxPacket | undefined, serial: number, now: number): boolean {
    if (!p || p.serial !== serial) return false;
    if (p.sendCount === 1) this.host.peer.sampleRtt(now - p.sentAt);
    return true;
  }

  /** ACKALL: the peer has everything we sent. */
  receiveAckAll(now: number): void {
    this.lastHeard = now;
    if (this.state !== 'active') return;
    if (this.sendEnded && this.pendingLen === 0) {
      this.tqHead = this.tq.length;
      this.txNext = this.tq.length;
      this.allSent();
      this.checkComplete();
    }
  }

  receiveAbort(code: number): void {
    this.fail('remote-abort', code, `aborted by the peer with code ${code}`);
  }

  receiveBusy(now: number): void {
    // The channel is still busy with an older call at the server; keep retransmitting until it frees.
    this.lastHeard = now;
  }

  // ---------------------------------------------------------------- completion

  private allSent(): void {
    this.sendDone = true;
    this.tqHead = this.tq.length;
    this.txNext = this.tq.length;
    this.resendDue = 0;
    this.tq = [];
    this.tqHead = 0;
    this.txNext = 0;
    this.wakeWriters();
  }

  /** Client: the reply has fully arrived. Server: our reply has been acknowledged. */
  private checkComplete(): void {
    if (this.state !== 'active') return;
    const complete = this.host.isClient ? this.recvDone : this.sendDone && this.recvDone;
    if (!complete) return;
    this.state = 'done';
    this.finish();
    for (const w of this.doneWaiters.splice(0)) w.resolve();
  }

  /** Server side: a new call on the same channel implicitly acknowledges our reply. */
  implicitlyAcked(): void {
    if (this.state !== 'active') return;
    if (this.sendEnded && this.recvDone) {
      this.allSent();
      this.checkComplete();
    } else {
      this.fail('local-abort', RX_PROTOCOL_ERROR, 'superseded by a newer call on the channel');
    }
  }

  private abortLocal(code: number, cause?: unknown): void {
    if (this.state !== 'active') return;
    this.sendAbortPacket(code);
    const failure: RxFailure = code === RX_CALL_TIMEOUT ? 'timeout' : 'local-abort';
    this.fail(failure, code, undefined, cause);
  }

  sendAbortPacket(code: number): void {
    const body = Buffer.allocUnsafe(4);
    body.writeInt32BE(code | 0, 0);
    const flags = this.host.isClient ? Flags.CLIENT_INITIATED : 0;
    this.host.transmit(this.header(PacketType.Abort, 0, this.host.nextSerial(), flags), body);
  }

  /** End the call with an error (no packet sent). */
  fail(failure: RxFailure, code: number, message?: string, cause?: unknown): void {
    if (this.state !== 'active') return;
    this.state = 'error';
    this.error = new RxCallError(failure, code, message, cause === undefined ? undefined : { cause });
    this.finish();
    const e = this.error;
    for (const w of this.readWaiters.splice(0)) w.reject(e);
    for (const w of this.writeWaiters.splice(0)) w.reject(e);
    for (const w of this.doneWaiters.splice(0)) w.reject(e);
  }

  private finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.abortListener && this.signal) this.signal.removeEventListener('abort', this.abortListener);
    this.abortListener = undefined;
    this.host.callEnded(this);
    this.wakeReaders();
  }

  private closedError(): RxCallError {
    return new RxCallError('closed', RX_CALL_DEAD, 'call is no longer active');
  }

  private wakeReaders(): void {
    for (const w of this.readWaiters.splice(0)) w.resolve();
  }

  private wakeWriters(): void {
    for (const w of this.writeWaiters.splice(0)) w.resolve();
  }

  // ---------------------------------------------------------------- ACKs and pings we send

  /** The ACK body describing our receive state. */
  ackBody(reason: number, serial: number): AckBody {
    const n = Math.min(Math.max(this.rhighest - this.rnext + 1, 0), MAX_ACKS);
    const acks = new Uint8Array(n);
    for (let i = 0; i < n; i++) acks[i] = this.rq.has(this.rnext + i) ? 1 : 0;
    const t = this.host.tuning;
    return {
      bufferSpace: 0,
      maxSkew: 0,
      firstPacket: this.rnext,
      previousPacket: this.lastRecvSeq,
      serial,
      reason,
      acks,
      maxMTU: t.maxMTU,
      ifMTU: t.maxMTU,
      rwind: t.rwind,
      maxDgramPackets: t.jumboRecv,
    };
  }

  sendAck(reason: number, serial: number, extraFlags = 0): number {
    const ackSerial = this.host.nextSerial();
    const flags = (this.host.isClient ? Flags.CLIENT_INITIATED : 0) | Flags.SLOW_START_OK | extraFlags;
    const h = this.header(PacketType.Ack, 0, ackSerial, flags);
    this.host.transmit(h, encodeAck(this.ackBody(reason, serial)));
    if (reason !== AckReason.PING && reason !== AckReason.PING_RESPONSE) {
      this.unacked = 0;
      this.ackDue = 0;
    }
    return ackSerial;
  }

  private sendPing(now: number): void {
    this.pingSerial = this.sendAck(AckReason.PING, 0, Flags.REQUEST_ACK);
    this.pingSentAt = now;
  }

  // ---------------------------------------------------------------- the call's one timer

  private schedule(): void {
    if (this.state !== 'active') return;
    const now = Date.now();
    const t = this.timeouts;
    if (this.pingDue === 0) this.pingDue = now + Math.max(t.deadTime / 6, 50);
    let due = this.pingDue;
    due = Math.min(due, this.lastHeard + t.deadTime);
    if (this.ackDue) due = Math.min(due, this.ackDue);
    if (this.resendDue) due = Math.min(due, this.resendDue);
    if (t.hardDeadline) due = Math.min(due, this.startedAt + t.hardDeadline);
    if (t.idleTimeout) due = Math.min(due, this.lastProgress + t.idleTimeout);
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.tick(), Math.max(due - now, 0));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.state !== 'active') return;
    const now = Date.now();
    const t = this.timeouts;
    if (t.hardDeadline && now >= this.startedAt + t.hardDeadline) {
      this.abortLocal(RX_CALL_TIMEOUT, new Error(`hard deadline of ${t.hardDeadline} ms passed`));
      return;
    }
    if (t.idleTimeout && now >= this.lastProgress + t.idleTimeout) {
      this.abortLocal(RX_CALL_TIMEOUT, new Error(`no progress for ${t.idleTimeout} ms`));
      return;
    }
    if (now >= this.lastHeard + t.deadTime) {
      this.fail('dead', RX_CALL_DEAD, `peer ${this.host.peer.key} silent for ${t.deadTime} ms`);
      return;
    }
    if (this.ackDue && now >= this.ackDue) this.sendAck(AckReason.DELAY, this.ackSerial);
    if (this.resendDue && now >= this.resendDue) this.resend(now);
    if (now >= this.pingDue) {
      // Keepalive: only when the peer has been quiet for a ping interval.
      const interval = Math.max(t.deadTime / 6, 50);
      if (now - this.lastHeard >= interval - 1) this.sendPing(now);
      this.pingDue = now + interval;
    }
    this.schedule();
  }
}
