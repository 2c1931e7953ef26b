// When does the file server hold a whole file? A write is only done when the data is on the
// server: afsd.fuse returns from close() (even after fsync) long before it has stored the file.
// A second client with no cache polls the server until the file has the expected length and
// sampled blocks of it (one per 16 MiB, the last one the tail) hold the expected bytes; the
// caller then checks the sha256 of the whole file as the server has it.
import { createHash } from 'node:crypto';
import type { AfsClient } from '../../src/client.js';
import { BenchSetupError } from './cell.js';

const SAMPLE = 64 * 1024;
const REGION = 16 * 1024 * 1024;
const POLL_MS = 100;

async function readRange(c: AfsClient, path: string, pos: number, len: number): Promise<Buffer> {
  const st = await c.fs.stat(path);
  const parts: Buffer[] = [];
  await c.fetchByFid(st.fid, (b) => void parts.push(Buffer.from(b)), { pos, length: len, parallel: 1 });
  return Buffer.concat(parts);
}

/** Positions of the sampled blocks of a file of `size` bytes. */
function samples(size: number): number[] {
  const out: number[] = [];
  for (let r = 0; r + REGION < size; r += REGION) out.push(r + REGION - SAMPLE);
  out.push(Math.max(0, size - SAMPLE));
  return out;
}

/**
 * Resolves (with the number of polls) once `poller` — a client with cacheSize false — sees
 * `path` on the server with `expected`'s length and sampled content. Times out after `timeoutMs`.
 */
export async function untilServerHolds(
  poller: AfsClient,
  path: string,
  expected: Buffer,
  timeoutMs = 600_000,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  const at = samples(expected.length);
  for (let polls = 1; ; polls++) {
    const st = await poller.fs.stat(path).catch(() => undefined);
    if (st && st.size === expected.length) {
      let all = true;
      for (const p of at) {
        const n = Math.min(SAMPLE, expected.length - p);
        const got = await readRange(poller, path, p, n);
        if (!got.equals(expected.subarray(p, p + n))) {
          all = false;
          break;
        }
      }
      if (all) return polls;
    }
    if (Date.now() > until)
      throw new BenchSetupError(
        `${path}: the file server did not hold the whole file within ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** sha256 of the whole file as the server has it (read by `poller`, which keeps no cache). */
export async function serverSha256(poller: AfsClient, path: string): Promise<string> {
  const st = await poller.fs.stat(path);
  const h = createHash('sha256');
  await poller.fetchByFid(st.fid, (b) => void h.update(b), { parallel: 4 });
  return h.digest('hex');
}
