// A UDP relay between one client and one server on loopback, for fault injection and for counting
// packets from outside the client. Seeded, so a failing schedule can be replayed.
import { createSocket, type Socket } from 'node:dgram';

export interface RelayFaults {
  /** Share of datagrams dropped, duplicated, delayed (reordered), per direction. */
  drop?: number;
  dup?: number;
  reorder?: number;
  /** Drop the first DATA packet carrying LAST_PACKET (in each direction). */
  dropFirstLast?: boolean;
  /** Drop the first ACK the client sends after the server's last DATA packet (the final ACK). */
  dropFinalAck?: boolean;
}

export interface RelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  toServer: number;
  toClient: number;
  /** DATA packets seen per direction, and their LAST-flagged ones. */
  dataToServer: number;
  dataToClient: number;
}

/** xorshift32: small, seeded, good enough to pick faults. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

export class UdpRelay {
  readonly stats: RelayStats = {
    forwarded: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    toServer: 0,
    toClient: 0,
    dataToServer: 0,
    dataToClient: 0,
  };
  private client: { host: string; port: number } | undefined;
  private readonly random: () => number;
  private droppedLast = { toServer: false, toClient: false };
  private serverSentLast = false;
  private droppedFinalAck = false;
  faults: RelayFaults;

  private constructor(
    private readonly sock: Socket,
    private readonly server: { host: string; port: number },
    faults: RelayFaults,
    seed: number,
  ) {
    this.faults = faults;
    this.random = rng(seed);
    sock.on('message', (msg, r) => this.onMessage(msg, r.address, r.port));
  }

  static async start(
    server: { host: string; port: number },
    faults: RelayFaults = {},
    seed = 1,
    bindHost = '127.0.0.1',
  ) {
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, bindHost, () => res()));
    return new UdpRelay(sock, server, faults, seed);
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
    const type = msg.length >= 28 ? msg[20] : 0;
    const flags = msg.length >= 28 ? msg[21]! : 0;
    const isData = type === 1;
    const isLast = isData && (flags & 0x04) !== 0;
    if (fromServer) {
      this.stats.toClient++;
      if (isData) this.stats.dataToClient++;
    } else {
      this.stats.toServer++;
      if (isData) this.stats.dataToServer++;
    }
    const f = this.faults;
    const dir = fromServer ? 'toClient' : 'toServer';
    if (isLast && f.dropFirstLast && !this.droppedLast[dir]) {
      this.droppedLast[dir] = true;
      this.stats.dropped++;
      return;
    }
    if (fromServer && isLast) this.serverSentLast = true;
    if (!fromServer && type === 2 && this.serverSentLast && f.dropFinalAck && !this.droppedFinalAck) {
      this.droppedFinalAck = true;
      this.stats.dropped++;
      return;
    }
    const r = this.random();
    if (r < (f.drop ?? 0)) {
      this.stats.dropped++;
      return;
    }
    const send = () => {
      this.stats.forwarded++;
      this.sock.send(msg, to.port, to.host);
    };
    if (this.random() < (f.reorder ?? 0)) {
      this.stats.reordered++;
      setTimeout(send, 1 + Math.floor(this.random() * 4)).unref();
    } else send();
    if (this.random() < (f.dup ?? 0)) {
      this.stats.duplicated++;
      send();
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((res) => this.sock.close(() => res()));
  }
}
