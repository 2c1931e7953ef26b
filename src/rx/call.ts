// One Rx call, client or server side. The call owns a send queue (window, retransmission) and a
// receive queue (reassembly, flow control); it adds the stream API the application uses, the ACKs
// and pings it sends, completion, and one timer for every deadline: keepalive, dead peer, hard and
// idle deadlines, delayed ACKs, retransmission and cancellation.

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
  encodeAbortCode,
  encodeAck,
  Flags,
  type Packet,
  type PacketHeader,
  PacketType,
} from './packet.js';
import type { RxPeer } from './peer.js';
import { Arrival, ReceiveQueue } from './receive-queue.js';
import type { ConnSecurity } from './security/types.js';
import { SendQueue } from './send-queue.js';
import type { RxTuning } from './tuning.js';

export interface CallTimeouts {
  /** No packet at all from the peer for this long: RX_CALL_DEAD. */
  deadTime: number;
  /** The whole call must end within this many ms: RX_CALL_TIMEOUT. 0 = none. */
  hardDeadline: number;
  /** No data progress in either direction for this long: RX_CALL_TIMEOUT. 0 = none. */
  idleTimeout: number;
}

export const DEFAULT_TIMEOUTS: CallTimeouts = { deadTime: 30_000, hardDeadline: 0, idleTimeout: 0 };

