// The plain-UDP reference for Rx bulk throughput: the same number of bytes in datagrams of the
// same size, with the least protocol that keeps the receiver from being overrun — a fixed window
// of datagrams in flight, moved by the receiver's cumulative count every ACK_EVERY datagrams. A
// datagram the kernel drops is forgiven after a short stall and simply not counted as delivered.
import { createSocket, type Socket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { BenchSetupError } from './cell.js';
import type { Sample } from './measure.js';
import { UDP_ACK, UDP_BUFFER, UDP_DATA, UDP_FIN, UDP_RESET, UDP_TOTALS } from './udp-sink-worker.js';

/** Datagrams in flight: Rx's default receive window (tuning.rwind). */
export const UDP_WINDOW = 64;
const STALL_MS = 10;

export interface UdpBlastResult {
  sample: Sample;
  sent: number;
  delivered: number;
  forgiven: number;
}

export class UdpBlaster {
  private constructor(
    private readonly worker: Worker,
    private readonly sock: Socket,
    private readonly port: number,
  ) {}

  static async open(): Promise<UdpBlaster> {
    const worker = new Worker(new URL('./udp-sink-worker.js', import.meta.url));
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (m: { port: number }) => resolve(m.port));
      worker.once('error', reject);
    });
    const sock = createSocket({ type: 'udp4', recvBufferSize: UDP_BUFFER, sendBufferSize: UDP_BUFFER });
    await new Promise<void>((resolve) => sock.bind({ address: '127.0.0.1', port: 0 }, resolve));
    return new UdpBlaster(worker, sock, port);
  }

  /** Until the receiver answers `kind` with `answer` (control datagrams may be lost too). */
  private control(kind: number, answer: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let tries = 0;
      const send = () => {
        if (++tries > 100) {
          cleanup();
          reject(new BenchSetupError('plain UDP receiver does not answer'));
          return;
        }
        this.sock.send(Buffer.from([kind]), this.port, '127.0.0.1');
      };
      const onMsg = (m: Buffer) => {
        if (m[0] !== answer) return;
        cleanup();
        resolve(m);
      };
      const timer = setInterval(send, 50);
      const cleanup = () => {
        clearInterval(timer);
        this.sock.off('message', onMsg);
      };
      this.sock.on('message', onMsg);
      send();
    });
  }

  /** Send `total` bytes in datagrams of `size` bytes; delivered bytes per second is the figure. */
  async blast(total: number, size: number): Promise<UdpBlastResult> {
    await this.control(UDP_RESET, UDP_RESET);
    const count = Math.ceil(total / size);
    const dgram = Buffer.alloc(size, 0x5a);
    dgram[0] = UDP_DATA;
    let sent = 0;
    let acked = 0;
    let forgiven = 0;
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    await new Promise<void>((resolve) => {
      let lastProgress = Date.now();
      const pump = () => {
        while (sent < count && sent - acked < UDP_WINDOW) {
          this.sock.send(dgram, this.port, '127.0.0.1');
          sent++;
        }
        if (sent === count) {
          clearInterval(stall);
          this.sock.off('message', onAck);
          resolve();
        }
      };
      const onAck = (m: Buffer) => {
        if (m[0] !== UDP_ACK) return;
        const n = m.readUInt32BE(4);
        if (n > acked) {
          acked = n;
          lastProgress = Date.now();
          pump();
        }
      };
      const stall = setInterval(() => {
        if (Date.now() - lastProgress >= STALL_MS && sent - acked >= UDP_WINDOW) {
          forgiven += sent - acked;
          acked = sent;
          lastProgress = Date.now();
          pump();
        }
      }, STALL_MS);
      this.sock.on('message', onAck);
      pump();
    });
    const totals = await this.control(UDP_FIN, UDP_TOTALS);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const delivered = totals.readDoubleBE(8);
    return {
      sample: { bytes: delivered, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 },
      sent: count,
      delivered: totals.readUInt32BE(4),
      forgiven,
    };
  }

  async close(): Promise<void> {
    this.worker.postMessage('close');
    await new Promise<void>((resolve) => this.sock.close(() => resolve()));
    await this.worker.terminate();
  }
}
