// The receive side of one call: DATA packets put back in order, the bytes the application has not
// read yet, and the ACK fields that describe both. As in OpenAFS (rx_rdwr.c advances rnext as the
// reader consumes), the window and the ACK's firstPacket count from the first packet the
// application has not consumed: a reader that stops reading stops the sender, and a call never
// holds more than `window` packets, whatever the peer sends.

import { Flags, MAX_ACKS } from './packet.js';

export const Arrival = {
  /** Delivered in order (and whatever it unblocked). */
  InOrder: 0,
  /** Held until the packets before it arrive. */
  OutOfOrder: 1,
  Duplicate: 2,
  /** Beyond what the window allows from the first unconsumed packet: dropped. */
  ExceedsWindow: 3,
  /** A packet after the one flagged LAST: a protocol error. */
  AfterLast: 4,
} as const;
export type Arrival = (typeof Arrival)[keyof typeof Arrival];

interface Chunk {
  buf: Buffer;
  /** The seq after the last packet this chunk's bytes came from. */
  end: number;
}

export class ReceiveQueue {
  /** Packets that arrived ahead of a gap, by seq. */
  private readonly held = new Map<number, Buffer>();
  /** Delivered, in order, not yet read. */
  private chunks: Chunk[] = [];
  private head = 0;
  private bufferedBytes = 0;
  /** Next seq to deliver (everything below arrived). */
  private next = 1;
  /** First seq the application has not consumed: the ACK's firstPacket. */
  private consumed = 1;
  private highest = 0;
  /** Seq of the LAST packet, 0 until seen. */
  private last = 0;
  /** Seq of the packet received most recently (the ACK's previousPacket). */
  lastSeq = 0;
  bytesReceived = 0;

  constructor(private readonly window: number) {}

  /** Every packet of the peer's side has arrived (not necessarily been read). */
  get complete(): boolean {
    return this.last !== 0 && this.next > this.last;
  }

  /** Bytes delivered and not yet read. */
  get available(): number {
    return this.bufferedBytes;
  }

  /** Packets held or delivered but not consumed (diagnostics). */
  get queued(): number {
    return this.held.size + this.chunks.length - this.head;
  }

  get firstUnconsumed(): number {
    return this.consumed;
  }

  accept(seq: number, flags: number, payload: Buffer): Arrival {
    if (seq < this.next || this.held.has(seq)) return Arrival.Duplicate;
    if (seq >= this.consumed + this.window) return Arrival.ExceedsWindow;
    if (flags & Flags.LAST_PACKET) this.last = seq;
    if (this.last && seq > this.last) return Arrival.AfterLast;
    this.lastSeq = seq;
    this.bytesReceived += payload.length;
    if (seq > this.highest) this.highest = seq;
    if (seq !== this.next) {
      this.held.set(seq, payload);
      return Arrival.OutOfOrder;
    }
    this.deliver(payload);
    for (let b = this.held.get(this.next); b !== undefined; b = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.deliver(b);
    }
    return Arrival.InOrder;
  }

  private deliver(b: Buffer): void {
    const seq = this.next++;
    if (b.length > 0) {
      this.chunks.push({ buf: b, end: seq + 1 });
      this.bufferedBytes += b.length;
    } else if (this.head < this.chunks.length) {
      // An empty packet is consumed with the bytes before it.
      this.chunks[this.chunks.length - 1]!.end = seq + 1;
    } else {
      this.consumed = seq + 1;
    }
  }

  /** The next delivered chunk, whole; undefined when nothing is buffered. */
  read(): Buffer | undefined {
    if (this.head === this.chunks.length) return undefined;
    const c = this.chunks[this.head]!;
    this.pop(c);
    return c.buf;
  }

  /** Exactly n bytes (n > 0), or undefined while fewer are buffered. */
  readExact(n: number): Buffer | undefined {
    if (this.bufferedBytes < n) return undefined;
    const first = this.chunks[this.head]!;
    if (first.buf.length >= n) {
      const out = first.buf.subarray(0, n);
      if (first.buf.length === n) this.pop(first);
      else {
        first.buf = first.buf.subarray(n);
        this.bufferedBytes -= n;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[this.head]!;
      const k = Math.min(c.buf.length, n - off);
      c.buf.copy(out, off, 0, k);
      off += k;
      if (k === c.buf.length) this.pop(c);
      else {
        c.buf = c.buf.subarray(k);
        this.bufferedBytes -= k;
      }
    }
    return out;
  }

  private pop(c: Chunk): void {
    this.head++;
    this.bufferedBytes -= c.buf.length;
    this.consumed = c.end;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
      // Empty packets delivered after the last chunk are consumed too.
      this.consumed = this.next;
    }
  }

  /** firstPacket and the soft-ack bits for an ACK: delivered-but-unread packets count as received. */
  ackFields(): { firstPacket: number; acks: Uint8Array } {
    const first = this.consumed;
    const n = Math.min(Math.max(this.highest - first + 1, 0), MAX_ACKS);
    const acks = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const seq = first + i;
      acks[i] = seq < this.next || this.held.has(seq) ? 1 : 0;
    }
    return { firstPacket: first, acks };
  }

  /** The seq after the peer's last packet once complete (to re-acknowledge retransmissions). */
  get nextExpected(): number {
    return this.next;
  }
}
