// Rx DEBUG (type 8) and VERSION (type 13) packets: the answers that let OpenAFS's `rxdebug`
// inspect a tsafs endpoint, and the encoders/decoders `tsafs rxdebug` uses to inspect others.
// Layouts follow OpenAFS rx.h (rx_debugStats, rx_debugConn, rx_debugPeer); hosts and ports stay
// in network order as rxdebug expects.

export const DEBUG_GETSTATS = 1;
export const DEBUG_GETCONN = 2;
export const DEBUG_GETALLCONN = 3;
export const DEBUG_RXSTATS = 4;
export const DEBUG_GETPEER = 5;
export const DEBUG_BADTYPE = -8;
/** 'S': the newest debug-protocol version, with peers, waited and packet counts. */
export const DEBUG_VERSION = 0x53;

const DEBUG_STATS_SIZE = 56;
const DEBUG_CONN_SIZE = 176;
const DEBUG_PEER_SIZE = 132;
const VERSION_REPLY_SIZE = 65;

export interface DebugStats {
  nFreePackets: number;
  packetReclaims: number;
  callsExecuted: number;
  waitingForPackets: number;
  usedFDs: number;
  version: number;
  nWaiting: number;
  idleThreads: number;
  nWaited: number;
  nPackets: number;
}

export interface DebugConn {
  host: string;
  port: number;
  cid: number;
  epoch: number;
  serial: number;
  callNumber: number[];
  error: number;
  flags: number;
  type: number; // 0 client, 1 server
  securityIndex: number;
  callState: number[];
  callMode: number[];
  callFlags: number[];
  callOther: number[];
  natMTU: number;
  secStats?: {
    type: number;
    level: number;
    flags: number;
    expires: number;
    packetsReceived: number;
    packetsSent: number;
    bytesReceived: number;
    bytesSent: number;
  };
}

export interface DebugPeer {
  host: string;
  port: number;
  ifMTU: number;
  idleWhen: number;
  refCount: number;
  rtt: number; // in 1/8 ms units, as OpenAFS keeps it
  rttDev: number;
  nSent: number;
  reSends: number;
  natMTU: number;
  maxMTU: number;
  maxDgramPackets: number;
  ifDgramPackets: number;
  MTU: number;
  cwind: number;
  bytesSent: bigint;
  bytesReceived: bigint;
}

function ipToU32(host: string): number {
  const p = host.split('.').map((x) => Number.parseInt(x, 10));
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) return 0;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function u32ToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function encodeDebugStats(s: DebugStats): Buffer {
  const b = Buffer.alloc(DEBUG_STATS_SIZE);
  b.writeInt32BE(s.nFreePackets | 0, 0);
  b.writeInt32BE(s.packetReclaims | 0, 4);
  b.writeInt32BE(s.callsExecuted | 0, 8);
  b[12] = s.waitingForPackets & 255;
  b[13] = s.usedFDs & 255;
  b[14] = s.version & 255;
  b.writeInt32BE(s.nWaiting | 0, 16);
  b.writeInt32BE(s.idleThreads | 0, 20);
  b.writeInt32BE(s.nWaited | 0, 24);
  b.writeInt32BE(s.nPackets | 0, 28);
  return b;
}

export function decodeDebugStats(b: Buffer): DebugStats {
  if (b.length < 16) throw new RangeError(`debug stats reply of ${b.length} bytes`);
  const i32 = (o: number) => (b.length >= o + 4 ? b.readInt32BE(o) : 0);
  return {
    nFreePackets: i32(0),
    packetReclaims: i32(4),
    callsExecuted: i32(8),
    waitingForPackets: b[12]!,
    usedFDs: b[13]!,
    version: b[14]!,
    nWaiting: i32(16),
    idleThreads: i32(20),
    nWaited: i32(24),
    nPackets: i32(28),
  };
}

/** The end-of-list marker for connections: cid 0xffffffff. */
export function encodeDebugConn(c: DebugConn | null): Buffer {
  const b = Buffer.alloc(DEBUG_CONN_SIZE);
  if (!c) {
    b.writeUInt32BE(0xffffffff, 4);
    return b;
  }
  b.writeUInt32BE(ipToU32(c.host), 0);
  b.writeUInt32BE(c.cid >>> 0, 4);
  b.writeUInt32BE(c.serial >>> 0, 8);
  for (let i = 0; i < 4; i++) b.writeUInt32BE((c.callNumber[i] ?? 0) >>> 0, 12 + 4 * i);
  b.writeInt32BE(c.error | 0, 28);
  b.writeUInt16BE(c.port & 0xffff, 32);
  b[34] = c.flags & 255;
  b[35] = c.type & 255;
  b[36] = c.securityIndex & 255;
  for (let i = 0; i < 4; i++) {
    b[40 + i] = c.callState[i] ?? 0;
    b[44 + i] = c.callMode[i] ?? 0;
    b[48 + i] = c.callFlags[i] ?? 0;
    b[52 + i] = c.callOther[i] ?? 0;
  }
  // secStats (76 bytes) at 56; epoch and natMTU after it.
  if (c.secStats) {
    b[56] = c.secStats.type;
    b[57] = c.secStats.level;
    b.writeInt32BE(c.secStats.flags | 0, 68);
    b.writeUInt32BE(c.secStats.expires >>> 0, 72);
    b.writeUInt32BE(c.secStats.packetsReceived >>> 0, 76);
    b.writeUInt32BE(c.secStats.packetsSent >>> 0, 80);
    b.writeUInt32BE(c.secStats.bytesReceived >>> 0, 84);
    b.writeUInt32BE(c.secStats.bytesSent >>> 0, 88);
  }
  b.writeUInt32BE(c.epoch >>> 0, 132);
  b.writeInt32BE(c.natMTU | 0, 136);
  return b;
}

