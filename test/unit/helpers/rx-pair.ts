// Two tsafs endpoints on loopback: one serves an echo-style service, the other calls it.
import { createHash } from 'node:crypto';
import type { RxCall } from '../../../src/rx/call.js';
import { type EndpointOptions, RxEndpoint } from '../../../src/rx/endpoint.js';

export const ECHO_SERVICE = 99;
export const SINK_SERVICE = 98;

/** Echo: the reply is the request. Sink: the reply is the sha256 of the request. Source: see below. */
export async function rxPair(opts: { server?: EndpointOptions; client?: EndpointOptions } = {}) {
  const server = await RxEndpoint.open({ host: '127.0.0.1', ...opts.server });
  const client = await RxEndpoint.open({ host: '127.0.0.1', ...opts.client });
  server.serve(ECHO_SERVICE, (call) => void echo(call));
  server.serve(SINK_SERVICE, (call) => void sink(call));
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

async function echo(call: RxCall): Promise<void> {
  try {
    const req = await call.readAll();
    await call.end(req);
  } catch {
    // the test observes failures on the client side
  }
}

async function sink(call: RxCall): Promise<void> {
  try {
    const h = createHash('sha256');
    for (;;) {
      const c = await call.read();
      if (!c) break;
      h.update(c);
    }
    await call.end(h.digest());
  } catch {
    // observed on the client side
  }
}

export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 255;
  }
  return b;
}
