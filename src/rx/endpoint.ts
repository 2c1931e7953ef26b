// The one UDP socket of a client: it carries our outgoing calls and serves incoming ones (file
// servers call back to the address and port we called from). It demultiplexes every datagram,
// answers pings, DEBUG and VERSION packets, counts and drops whatever is malformed, and keeps the
// socket ref()ed only while something is in flight.

import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { type CallTimeouts, DEFAULT_TIMEOUTS, type RxCall, type RxTuning } from './call.js';
import { type ConnHost, RxConnection } from './connection.js';
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
import { RX_CALL_DEAD, RX_INVALID_OPERATION, RX_PROTOCOL_ERROR, RxCallError } from './errors.js';
import {
  type AckBody,
  AckReason,
  decodeAbortCode,
  decodeAck,
  decodePacket,
  encodeAck,
  Flags,
  HEADER_SIZE,
  MAX_PACKET_SIZE,
  type Packet,
  type PacketHeader,
  PacketType,
  RxPacketError,
  splitJumbogram,
  writeHeader,
} from './packet.js';
import { RxPeer } from './peer.js';
import { rxnull } from './security/null.js';
import type { SecurityClass } from './security/types.js';

export const TSAFS_RX_VERSION = 'tsafs 0.1.0 (pure-TypeScript Rx)';

export interface EndpointOptions {
  /** Local address to bind (default 0.0.0.0). */
  host?: string;
  /** Local port (default 0: any). */
  port?: number;
  tuning?: Partial<RxTuning>;
  /** Text answered to VERSION packets (rxdebug -version). */
  version?: string;
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
  /** Datagrams dropped, total and by reason. */
  dropped: number;
  dropReasons: Record<string, number>;
}

const DEFAULT_TUNING: RxTuning = {
  rwind: 64,
  maxMTU: MAX_PACKET_SIZE,
  maxSendMTU: MAX_PACKET_SIZE,
  jumboRecv: 1,
  jumboSend: true,
  // ACK every 8th packet (or when asked): every 2nd cost 13% of the client's CPU on bulk reads.
  ackEvery: 8,
  ackDelay: 20,
};

export class RxEndpoint {
  readonly epoch: number;
  readonly tuning: RxTuning;
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
  private readonly peers = new Map<string, RxPeer>();
  /** Our client connections by cid (channel bits clear). */
  private readonly clientConns = new Map<number, RxConnection>();
  /** Client connections with room, by peer+service+security. */
  private readonly pools = new Map<string, RxConnection[]>();
  /** Server connections by peer, epoch and cid. */
  private readonly serverConns = new Map<string, RxConnection>();
  private readonly services = new Map<number, ServiceHandler>();
  private readonly debugWaiters = new Map<number, (p: Packet) => void>();
  private nextCid: number;
  private active = 0;
  private holds = 0;
  private closed = false;
  private sweeper: NodeJS.Timeout;
  private readonly connHost: ConnHost;
  private readonly securityIds = new WeakMap<SecurityClass, number>();
  private nextSecurityId = 1;
  private readonly versionText: string;
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
    this.versionText = options.version ?? TSAFS_RX_VERSION;
    const self = this;
    this.connHost = {
      get tuning() {
        return self.tuning;
      },
      send: (peer, h, body) => self.send(peer, h, body),
      sendRaw: (peer, d) => self.sendRaw(peer, d),
      callStarted: () => self.callStarted(),
      callEnded: () => self.callEnded(),
      countRetransmit: (n) => {
        self.stats.retransmits += n;
      },
    };
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    socket.on('error', () => {
      // Errors on a UDP socket (ICMP unreachable and the like) are not fatal; calls time out.
    });
    this.sweeper = setInterval(() => this.sweep(), 30_000);
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

  peer(host: string, port: number): RxPeer {
    const key = `${host}:${port}`;
    let p = this.peers.get(key);
    if (!p) {
      p = new RxPeer(host, port);
      this.peers.set(key, p);
    }
    return p;
  }

  findPeer(host: string, port: number): RxPeer | undefined {
    return this.peers.get(`${host}:${port}`);
  }

  allPeers(): RxPeer[] {
    return [...this.peers.values()];
  }

