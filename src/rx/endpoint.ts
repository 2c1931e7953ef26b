// The one UDP socket of a client: it carries our outgoing calls and serves incoming ones (file
// servers call back to the address and port we called from). It demultiplexes every datagram,
// counts and drops whatever is malformed or unasked-for, holds what it sends toward unproven
// peers to a small multiple of what they sent, and keeps the socket ref()ed only while something
// is in flight. Connection records live in ConnTable, DEBUG/VERSION answers in DebugService.

import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { VERSION } from '../version.js';
import { type CallTimeouts, DEFAULT_TIMEOUTS, type RxCall } from './call.js';
import { ConnTable } from './conn-table.js';
import { type ConnHost, RxConnection } from './connection.js';
import { DebugService } from './debug-server.js';
import { RX_CALL_DEAD, RX_INVALID_OPERATION, RX_PROTOCOL_ERROR, RxCallError } from './errors.js';
import {
  type AckBody,
  AckReason,
  decodeAbortCode,
  decodeAck,
  decodePacket,
  encodeAbortCode,
  Flags,
  HEADER_SIZE,
  type Packet,
  type PacketHeader,
  PacketType,
  RxPacketError,
  splitJumbogram,
  writeHeader,
} from './packet.js';
import { isLoopback, type RxPeer } from './peer.js';
import { rxnull } from './security/null.js';
import type { SecurityClass } from './security/types.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_TUNING,
  type DebugAnswers,
  type RxLimits,
  type RxTuning,
  SERVER_CALL_TIMEOUTS,
} from './tuning.js';

export const TSAFS_RX_VERSION = `tsafs ${VERSION} (pure-TypeScript Rx)`;

export interface EndpointOptions {
  /** Local address to bind (default 0.0.0.0). */
  host?: string;
  /** Local port (default 0: any). */
  port?: number;
  tuning?: Partial<RxTuning>;
  limits?: Partial<RxLimits>;
  /** Text answered to VERSION packets (rxdebug -version). */
  version?: string;
  /**
   * Who gets answers to rxdebug's DEBUG/VERSION packets and cmdebug's RPCs (default 'loopback'):
   * they disclose connection ids, cached FIDs and cells.
   */
  debugAnswers?: DebugAnswers;
}

export interface CallOptions {
  host: string;
  port: number;
  serviceId: number;
  security?: SecurityClass;
  timeouts?: Partial<CallTimeouts>;
  signal?: AbortSignal;
  label?: string;
}

/** An incoming call on one of our services. */
export type ServiceHandler = (call: RxCall, peer: RxPeer) => void;

export interface ServeOptions {
  /** Largest request a call of this service may carry (bytes); longer ones are aborted with `abortCode`. */
  maxRequest?: number;
  abortCode?: number;
}

interface Service {
  handler: ServiceHandler;
  maxRequest: number;
  abortCode: number;
}

export interface EndpointStats {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  dataIn: number;
  dataOut: number;
  acksIn: number;
  acksOut: number;
  retransmits: number;
  pingsAnswered: number;
  callsStarted: number;
  callsEnded: number;
  callsServed: number;
  /** Datagrams dropped (received or, toward unproven peers, not sent), total and by reason. */
  dropped: number;
  dropReasons: Record<string, number>;
}

