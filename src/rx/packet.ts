// Rx wire format: the 28-byte header, the ACK body with its trailer, and jumbogram splitting.
// Every decoder checks lengths first and throws RxPacketError; the endpoint counts and drops those.

export const HEADER_SIZE = 28;
/** Data bytes in every non-final sub-packet of a jumbogram. */
export const JUMBO_DATA_SIZE = 1412;
/** Jumbo header between sub-packets: u8 flags, u8 pad, u16 cksum. */
const JUMBO_HEADER_SIZE = 4;
export const MAX_PACKET_SIZE = 16384;
/** Classic safe Rx packet (header included) for a 1500-byte Ethernet path. */
export const OLD_MAX_PACKET_SIZE = 1444;
export const MAX_ACKS = 255;

export const PacketType = {
  Data: 1,
  Ack: 2,
  Busy: 3,
  Abort: 4,
  AckAll: 5,
  Challenge: 6,
  Response: 7,
  Debug: 8,
  Params: 9,
  Version: 13,
} as const;

export const Flags = {
  CLIENT_INITIATED: 0x01,
  REQUEST_ACK: 0x02,
  LAST_PACKET: 0x04,
  MORE_PACKETS: 0x08,
  JUMBO_PACKET: 0x20,
  SLOW_START_OK: 0x20,
} as const;

export const AckReason = {
  REQUESTED: 1,
  DUPLICATE: 2,
  OUT_OF_SEQUENCE: 3,
  EXCEEDS_WINDOW: 4,
  NOSPACE: 5,
  PING: 6,
  PING_RESPONSE: 7,
  DELAY: 8,
  IDLE: 9,
} as const;

export class RxPacketError extends Error {
  override readonly name = 'RxPacketError';
  constructor(
    readonly code: 'SHORT' | 'BAD_TYPE' | 'BAD_ACK' | 'BAD_JUMBO' | 'BAD_ABORT',
    message: string,
  ) {
    super(message);
  }
}

export interface PacketHeader {
  epoch: number;
  cid: number;
  callNumber: number;
  seq: number;
  serial: number;
  type: number;
  flags: number;
  userStatus: number;
  securityIndex: number;
  cksum: number;
  serviceId: number;
}

export interface Packet extends PacketHeader {
  /** Body after the header (a view into the datagram; copy before keeping it past the handler). */
  body: Buffer;
}

export function writeHeader(buf: Buffer, h: PacketHeader, off = 0): void {
  buf.writeUInt32BE(h.epoch >>> 0, off);
  buf.writeUInt32BE(h.cid >>> 0, off + 4);
  buf.writeUInt32BE(h.callNumber >>> 0, off + 8);
  buf.writeUInt32BE(h.seq >>> 0, off + 12);
  buf.writeUInt32BE(h.serial >>> 0, off + 16);
  buf[off + 20] = h.type;
  buf[off + 21] = h.flags;
  buf[off + 22] = h.userStatus;
  buf[off + 23] = h.securityIndex;
  buf.writeUInt16BE(h.cksum & 0xffff, off + 24);
  buf.writeUInt16BE(h.serviceId & 0xffff, off + 26);
}

export function encodePacket(h: PacketHeader, body: Buffer | null): Buffer {
  const len = body ? body.length : 0;
  const buf = Buffer.allocUnsafe(HEADER_SIZE + len);
  writeHeader(buf, h);
  if (body) body.copy(buf, HEADER_SIZE);
  return buf;
}

function decodeHeader(buf: Buffer): PacketHeader {
  if (buf.length < HEADER_SIZE) throw new RxPacketError('SHORT', `datagram of ${buf.length} bytes`);
  return {
    epoch: buf.readUInt32BE(0),
    cid: buf.readUInt32BE(4),
    callNumber: buf.readUInt32BE(8),
    seq: buf.readUInt32BE(12),
    serial: buf.readUInt32BE(16),
    type: buf[20]!,
    flags: buf[21]!,
    userStatus: buf[22]!,
    securityIndex: buf[23]!,
    cksum: buf.readUInt16BE(24),
    serviceId: buf.readUInt16BE(26),
  };
}

export function decodePacket(buf: Buffer): Packet {
  const h = decodeHeader(buf) as Packet;
  h.body = buf.subarray(HEADER_SIZE);
  return h;
}

/**
 * Splits a received DATA datagram into its sub-packets. A plain DATA packet is returned as is.
 * Each sub-packet but the last carries exactly 1412 bytes followed by a 4-byte jumbo header whose
 * flags and checksum belong to the next sub-packet; seq and serial count up by one per sub-packet.
 */
export function splitJumbogram(p: Packet): Packet[] {
  if (!(p.flags & Flags.JUMBO_PACKET)) return [p];
  const out: Packet[] = [];
  let cur: Packet = p;
  let body = p.body;
  // A jumbogram with more than 255 sub-packets cannot fit in a UDP datagram; bound the walk anyway.
  for (let i = 0; i < 64; i++) {
    if (!(cur.flags & Flags.JUMBO_PACKET)) {
      out.push({ ...cur, body });
      return out;
    }
    if (body.length < JUMBO_DATA_SIZE + JUMBO_HEADER_SIZE) {
      throw new RxPacketError('BAD_JUMBO', `jumbo sub-packet of ${body.length} bytes`);
    }
    out.push({ ...cur, body: body.subarray(0, JUMBO_DATA_SIZE) });
    const jh = body.subarray(JUMBO_DATA_SIZE, JUMBO_DATA_SIZE + JUMBO_HEADER_SIZE);
    body = body.subarray(JUMBO_DATA_SIZE + JUMBO_HEADER_SIZE);
    cur = {
      ...cur,
      seq: (cur.seq + 1) >>> 0,
      serial: (cur.serial + 1) >>> 0,
      flags: jh[0]!,
      cksum: jh.readUInt16BE(2),
      body,
    };
  }
  throw new RxPacketError('BAD_JUMBO', 'too many jumbo sub-packets');
}