export function decodeDebugConn(b: Buffer): DebugConn | null {
  if (b.length < 56) throw new RangeError(`debug conn reply of ${b.length} bytes`);
  const cid = b.readUInt32BE(4);
  if (cid === 0xffffffff) return null;
  const arr = (o: number) => [b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!];
  const c: DebugConn = {
    host: u32ToIp(b.readUInt32BE(0)),
    port: b.readUInt16BE(32),
    cid,
    serial: b.readUInt32BE(8),
    callNumber: [0, 1, 2, 3].map((i) => b.readUInt32BE(12 + 4 * i)),
    error: b.readInt32BE(28),
    flags: b[34]!,
    type: b[35]!,
    securityIndex: b[36]!,
    callState: arr(40),
    callMode: arr(44),
    callFlags: arr(48),
    callOther: arr(52),
    epoch: b.length >= 136 ? b.readUInt32BE(132) : 0,
    natMTU: b.length >= 140 ? b.readInt32BE(136) : 0,
  };
  if (b.length >= 92) {
    c.secStats = {
      type: b[56]!,
      level: b[57]!,
      flags: b.readInt32BE(68),
      expires: b.readUInt32BE(72),
      packetsReceived: b.readUInt32BE(76),
      packetsSent: b.readUInt32BE(80),
      bytesReceived: b.readUInt32BE(84),
      bytesSent: b.readUInt32BE(88),
    };
  }
  return c;
}

/** The end-of-list marker for peers: host 0xffffffff. */
export function encodeDebugPeer(p: DebugPeer | null): Buffer {
  const b = Buffer.alloc(DEBUG_PEER_SIZE);
  if (!p) {
    b.writeUInt32BE(0xffffffff, 0);
    return b;
  }
  b.writeUInt32BE(ipToU32(p.host), 0);
  b.writeUInt16BE(p.port & 0xffff, 4);
  b.writeUInt16BE(p.ifMTU & 0xffff, 6);
  b.writeUInt32BE(p.idleWhen >>> 0, 8);
  b.writeInt16BE(Math.min(p.refCount, 32767), 12);
  b.writeInt32BE(p.rtt | 0, 24);
  b.writeInt32BE(p.rttDev | 0, 28);
  b.writeInt32BE(p.nSent | 0, 40);
  b.writeInt32BE(p.reSends | 0, 44);
  b.writeUInt16BE(p.natMTU & 0xffff, 60);
  b.writeUInt16BE(p.maxMTU & 0xffff, 62);
  b.writeUInt16BE(p.maxDgramPackets & 0xffff, 64);
  b.writeUInt16BE(p.ifDgramPackets & 0xffff, 66);
  b.writeUInt16BE(p.MTU & 0xffff, 68);
  b.writeUInt16BE(Math.min(p.cwind, 65535), 70);
  b.writeBigUInt64BE(BigInt.asUintN(64, p.bytesSent), 76);
  b.writeBigUInt64BE(BigInt.asUintN(64, p.bytesReceived), 84);
  return b;
}

export function decodeDebugPeer(b: Buffer): DebugPeer | null {
  if (b.length < 92) throw new RangeError(`debug peer reply of ${b.length} bytes`);
  const host = b.readUInt32BE(0);
  if (host === 0xffffffff) return null;
  return {
    host: u32ToIp(host),
    port: b.readUInt16BE(4),
    ifMTU: b.readUInt16BE(6),
    idleWhen: b.readUInt32BE(8),
    refCount: b.readInt16BE(12),
    rtt: b.readInt32BE(24),
    rttDev: b.readInt32BE(28),
    nSent: b.readInt32BE(40),
    reSends: b.readInt32BE(44),
    natMTU: b.readUInt16BE(60),
    maxMTU: b.readUInt16BE(62),
    maxDgramPackets: b.readUInt16BE(64),
    ifDgramPackets: b.readUInt16BE(66),
    MTU: b.readUInt16BE(68),
    cwind: b.readUInt16BE(70),
    bytesSent: b.readBigUInt64BE(76),
    bytesReceived: b.readBigUInt64BE(84),
  };
}

export function encodeVersion(text: string): Buffer {
  const b = Buffer.alloc(VERSION_REPLY_SIZE);
  b.write(text.slice(0, VERSION_REPLY_SIZE - 1), 0, 'latin1');
  return b;
}

export function decodeVersion(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('latin1');
}