export class RxEndpoint {
  readonly epoch: number;
  readonly tuning: RxTuning;
  readonly limits: RxLimits;
  readonly stats: EndpointStats = {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    dataIn: 0,
    dataOut: 0,
    acksIn: 0,
    acksOut: 0,
    retransmits: 0,
    pingsAnswered: 0,
    callsStarted: 0,
    callsEnded: 0,
    callsServed: 0,
    dropped: 0,
    dropReasons: {},
  };
  /** Peers and connections. */
  readonly conns: ConnTable;
  private readonly services = new Map<number, Service>();
  private readonly debug: DebugService;
  private nextCid: number;
  private active = 0;
  private holds = 0;
  private closed = false;
  private sweeper: NodeJS.Timeout;
  private readonly connHost: ConnHost;
  private readonly securityIds = new WeakMap<SecurityClass, number>();
  private nextSecurityId = 1;
  /** Optional hook: every datagram before demux (tests, tracing). */
  onDatagram: ((buf: Buffer, host: string, port: number) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    options: EndpointOptions,
  ) {
    const r = randomBytes(8);
    // Random epoch with bit 31 set and bit 30 clear, as OpenAFS picks it: peers then match
    // connections by (epoch, cid) alone.
    this.epoch = ((r.readUInt32BE(0) & ~0x40000000) | 0x80000000) >>> 0;
    this.nextCid = (r.readUInt32BE(4) & 0x3ffffffc) >>> 0;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.conns = new ConnTable(this.limits);
    const self = this;
    this.connHost = {
      get tuning() {
        return self.tuning;
      },
      send: (peer, h, body) => self.send(peer, h, body),
      sendRaw: (peer, d) => self.sendRaw(peer, d),
      maySend: (peer, bytes) => self.maySend(peer, bytes),
      callStarted: () => self.callStarted(),
      callEnded: () => self.callEnded(),
      countRetransmit: (n) => {
        self.stats.retransmits += n;
      },
    };
    this.debug = new DebugService(
      {
        tuning: this.tuning,
        conns: this.conns,
        stats: this.stats,
        send: (host, port, h, body) => this.sendDebug(host, port, h, body),
        drop: (reason) => this.drop(reason),
        hold: () => this.hold(),
      },
      options.debugAnswers ?? 'loopback',
      options.version ?? TSAFS_RX_VERSION,
    );
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    socket.on('error', () => {
      // Errors on a UDP socket (ICMP unreachable and the like) are not fatal; calls time out.
    });
    this.sweeper = setInterval(() => this.conns.sweep(Date.now()), 30_000);
    this.sweeper.unref();
    socket.unref();
  }

