// A loopback UDP relay that keeps every datagram it forwards and lets a test rewrite one: the
// "capture on the wire" for the rxkad acceptance tests (is a marker visible? which security index
// did each packet carry? is a flipped byte refused?). test/helpers/relay.ts injects random faults;
// this one is for looking at and editing packets by content.
import { createSocket, type Socket } from 'node:dgram';

export type Direction = 'toServer' | 'toClient';

export interface TappedPacket {
  dir: Direction;
  at: number;
  bytes: Buffer;
}

/** Rx header fields the tests look at (protocol.md: 28-byte header, big-endian). */
export const RX_HEADER_SIZE = 28;
export const rxType = (p: Buffer) => p[20] ?? 0;
export const rxSecurityIndex = (p: Buffer) => p[23] ?? 0;
export const rxCallNumber = (p: Buffer) => p.readUInt32BE(8);
export const RX_PACKET_DATA = 1;
export const RX_PACKET_ABORT = 4;

/** Rewrites a packet in place (return true to say it did) or drops it (return 'drop'). */
export type PacketEditor = (p: Buffer, dir: Direction) => boolean | 'drop' | undefined;

export class WireTap {
  readonly packets: TappedPacket[] = [];
  /** How many packets the editor changed. */
  edited = 0;
  editor: PacketEditor | undefined;
  private client: { host: string; port: number } | undefined;

  private constructor(
    private readonly sock: Socket,
    private readonly server: { host: string; port: number },
  ) {
    sock.on('message', (msg, r) => this.onMessage(msg, r.address, r.port));
  }

  static async start(server: { host: string; port: number }, bindHost = '127.0.0.1'): Promise<WireTap> {
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, bindHost, () => res()));
    return new WireTap(sock, server);
  }

  get address(): { host: string; port: number } {
    const a = this.sock.address();
    return { host: a.address, port: a.port };
  }

  private onMessage(msg: Buffer, host: string, port: number): void {
    const fromServer = host === this.server.host && port === this.server.port;
    if (!fromServer) this.client = { host, port };
    const to = fromServer ? this.client : this.server;
    if (!to) return;
    const dir: Direction = fromServer ? 'toClient' : 'toServer';
    const verdict = this.editor?.(msg, dir);
    if (verdict === 'drop') return;
    if (verdict) this.edited++;
    this.packets.push({ dir, at: Date.now(), bytes: Buffer.from(msg) });
    this.sock.send(msg, to.port, to.host);
  }

  /** Packets seen in one direction since `from` (an index into packets). */
  since(from: number, dir?: Direction): TappedPacket[] {
    return this.packets.slice(from).filter((p) => dir === undefined || p.dir === dir);
  }

  /** True when any payload (after the Rx header) in `dir` contains `needle`. */
  payloadContains(needle: Buffer, dir: Direction, from = 0): boolean {
    return this.since(from, dir).some((p) => p.bytes.subarray(RX_HEADER_SIZE).includes(needle));
  }

  async close(): Promise<void> {
    await new Promise<void>((res) => this.sock.close(() => res()));
  }
}