/** Unproven peers get at most one reachability ping per this many ms, each provoked by a packet of theirs. */
const PROOF_PING_INTERVAL = 1000;

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
  /** Whether a serial is one this connection has sent (an ACK naming it proves the peer hears us). */
  sentSerial(serial: number): boolean;
  transmit(header: PacketHeader, body: Buffer | null): void;
  transmitRaw(datagram: Buffer): void;
  maySend(bytes: number): boolean;
  callEnded(call: RxCall): void;
  countRetransmit(n: number): void;
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

  private readonly tx: SendQueue;
  private readonly rx: ReceiveQueue;
  /** Largest number of bytes the peer's side may carry (server calls: the request bound). */
  private receiveLimit = Number.POSITIVE_INFINITY;
  private overLimitCode = RX_PROTOCOL_ERROR;
  private writeWaiters: Waiter[] = [];
  private readWaiters: Waiter[] = [];
  private readonly doneWaiters: Waiter[] = [];

  // ACK state.
  private unacked = 0;
  private ackSerial = 0;
  /** firstPacket of the last ACK sent: reading far past it tells a window-bound sender to go on. */
  private ackedFirst = 1;

  // Timing: one timer for every deadline of this call.
  private lastHeard: number;
  private lastProgress: number;
  private busySince = 0;
  private ackDue = 0;
  private pingDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private pingSerial = 0;
  private pingSentAt = 0;
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
    this.tx = new SendQueue({
      get peer() {
        return host.peer;
      },
      get tuning() {
        return host.tuning;
      },
      get security() {
        return host.security;
      },
      get isClient() {
        return host.isClient;
      },
      header: (type, seq, serial, flags, cksum) => this.header(type, seq, serial, flags, cksum),
      nextSerial: (n) => host.nextSerial(n),
      transmit: (h, body) => host.transmit(h, body),
      transmitRaw: (d) => host.transmitRaw(d),
      countRetransmit: (n) => host.countRetransmit(n),
      maySend: (bytes) => host.maySend(bytes),
      schedule: () => this.schedule(),
    });
    this.rx = new ReceiveQueue(Math.min(host.tuning.rwind, 255));
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

  get bytesSent(): number {
    return this.tx.bytesSent;
  }

  get bytesReceived(): number {
    return this.rx.bytesReceived;
  }

  /** Packets queued and not yet hard-acknowledged (diagnostics, rxdebug). */
  get txQueued(): number {
    return this.tx.queued;
  }

  get rxQueued(): number {
    return this.rx.queued;
  }

  /** Our side of the call is finished (the application called end()). */
  get sendEnded(): boolean {
    return this.tx.ended;
  }

  /** The seq after the peer's last DATA packet (to re-acknowledge retransmissions after the end). */
  get receiveNext(): number {
    return this.rx.nextExpected;
  }

  /**
   * Bound what the peer's side may carry: a call that receives more is aborted with `code`.
   * Server calls are bounded by their service, then by their RPC once the opcode is known.
   */
  limitReceive(bytes: number, code: number): void {
    this.receiveLimit = Math.min(this.receiveLimit, bytes);
    this.overLimitCode = code;
    if (this.rx.bytesReceived > this.receiveLimit) this.overLimit();
  }

  private overLimit(): void {
    this.abortLocal(
      this.overLimitCode,
      new Error(`the peer sent more than the ${this.receiveLimit} bytes this call may carry`),
    );
  }

  // ---------------------------------------------------------------- application side: sending

  /** Queue bytes for sending. Resolves when the send queue has room again (backpressure). */
  write(data: Buffer): Promise<void> {
    if (this.state !== 'active') return Promise.reject(this.error ?? this.closedError());
    if (this.tx.ended)
      return Promise.reject(new RxCallError('local-abort', RX_PROTOCOL_ERROR, 'write after end'));
    this.tx.write(data, Date.now());
    if (this.tx.queued <= this.tx.limit) return Promise.resolve();
    return new Promise((resolve, reject) => this.writeWaiters.push({ resolve, reject }));
  }

  /** Finish our side of the call (optionally with a last chunk). */
  end(data?: Buffer): Promise<void> {
    if (this.state !== 'active') return Promise.reject(this.error ?? this.closedError());
    if (this.tx.ended) return Promise.resolve();
    this.tx.end(data, Date.now());
    return Promise.resolve();
  }

  /** After the security handshake: resend at once whatever the server dropped while unauthenticated. */
  kick(): void {
    if (this.state === 'active') this.tx.kick(Date.now());
  }

  // ---------------------------------------------------------------- application side: receiving

  /** The next chunk of incoming data, or null at the end of the peer's side. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      const b = this.rx.read();
      if (b) {
        this.consumed();
        return b;
      }
      if (this.error) throw this.error;
      if (this.rx.complete) return null;
      await new Promise<void>((resolve, reject) => this.readWaiters.push({ resolve, reject }));
    }
  }

  /** Exactly n bytes; an RX_PROTOCOL_ERROR-style error if the peer's side ends first. */
  async readExact(n: number): Promise<Buffer> {
    if (n === 0) return Buffer.alloc(0);
    for (;;) {
      const b = this.rx.readExact(n);
      if (b) {
        this.consumed();
        return b;
      }
      if (this.error) throw this.error;
      if (this.rx.complete) {
        throw new RxCallError(
          'local-abort',
          RX_PROTOCOL_ERROR,
          `reply ended ${n - this.rx.available} bytes short`,
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

  /** The reader freed window space: once it is half the window, tell a sender that may be waiting. */
  private consumed(): void {
    if (this.state !== 'active' || this.rx.complete) return;
    if (this.rx.firstUnconsumed - this.ackedFirst >= Math.max(this.host.tuning.rwind >> 1, 1))
      this.sendAck(AckReason.DELAY, this.ackSerial);
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

  /** A server call toward a peer that has not yet shown it receives what we send. */
  private get awaitingProof(): boolean {
    return !this.host.isClient && !this.host.peer.proven;
  }

  receiveData(p: Packet, payload: Buffer, now: number): void {
    this.lastHeard = now;
    this.busySince = 0;
    if (this.state !== 'active') return;
    if (this.host.isClient && !this.tx.done) {
      // The first reply packet acknowledges our whole request implicitly.
      if (this.tx.allTransmitted) this.sendComplete();
      else {
        this.abortLocal(RX_PROTOCOL_ERROR, new Error('reply data before the request was sent'));
        return;
      }
    }
    const arrival = this.rx.accept(p.seq, p.flags, payload);
    switch (arrival) {
      case Arrival.Duplicate:
        this.sendAck(AckReason.DUPLICATE, p.serial);
        return;
      case Arrival.ExceedsWindow:
        this.sendAck(AckReason.EXCEEDS_WINDOW, p.serial);
        return;
      case Arrival.AfterLast:
        this.abortLocal(RX_PROTOCOL_ERROR, new Error('DATA after the last packet'));
        return;
    }
    if (this.rx.bytesReceived > this.receiveLimit) {
      this.overLimit();
      return;
    }
    if (arrival === Arrival.InOrder) this.lastProgress = now;
    const complete = this.rx.complete;
    this.unacked++;
    this.ackSerial = p.serial;
    if (complete) {
      this.sendAck(this.host.isClient ? AckReason.IDLE : AckReason.REQUESTED, p.serial);
    } else if (p.flags & Flags.REQUEST_ACK) {
      this.sendAck(AckReason.REQUESTED, p.serial);
    } else if (arrival === Arrival.OutOfOrder) {
      this.sendAck(AckReason.OUT_OF_SEQUENCE, p.serial);
    } else if (this.unacked >= this.host.tuning.ackEvery) {
      this.sendAck(AckReason.DELAY, p.serial);
    } else if (this.ackDue === 0) {
      this.ackDue = now + this.host.tuning.ackDelay;
      this.schedule();
    }
    if (arrival === Arrival.InOrder) this.wakeReaders();
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
    if (this.awaitingProof && a.serial !== 0 && this.host.sentSerial(a.serial)) {
      // The peer named a serial only a receiver of our packets can know: its address is real.
      this.host.peer.proven = true;
      if (this.state === 'active') this.tx.kick(now);
    }
    if (this.state !== 'active' || this.tx.done) return;
    if (this.tx.onAck(a, serial, now)) {
      this.lastProgress = now;
      this.busySince = 0;
    }
    if (this.tx.done) this.wakeWriters();
    else if (this.tx.queued <= this.tx.limit) this.wakeWriters();
    this.checkComplete();
  }

  /** ACKALL: the peer has everything we sent. */
  receiveAckAll(now: number): void {
    this.lastHeard = now;
    if (this.state !== 'active') return;
    if (this.tx.ackAll()) {
      this.wakeWriters();
      this.checkComplete();
    }
  }

  receiveAbort(code: number): void {
    this.fail('remote-abort', code, `aborted by the peer with code ${code}`);
  }

  /**
   * The channel is still busy with an older call at the peer. Keep retransmitting until it frees,
   * but BUSY alone does not keep the call alive: after the dead time of nothing else, it fails.
   */
  receiveBusy(now: number): void {
    if (this.busySince !== 0 || this.state !== 'active') return;
    this.busySince = now;
    this.schedule();
  }

  // ---------------------------------------------------------------- completion

  private sendComplete(): void {
    this.tx.allSent();
    this.wakeWriters();
  }

  /** Client: the reply has fully arrived. Server: our reply has been acknowledged. */
  private checkComplete(): void {
    if (this.state !== 'active') return;
    const complete = this.host.isClient ? this.rx.complete : this.tx.done && this.rx.complete;
    if (!complete) return;
    this.state = 'done';
    this.finish();
    for (const w of this.doneWaiters.splice(0)) w.resolve();
  }

  /** Server side: a new call on the same channel implicitly acknowledges our reply. */
  implicitlyAcked(): void {
    if (this.state !== 'active') return;
    if (this.tx.ended && this.rx.complete) {
      this.sendComplete();
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
    const flags = this.host.isClient ? Flags.CLIENT_INITIATED : 0;
    this.host.transmit(
      this.header(PacketType.Abort, 0, this.host.nextSerial(), flags),
      encodeAbortCode(code),
    );
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

  // ---------------------------------------------------------------- packets we send

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

  /** The ACK body describing our receive state. */
  ackBody(reason: number, serial: number): AckBody {
    const { firstPacket, acks } = this.rx.ackFields();
    const t = this.host.tuning;
    return {
      bufferSpace: 0,
      maxSkew: 0,
      firstPacket,
      previousPacket: this.rx.lastSeq,
      serial,
      reason,
      acks,
      maxMTU: t.maxMTU,
      ifMTU: t.maxMTU,
      rwind: t.rwind,
      maxDgramPackets: t.jumboRecv,
    };
  }

  /**
   * Send an ACK. Toward an unproven peer (server side) it goes out as a PING, at most once a
   * second: the peer's answer naming its serial is what proves the peer's address.
   */
  sendAck(reason: number, serial: number, extraFlags = 0): number {
    const now = Date.now();
    if (
      reason !== AckReason.PING_RESPONSE &&
      this.awaitingProof &&
      now - this.pingSentAt >= PROOF_PING_INTERVAL
    ) {
      reason = AckReason.PING;
      extraFlags |= Flags.REQUEST_ACK;
    }
    const ackSerial = this.host.nextSerial();
    const flags = (this.host.isClient ? Flags.CLIENT_INITIATED : 0) | Flags.SLOW_START_OK | extraFlags;
    const h = this.header(PacketType.Ack, 0, ackSerial, flags);
    const body = this.ackBody(reason, serial);
    this.host.transmit(h, encodeAck(body));
    if (reason === AckReason.PING) {
      this.pingSerial = ackSerial;
      this.pingSentAt = now;
    }
    if (reason !== AckReason.PING_RESPONSE) {
      this.unacked = 0;
      this.ackDue = 0;
      this.ackedFirst = body.firstPacket;
    }
    return ackSerial;
  }

  // ---------------------------------------------------------------- the call's one timer

  private schedule(): void {
    if (this.state !== 'active') return;
    const now = Date.now();
    const t = this.timeouts;
    if (this.pingDue === 0) this.pingDue = now + Math.max(t.deadTime / 6, 50);
    let due = this.pingDue;
    due = Math.min(due, this.lastHeard + t.deadTime);
    if (this.busySince) due = Math.min(due, this.busySince + t.deadTime);
    if (this.ackDue) due = Math.min(due, this.ackDue);
    if (this.tx.resendDue) due = Math.min(due, this.tx.resendDue);
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
    if (this.busySince && now >= this.busySince + t.deadTime) {
      this.fail('dead', RX_CALL_DEAD, `peer ${this.host.peer.key} answered only BUSY for ${t.deadTime} ms`);
      return;
    }
    if (this.ackDue && now >= this.ackDue) this.sendAck(AckReason.DELAY, this.ackSerial);
    // Toward an unproven peer nothing is sent on our own initiative: no retransmission, no keepalive.
    const unproven = this.awaitingProof;
    if (this.tx.resendDue && now >= this.tx.resendDue) {
      if (unproven) this.tx.resendDue = now + this.host.peer.rto;
      else this.tx.resend(now);
    }
    if (now >= this.pingDue) {
      // Keepalive: only when the peer has been quiet for a ping interval.
      const interval = Math.max(t.deadTime / 6, 50);
      if (!unproven && now - this.lastHeard >= interval - 1) this.sendPing(now);
      this.pingDue = now + interval;
    }
    this.schedule();
  }

  private sendPing(now: number): void {
    this.pingSerial = this.sendAck(AckReason.PING, 0, Flags.REQUEST_ACK);
    this.pingSentAt = now;
  }
}