  static async open(options: EndpointOptions = {}): Promise<RxEndpoint> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: options.host ?? '0.0.0.0', port: options.port ?? 0 }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(4 << 20);
      socket.setSendBufferSize(4 << 20);
    } catch {
      // Best effort: the kernel may cap buffer sizes.
    }
    return new RxEndpoint(socket, options);
  }

  get address(): { host: string; port: number } {
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Who gets rxdebug and cmdebug answers. */
  get debugAnswers(): DebugAnswers {
    return this.debug.policy;
  }

  peer(host: string, port: number): RxPeer {
    return this.conns.peer(host, port);
  }

  findPeer(host: string, port: number): RxPeer | undefined {
    return this.conns.findPeer(host, port);
  }

  /** Serve incoming calls for a service id (the callback service is 1). */
  serve(serviceId: number, handler: ServiceHandler, opts: ServeOptions = {}): void {
    this.services.set(serviceId, {
      handler,
      maxRequest: opts.maxRequest ?? Number.POSITIVE_INFINITY,
      abortCode: opts.abortCode ?? RX_PROTOCOL_ERROR,
    });
  }

  /** Keep the socket ref()ed while the caller waits for incoming calls (e.g. a watcher). */
  hold(): () => void {
    this.holds++;
    this.updateRef();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.updateRef();
    };
  }

  /** Start a client call. */
  call(opts: CallOptions): RxCall {
    if (this.closed) throw new RxCallError('closed', RX_CALL_DEAD, 'endpoint is closed');
    const security = opts.security ?? rxnull;
    const peer = this.peer(opts.host, opts.port);
    // A peer we chose to call is no forged address.
    peer.proven = true;
    const conn = this.connectionFor(peer, opts.serviceId, security);
    const channel = conn.freeChannel();
    const call = conn.startCall(channel, { ...DEFAULT_TIMEOUTS, ...opts.timeouts }, opts.signal);
    if (opts.label) call.label = opts.label;
    return call;
  }

  private securityKey(s: SecurityClass): number {
    let id = this.securityIds.get(s);
    if (id === undefined) {
      id = this.nextSecurityId++;
      this.securityIds.set(s, id);
    }
    return id;
  }

  private connectionFor(peer: RxPeer, serviceId: number, security: SecurityClass): RxConnection {
    const key = `${peer.key}/${serviceId}/${this.securityKey(security)}`;
    return this.conns.clientConnection(key, peer, () => {
      const cid = this.nextCid;
      this.nextCid = (this.nextCid + 4) & 0x3ffffffc;
      return new RxConnection(this.connHost, peer, this.epoch, cid, serviceId, security, true);
    });
  }

  /** Send one DEBUG or VERSION request and wait for its answer (used by `tsafs rxdebug`). */
  debugRequest(host: string, port: number, type: number, body: Buffer, timeoutMs = 3000): Promise<Buffer> {
    if (this.closed) return Promise.reject(new RxCallError('closed', RX_CALL_DEAD, 'endpoint is closed'));
    return this.debug.request(host, port, type, body, timeoutMs);
  }

  // ------------------------------------------------------------------ sending

  /** Toward a peer that has not proven its address, at most `unprovenSendRatio` times what it sent. */
  private maySend(peer: RxPeer, bytes: number): boolean {
    return peer.proven || peer.bytesSent + bytes <= this.limits.unprovenSendRatio * peer.bytesReceived;
  }

  private send(peer: RxPeer, h: PacketHeader, body: Buffer | null): void {
    if (this.closed) return;
    const len = HEADER_SIZE + (body ? body.length : 0);
    if (!this.maySend(peer, len)) {
      this.drop('unproven-peer-budget');
      return;
    }
    const hdr = Buffer.allocUnsafe(HEADER_SIZE);
    writeHeader(hdr, h);
    this.count(h.type, len, peer);
    this.socket.send(body?.length ? [hdr, body] : hdr, peer.port, peer.host);
  }

  private sendRaw(peer: RxPeer, datagram: Buffer): void {
    if (this.closed) return;
    if (!this.maySend(peer, datagram.length)) {
      this.drop('unproven-peer-budget');
      return;
    }
    this.count(datagram[20]!, datagram.length, peer);
    this.socket.send(datagram, peer.port, peer.host);
  }

  /** Debug traffic: requests we make and answers on loopback go as they are; other answers are budgeted. */
  private sendDebug(host: string, port: number, h: PacketHeader, body: Buffer): void {
    if (this.closed) return;
    if (h.flags & Flags.CLIENT_INITIATED || isLoopback(host)) {
      const hdr = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(hdr, h);
      this.stats.packetsOut++;
      this.stats.bytesOut += HEADER_SIZE + body.length;
      this.socket.send([hdr, body], port, host);
      return;
    }
    this.send(this.peer(host, port), h, body);
  }

  private count(type: number, len: number, peer: RxPeer): void {
    this.stats.packetsOut++;
    this.stats.bytesOut += len;
    peer.nSent++;
    peer.bytesSent += len;
    if (type === PacketType.Data) this.stats.dataOut++;
    else if (type === PacketType.Ack) this.stats.acksOut++;
  }

  // ------------------------------------------------------------------ receiving

  private drop(reason: string): void {
    this.stats.dropped++;
    this.stats.dropReasons[reason] = (this.stats.dropReasons[reason] ?? 0) + 1;
  }

  private receive(buf: Buffer, host: string, port: number): void {
    if (this.closed) return;
    this.stats.packetsIn++;
    this.stats.bytesIn += buf.length;
    try {
      this.onDatagram?.(buf, host, port);
      this.demux(buf, host, port);
    } catch (e) {
      // Nothing a peer sends may throw out of the socket handler.
      this.drop(e instanceof RxPacketError ? `malformed:${e.code}` : 'handler-error');
    }
  }

  private demux(buf: Buffer, host: string, port: number): void {
    const p = decodePacket(buf);
    const now = Date.now();
    if (p.type === PacketType.Debug || p.type === PacketType.Version) {
      if (p.flags & Flags.CLIENT_INITIATED && !isLoopback(host)) {
        // Remote askers earn their answer's budget like any unproven peer.
        const peer = this.conns.findPeer(host, port);
        if (peer) peer.bytesReceived += buf.length;
        else if (this.debug.policy === 'all') this.peer(host, port).bytesReceived += buf.length;
      }
      this.debug.receive(p, host, port);
      return;
    }
    if (p.type === 0 || p.type > 13 || (p.type >= 9 && p.type <= 12)) {
      this.drop('unknown-type');
      return;
    }
    // Decode every body before any state changes, so a malformed datagram is dropped whole.
    const parts = p.type === PacketType.Data ? splitJumbogram(p) : undefined;
    const ack = p.type === PacketType.Ack ? decodeAck(p.body) : undefined;
    const abortCode = p.type === PacketType.Abort ? decodeAbortCode(p.body) : 0;
    const clientSide = (p.flags & Flags.CLIENT_INITIATED) === 0;
    let conn: RxConnection | undefined;
    if (clientSide) {
      // A packet from a server about one of our calls.
      conn = this.conns.clientConns.get((p.cid & ~3) >>> 0);
      if (!conn || p.epoch !== this.epoch) {
        this.drop('unknown-connection');
        return;
      }
      if (conn.peer.host !== host || conn.peer.port !== port) {
        this.drop('wrong-peer');
        return;
      }
    } else {
      conn = this.serverConnection(p, buf.length, host, port);
      if (!conn) return;
    }
    const peer = conn.peer;
    peer.lastHeard = now;
    peer.bytesReceived += buf.length;

    if (p.callNumber === 0) {
      this.connectionPacket(conn, p, ack, abortCode);
      return;
    }
    const channel = p.cid & 3;
    let call: RxCall | null | undefined = conn.calls[channel];
    if (!call || call.callNumber !== p.callNumber) {
      if (conn.strayPacket(p)) return;
      // Only DATA opens a call, and only with a call number the channel has not had yet. A peer
      // starts its next call on a channel only after our reply: one that arrives while we are
      // still answering is not the peer's (a forger's, with numbers it learnt): it is dropped.
      if (!clientSide && p.type === PacketType.Data && p.callNumber > conn.callNumbers[channel]!) {
        if (call && call.state === 'active' && !call.sendEnded) {
          this.drop('channel-busy');
          return;
        }
        call = this.acceptCall(conn, p);
        if (!call) return;
      } else {
        // Pings for calls we do not serve go unanswered: answering would make us a reflector.
        this.drop('unknown-call');
        return;
      }
    }
    switch (p.type) {
      case PacketType.Data: {
        this.stats.dataIn++;
        for (const sp of parts!) {
          let payload: Buffer;
          try {
            payload = conn.security.open(sp, sp.cksum, sp.body);
          } catch (e) {
            const code =
              typeof (e as { code?: unknown }).code === 'number'
                ? (e as { code: number }).code
                : RX_PROTOCOL_ERROR;
            this.drop('security-check');
            call.abort(code, e);
            return;
          }
          // Node gives every datagram its own buffer, so the payload can be kept without a copy.
          call.receiveData(sp, payload, now);
          if (call.state !== 'active') break;
        }
        return;
      }
      case PacketType.Ack: {
        this.stats.acksIn++;
        if (ack!.reason === AckReason.PING) this.stats.pingsAnswered++;
        call.receiveAck(ack!, p.serial, now);
        return;
      }
      case PacketType.Abort:
        call.receiveAbort(abortCode);
        return;
      case PacketType.AckAll:
        call.receiveAckAll(now);
        return;
      case PacketType.Busy:
        call.receiveBusy(now);
        return;
      default:
        this.drop('unexpected-type');
    }
  }

  /**
   * Packets with call number 0. A CHALLENGE or connection ABORT only counts on a connection with
   * calls in progress (anyone can forge one for an idle connection), a connection ABORT only on a
   * secured connection, and a challenge we cannot answer is dropped rather than failing the calls.
   */
  private connectionPacket(conn: RxConnection, p: Packet, ack: AckBody | undefined, abortCode: number): void {
    switch (p.type) {
      case PacketType.Challenge:
        if (!conn.isClient) this.drop('challenge-to-server');
        else if (conn.activeCalls === 0) this.drop('challenge-without-call');
        else if (!conn.challenge(Buffer.from(p.body))) this.drop('challenge-refused');
        return;
      case PacketType.Abort:
        // Peers abort whole connections only over security failures; rxnull ones never do.
        if (conn.activeCalls === 0 || conn.securityIndex === 0) this.drop('connection-abort-refused');
        else conn.abortAll('remote-abort', abortCode);
        return;
      case PacketType.Ack: {
        if (ack!.reason === AckReason.PING && conn.activeCalls > 0) {
          this.stats.pingsAnswered++;
          conn.sendConnAck(p, AckReason.PING_RESPONSE, 0);
        } else this.drop('connection-ack');
        return;
      }
      default:
        this.drop('connection-packet');
    }
  }

  private serverConnection(p: Packet, len: number, host: string, port: number): RxConnection | undefined {
    const cid = (p.cid & ~3) >>> 0;
    const key = `${host}:${port}/${p.epoch}/${cid}`;
    const existing = this.conns.findServer(key);
    if (existing) return existing;
    // Only a DATA packet that opens a call of a service we offer makes a server connection.
    if (p.type !== PacketType.Data || p.callNumber === 0) {
      this.drop('unknown-connection');
      return undefined;
    }
    if (!this.services.has(p.serviceId)) {
      this.drop('unknown-service');
      return undefined;
    }
    if (p.securityIndex !== 0) {
      // Our services speak rxnull only; tell the caller rather than leave it retrying.
      const peer = this.peer(host, port);
      peer.bytesReceived += len;
      this.send(
        peer,
        { ...p, seq: 0, serial: 1, type: PacketType.Abort, flags: 0, cksum: 0 },
        encodeAbortCode(RX_INVALID_OPERATION),
      );
      this.drop('unsupported-security');
      return undefined;
    }
    const conn = new RxConnection(
      this.connHost,
      this.peer(host, port),
      p.epoch,
      cid,
      p.serviceId,
      rxnull,
      false,
    );
    this.conns.addServer(key, conn);
    return conn;
  }

  private acceptCall(conn: RxConnection, p: Packet): RxCall | undefined {
    const service = this.services.get(conn.serviceId);
    if (!service) {
      this.drop('unknown-service');
      return undefined;
    }
    const call = conn.acceptCall(p.cid & 3, p.callNumber, { ...SERVER_CALL_TIMEOUTS });
    call.limitReceive(service.maxRequest, service.abortCode);
    this.stats.callsServed++;
    queueMicrotask(() => {
      if (call.state !== 'active') return;
      try {
        service.handler(call, conn.peer);
      } catch (e) {
        call.abort(RX_PROTOCOL_ERROR, e);
      }
    });
    return call;
  }

  // ------------------------------------------------------------------ lifetime

  private callStarted(): void {
    this.stats.callsStarted++;
    this.active++;
    this.updateRef();
  }

  private callEnded(): void {
    this.stats.callsEnded++;
    this.active--;
    this.updateRef();
  }

  private updateRef(): void {
    if (this.closed) return;
    if (this.active + this.holds > 0) this.socket.ref();
    else this.socket.unref();
  }

  get activeCalls(): number {
    return this.active;
  }

  /** Fail every call, stop every timer and close the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const c of this.conns.allConns()) c.abortAll('closed', RX_CALL_DEAD);
    this.closed = true;
    clearInterval(this.sweeper);
    this.debug.close();
    this.conns.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