/** Builds one jumbogram from consecutive DATA packets (all but the last must carry 1412 bytes). */
export function buildJumbogram(
  first: PacketHeader,
  parts: { flags: number; cksum: number; body: Buffer }[],
): Buffer {
  let len = HEADER_SIZE;
  for (let i = 0; i < parts.length; i++) {
    const b = parts[i]!.body;
    if (i < parts.length - 1) {
      if (b.length !== JUMBO_DATA_SIZE)
        throw new RxPacketError('BAD_JUMBO', 'non-final sub-packet must be 1412 bytes');
      len += JUMBO_DATA_SIZE + JUMBO_HEADER_SIZE;
    } else len += b.length;
  }
  const buf = Buffer.allocUnsafe(len);
  const p0 = parts[0]!;
  writeHeader(buf, {
    ...first,
    flags: parts.length > 1 ? p0.flags | Flags.JUMBO_PACKET : p0.flags,
    cksum: p0.cksum,
  });
  let off = HEADER_SIZE;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    part.body.copy(buf, off);
    off += part.body.length;
    if (i < parts.length - 1) {
      const next = parts[i + 1]!;
      buf[off] = i + 1 < parts.length - 1 ? next.flags | Flags.JUMBO_PACKET : next.flags;
      buf[off + 1] = 0;
      buf.writeUInt16BE(next.cksum & 0xffff, off + 2);
      off += JUMBO_HEADER_SIZE;
    }
  }
  return buf;
}

export interface AckBody {
  bufferSpace: number;
  maxSkew: number;
  firstPacket: number;
  previousPacket: number;
  serial: number;
  reason: number;
  /** acks[i] is for seq firstPacket + i: 1 = received (soft ack), 0 = missing. */
  acks: Uint8Array;
  /** Trailer fields; undefined where an older peer left them out. */
  maxMTU?: number;
  ifMTU?: number;
  rwind?: number;
  maxDgramPackets?: number;
}

export function encodeAck(a: AckBody): Buffer {
  const n = a.acks.length;
  if (n > MAX_ACKS) throw new RxPacketError('BAD_ACK', `${n} acks`);
  const buf = Buffer.alloc(18 + n + 3 + 16);
  buf.writeUInt16BE(a.bufferSpace, 0);
  buf.writeUInt16BE(a.maxSkew, 2);
  buf.writeUInt32BE(a.firstPacket >>> 0, 4);
  buf.writeUInt32BE(a.previousPacket >>> 0, 8);
  buf.writeUInt32BE(a.serial >>> 0, 12);
  buf[16] = a.reason;
  buf[17] = n;
  buf.set(a.acks, 18);
  const t = 18 + n + 3;
  buf.writeUInt32BE((a.maxMTU ?? OLD_MAX_PACKET_SIZE) >>> 0, t);
  buf.writeUInt32BE((a.ifMTU ?? OLD_MAX_PACKET_SIZE) >>> 0, t + 4);
  buf.writeUInt32BE((a.rwind ?? 32) >>> 0, t + 8);
  buf.writeUInt32BE((a.maxDgramPackets ?? 1) >>> 0, t + 12);
  return buf;
}

export function decodeAck(body: Buffer): AckBody {
  if (body.length < 18) throw new RxPacketError('SHORT', `ACK body of ${body.length} bytes`);
  const n = body[17]!;
  if (body.length < 18 + n)
    throw new RxPacketError('BAD_ACK', `ACK claims ${n} acks in ${body.length} bytes`);
  const a: AckBody = {
    bufferSpace: body.readUInt16BE(0),
    maxSkew: body.readUInt16BE(2),
    firstPacket: body.readUInt32BE(4),
    previousPacket: body.readUInt32BE(8),
    serial: body.readUInt32BE(12),
    reason: body[16]!,
    acks: new Uint8Array(body.subarray(18, 18 + n)),
  };
  // The trailer is optional and may be partial: read the words that are present.
  const t = 18 + n + 3;
  if (body.length >= t + 4) a.maxMTU = body.readUInt32BE(t);
  if (body.length >= t + 8) a.ifMTU = body.readUInt32BE(t + 4);
  if (body.length >= t + 12) a.rwind = body.readUInt32BE(t + 8);
  if (body.length >= t + 16) a.maxDgramPackets = body.readUInt32BE(t + 12);
  return a;
}

export function decodeAbortCode(body: Buffer): number {
  if (body.length < 4) throw new RxPacketError('BAD_ABORT', `ABORT body of ${body.length} bytes`);
  return body.readInt32BE(0);
}

export function encodeAbortCode(code: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(code | 0, 0);
  return b;
}
