// Clients for integration tests: one AfsClient against the loopback cell, with the options a test
// needs, and small polling helpers (no fixed sleeps where a condition can be waited for).
import { AfsClient, type AfsClientOptions } from '../../../src/client.js';
import { cellEnv } from './cell.js';

export async function testClient(o: AfsClientOptions = {}): Promise<AfsClient> {
  const env = await cellEnv();
  const c = new AfsClient({ cellServDB: env.cellServDb, cell: env.cell, auth: 'anonymous', ...o });
  await c.start();
  return c;
}

/** Poll `cond` every 20 ms until it is true or `ms` pass; returns whether it became true. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