  /** Serve incoming calls for a service id (the callback service is 1). */
  serve(serviceId: number, handler: ServiceHandler): void {
    this.services.set(serviceId, handler);
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
    let pool = this.pools.get(key);
    if (!pool) {
      pool = [];
      this.pools.set(key, pool);
    }
    for (const c of pool) if (c.error === 0 && c.freeChannel() >= 0) return c;
    const cid = this.nextCid;
    this.nextCid = (this.nextCid + 4) & 0x3ffffffc;
    const conn = new RxConnection(this.connHost, peer, this.epoch, cid, serviceId, security, true);
    this.clientConns.set(cid, conn);
    pool.push(conn);
    return conn;
  }

  // ------------------------------------------------------------------ sending

  private send(peer: RxPeer, h: PacketHeader, body: Buffer | null): void {
    if (this.closed) return;
    const hdr = Buffer.allocUnsafe(HEADER_SIZE);
    writeHeader(hdr, h);
    const len = HEADER_SIZE + (body ? body.length : 0);
    this.count(h.type, len, peer);
    this.socket.send(body?.length ? [hdr, body] : hdr, peer.port, peer.host);
  }

  private sendRaw(peer: RxPeer, datagram: Buffer): void {
    if (this.closed) return;
    this.count(datagram[20]!, datagram.length, peer);
    this.socket.send(datagram, peer.port, peer.host);
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
      if (p.flags & Flags.CLIENT_INITIATED) this.answerDebug(p, host, port);
      else {
        const w = this.debugWaiters.get(p.callNumber);
        if (w) w(p);
        else this.drop('debug-reply-unexpected');
      }
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
      conn = this.clientConns.get((p.cid & ~3) >>> 0);
      if (!conn || p.epoch !== this.epoch) {
        this.drop('unknown-connection');
        return;
      }
      if (conn.peer.host !== host || conn.peer.port !== port) {
        this.drop('wrong-peer');
        return;
      }
    } else {
      conn = this.serverConnection(p, host, port);
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
      if (!clientSide && p.type === PacketType.Data && (!call || p.callNumber > call.callNumber)) {
        call = this.acceptCall(conn, p);
        if (!call) return;
      } else {
        if (ack?.reason === AckReason.PING) conn.sendConnAck(p, AckReason.PING_RESPONSE, 1);
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
          // Copy out of the datagram: the payload outlives this handler.
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

  private connectionPacket(conn: RxConnection, p: Packet, ack: AckBody | undefined, abortCode: number): void {
    switch (p.type) {
      case PacketType.Challenge:
        if (!conn.isClient) this.drop('challenge-to-server');
        else conn.challenge(Buffer.from(p.body));
        return;
      case PacketType.Abort:
        conn.abortAll('remote-abort', abortCode);
        return;
      case PacketType.Ack: {
        if (ack!.reason === AckReason.PING) {
          this.stats.pingsAnswered++;
          conn.sendConnAck(p, AckReason.PING_RESPONSE, 0);
        }
        return;
      }
      default:
        this.drop('connection-packet');
    }
  }

  private serverConnection(p: Packet, host: string, port: number): RxConnection | undefined {
    const cid = (p.cid & ~3) >>> 0;
    const key = `${host}:${port}/${p.epoch}/${cid}`;
    const existing = this.serverConns.get(key);
    if (existing) return existing;
    // Only a DATA packet for a service we offer opens a server connection.
    if (p.type !== PacketType.Data) {
      this.drop('unknown-connection');
      return undefined;
    }
    if (!this.services.has(p.serviceId)) {
      this.drop('unknown-service');
      return undefined;
    }
    if (p.securityIndex !== 0) {
      // Our services speak rxnull only; tell the caller rather than leave it retrying.
      this.sendAbortTo(host, port, p, RX_INVALID_OPERATION);
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
    this.serverConns.set(key, conn);
    return conn;
  }

  private acceptCall(conn: RxConnection, p: Packet): RxCall | undefined {
    const handler = this.services.get(conn.serviceId);
    if (!handler) {
      this.drop('unknown-service');
      return undefined;
    }
    const call = conn.acceptCall(p.cid & 3, p.callNumber, {
      deadTime: 30_000,
      hardDeadline: 120_000,
      idleTimeout: 0,
    });
    this.stats.callsServed++;
    queueMicrotask(() => {
      try {
        handler(call, conn.peer);
      } catch (e) {
        call.abort(RX_PROTOCOL_ERROR, e);
      }
    });
    return call;
  }

  private sendAbortTo(host: string, port: number, p: PacketHeader, code: number): void {
    const body = Buffer.allocUnsafe(4);
    body.writeInt32BE(code, 0);
    this.send(
      this.peer(host, port),
      { ...p, seq: 0, serial: 1, type: PacketType.Abort, flags: 0, cksum: 0 },
      body,
    );
  }

  // ------------------------------------------------------------------ debug and version

  private answerDebug(p: Packet, host: string, port: number): void {
    const reply = (body: Buffer) => {
      const h: PacketHeader = { ...p, flags: p.flags & ~Flags.CLIENT_INITIATED };
      const hdr = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(hdr, h);
      this.stats.packetsOut++;
      this.socket.send([hdr, body], port, host);
    };
    if (p.type === PacketType.Version) {
      reply(encodeVersion(this.versionText));
      return;
    }
    if (p.body.length < 8) {
      this.drop('malformed:debug');
      return;
    }
    const type = p.body.readInt32BE(0);
    const index = p.body.readInt32BE(4);
    switch (type) {
      case DEBUG_GETSTATS:
        reply(
          encodeDebugStats({
            nFreePackets: 0,
            packetReclaims: 0,
            callsExecuted: this.stats.callsServed,
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
        const all = [...this.clientConns.values(), ...this.serverConns.values()];
        const conns = type === DEBUG_GETALLCONN ? all : all.filter((c) => c.activeCalls > 0);
        const c = conns[index];
        reply(encodeDebugConn(c ? this.describeConn(c) : null));
        return;
      }
      case DEBUG_GETPEER: {
        const peer = [...this.peers.values()][index];
        reply(
          encodeDebugPeer(
            peer
              ? {
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
                  ifDgramPackets: this.tuning.jumboRecv,
                  MTU: peer.maxMTU,
                  cwind: peer.rwind,
                  bytesSent: BigInt(peer.bytesSent),
                  bytesReceived: BigInt(peer.bytesReceived),
                }
              : null,
          ),
        );
        return;
      }
      case DEBUG_RXSTATS: {
        // The rx_statistics structure is a long run of int32 counters; fill the ones we keep.
        const b = Buffer.alloc(4 * 48);
        b.writeInt32BE(this.stats.packetsIn | 0, 0);
        b.writeInt32BE(this.stats.packetsOut | 0, 4);
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

  private describeConn(c: RxConnection): DebugConn {
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

  /** Send one DEBUG or VERSION request and wait for its answer (used by `tsafs rxdebug`). */
  async debugRequest(
    host: string,
    port: number,
    type: number,
    body: Buffer,
    timeoutMs = 3000,
  ): Promise<Buffer> {
    if (this.closed) throw new RxCallError('closed', RX_CALL_DEAD, 'endpoint is closed');
    this.nextDebugCall = (this.nextDebugCall + 1) >>> 0 || 1;
    const callNumber = this.nextDebugCall;
    const release = this.hold();
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        let tries = 0;
        let timer: NodeJS.Timeout | undefined;
        const h: PacketHeader = {
          epoch: 999,
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
            this.debugWaiters.delete(callNumber);
            reject(new RxCallError('dead', RX_CALL_DEAD, `no debug answer from ${host}:${port}`));
            return;
          }
          this.send(this.peer(host, port), h, body);
          timer = setTimeout(transmit, timeoutMs / 4);
          timer.unref();
        };
        this.debugWaiters.set(callNumber, (p) => {
          clearTimeout(timer);
          this.debugWaiters.delete(callNumber);
          resolve(Buffer.from(p.body));
        });
        transmit();
      });
    } finally {
      release();
    }
  }
  private nextDebugCall = 100;

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

  /** Forget idle connections so the maps do not grow without bound. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, c] of this.serverConns) {
      if (c.activeCalls === 0 && now - c.lastUsed > 300_000) this.serverConns.delete(key);
    }
    for (const [key, pool] of this.pools) {
      const keep = pool.filter((c) => c.activeCalls > 0 || now - c.lastUsed < 300_000);
      for (const c of pool) if (!keep.includes(c)) this.clientConns.delete(c.cid);
      if (keep.length) this.pools.set(key, keep);
      else this.pools.delete(key);
    }
  }

  /** Fail every call, stop every timer and close the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const c of this.clientConns.values()) c.abortAll('closed', RX_CALL_DEAD);
    for (const c of this.serverConns.values()) c.abortAll('closed', RX_CALL_DEAD);
    this.closed = true;
    clearInterval(this.sweeper);
    this.debugWaiters.clear();
    this.clientConns.clear();
    this.serverConns.clear();
    this.pools.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

export { encodeAck };
