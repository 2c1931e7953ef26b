// The far end of the Rx bulk benchmark, in its own thread (its own event loop, as a separate
// server would have): a sink service that reads and discards a request and replies with the byte
// count, and a source service that sends as many bytes as the 8-byte request asks for.
import { parentPort, workerData } from 'node:worker_threads';
import type { RxCall } from '../../src/rx/call.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { DatagramTally } from './tally.js';

export const SINK_SERVICE = 98;
export const SOURCE_SERVICE = 97;
export const CHUNK = 1 << 20;

export interface RxPeerWorkerData {
  jumboRecv: number;
}

export type RxPeerRequest = 'tally' | 'close';

async function sink(call: RxCall): Promise<void> {
  try {
    let n = 0;
    for (;;) {
      const c = await call.read();
      if (!c) break;
      n += c.length;
    }
    const reply = Buffer.alloc(8);
    reply.writeBigUInt64BE(BigInt(n));
    await call.end(reply);
  } catch {
    // The caller sees the failure.
  }
}

async function source(call: RxCall, block: Buffer): Promise<void> {
  try {
    let left = Number((await call.readExact(8)).readBigUInt64BE());
    while (left > 0) {
      const n = Math.min(left, block.length);
      await call.write(n === block.length ? block : block.subarray(0, n));
      left -= n;
    }
    await call.end();
  } catch {
    // The caller sees the failure.
  }
}

if (parentPort) {
  const port = parentPort;
  const { jumboRecv } = workerData as RxPeerWorkerData;
  const ep = await RxEndpoint.open({ host: '127.0.0.1', tuning: { jumboRecv } });
  const tally = new DatagramTally();
  ep.onDatagram = (buf) => tally.add(buf);
  const block = Buffer.alloc(CHUNK, 0x5a);
  ep.serve(SINK_SERVICE, (call) => void sink(call));
  ep.serve(SOURCE_SERVICE, (call) => void source(call, block));
  port.on('message', async (m: RxPeerRequest) => {
    if (m === 'tally') port.postMessage({ tally: tally.take(), stats: { ...ep.stats } });
    else {
      await ep.close();
      port.close();
    }
  });
  port.postMessage({ port: ep.address.port });
}
