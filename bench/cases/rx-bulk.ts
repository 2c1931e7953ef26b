// (b) Rx bulk throughput of one large call between two tsafs endpoints (the far one in a worker
// thread), request-heavy (client → server sink) and reply-heavy (server source → client), against
// plain UDP datagrams of the same size between the same two threads. The receiving side's
// jumbogram setting (tuning.jumboRecv) decides whether the sender may send jumbograms.
import { Worker } from 'node:worker_threads';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { BenchSetupError } from '../lib/cell.js';
import { best, mbps, round, type Sample, timed } from '../lib/measure.js';
import { CHUNK, type RxPeerWorkerData, SINK_SERVICE, SOURCE_SERVICE } from '../lib/rx-peer-worker.js';
import { DatagramTally, type TallyCounts } from '../lib/tally.js';
import { UDP_WINDOW, UdpBlaster } from '../lib/udp-blast.js';
import { ACK_EVERY } from '../lib/udp-sink-worker.js';
import type { BenchCase, BenchContext, BenchRow } from '../types.js';

const TOTAL = 256 * 1024 * 1024;
const JUMBO = [1, 4];
type Direction = 'request-heavy' | 'reply-heavy';
const DIRECTIONS: Direction[] = ['request-heavy', 'reply-heavy'];
/** Seconds per row after which no further call (or UDP blast) starts. */
const RX_BUDGET_S = 20;
const UDP_BUDGET_S = 8;

interface RxPair {
  client: RxEndpoint;
  clientTally: DatagramTally;
  worker: Worker;
  port: number;
  workerTally(): Promise<{ tally: TallyCounts; stats: RxEndpoint['stats'] }>;
  close(): Promise<void>;
}

async function openPair(jumboRecv: number): Promise<RxPair> {
  const data: RxPeerWorkerData = { jumboRecv };
  const worker = new Worker(new URL('../lib/rx-peer-worker.js', import.meta.url), { workerData: data });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  const client = await RxEndpoint.open({ host: '127.0.0.1', tuning: { jumboRecv } });
  const clientTally = new DatagramTally();
  client.onDatagram = (buf) => clientTally.add(buf);
  return {
    client,
    clientTally,
    worker,
    port,
    workerTally: () =>
      new Promise((resolve) => {
        worker.once('message', resolve);
        worker.postMessage('tally');
      }),
    async close() {
      await client.close();
      worker.postMessage('close');
      await worker.terminate();
    },
  };
}

async function oneCall(pair: RxPair, dir: Direction): Promise<Sample> {
  const block = Buffer.alloc(CHUNK, 0xa5);
  return timed(async () => {
    if (dir === 'request-heavy') {
      const call = pair.client.call({ host: '127.0.0.1', port: pair.port, serviceId: SINK_SERVICE });
      for (let left = TOTAL; left > 0; left -= CHUNK)
        await call.write(block.subarray(0, Math.min(CHUNK, left)));
      await call.end();
      const n = Number((await call.readAll()).readBigUInt64BE());
      if (n !== TOTAL) throw new BenchSetupError(`sink received ${n} bytes of ${TOTAL}`);
      return n;
    }
    const call = pair.client.call({ host: '127.0.0.1', port: pair.port, serviceId: SOURCE_SERVICE });
    const req = Buffer.alloc(8);
    req.writeBigUInt64BE(BigInt(TOTAL));
    await call.end(req);
    let n = 0;
    for (;;) {
      const c = await call.read();
      if (!c) break;
      n += c.length;
    }
    if (n !== TOTAL) throw new BenchSetupError(`source delivered ${n} bytes of ${TOTAL}`);
    return n;
  });
}

export const benchCase: BenchCase = {
  name: 'Rx bulk call vs plain UDP',
  needsCell: false,
  async run(ctx: BenchContext) {
    const rows: BenchRow[] = [];
    const udp = await UdpBlaster.open();
    try {
      for (const jumbo of JUMBO) {
        const pair = await openPair(jumbo);
        // One plain-UDP reference per jumbogram setting, at the datagram size of the first direction.
        let udpRef: { size: number; samples: Sample[] } | undefined;
        try {
          for (const dir of DIRECTIONS) {
            const samples: Sample[] = [];
            const counts: TallyCounts[] = [];
            let retransmits = 0;
            for (const _ of ctx.rounds(RX_BUDGET_S)) {
              const w0 = await pair.workerTally();
              const r0 = pair.client.stats.retransmits;
              pair.clientTally.take();
              const s = await oneCall(pair, dir);
              const w1 = await pair.workerTally();
              // DATA datagrams are counted where they arrive: the server for request-heavy.
              counts.push(dir === 'request-heavy' ? w1.tally : pair.clientTally.take());
              retransmits +=
                dir === 'request-heavy'
                  ? pair.client.stats.retransmits - r0
                  : w1.stats.retransmits - w0.stats.retransmits;
              samples.push(s);
              ctx.log(`Rx ${dir} jumboRecv ${jumbo}: ${round(mbps(s))} MB/s`);
            }
            const dg = counts.reduce((a, c) => a + c.dataDatagrams, 0);
            const dgBytes = counts.reduce((a, c) => a + c.dataBytes, 0);
            const size = Math.round(dgBytes / dg);
            if (!udpRef) {
              udpRef = { size, samples: [] };
              for (const _ of ctx.rounds(UDP_BUDGET_S)) {
                const u = await udp.blast(TOTAL, size);
                udpRef.samples.push(u.sample);
                ctx.log(
                  `plain UDP ${size}-byte datagrams: ${round(mbps(u.sample))} MB/s (forgiven ${u.forgiven})`,
                );
              }
            }
            const ref = udpRef.samples;
            rows.push({
              name: `Rx one 256 MiB call, ${dir}, jumboRecv ${jumbo}`,
              ours: round(mbps(best(samples))),
              reference: round(mbps(best(ref))),
              referenceName: `plain UDP ${udpRef.size} B`,
              unit: 'MB/s',
              higherIsBetter: true,
              goal: 0.5,
              notes:
                `rxnull; receiver advertises jumboRecv ${jumbo}; mean DATA datagram ${size} B ` +
                `(max ${Math.max(...counts.map((c) => c.maxDatagram))}); ${retransmits} retransmits in ` +
                `${samples.length} calls; UDP: window ${UDP_WINDOW} datagrams, ack every ${ACK_EVERY}; ` +
                `best of ${samples.length} (UDP ${ref.length})`,
              details: {
                oursMBps: samples.map((s) => round(mbps(s))),
                oursCpuSeconds: samples.map((s) => round(s.cpuSeconds ?? 0, 2)),
                udpMBps: ref.map((s) => round(mbps(s))),
                dataDatagrams: dg,
                meanDatagram: size,
                retransmits,
              },
            });
          }
        } finally {
          await pair.close();
        }
      }
    } finally {
      await udp.close();
    }
    return rows;
  },
};
