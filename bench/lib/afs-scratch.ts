// Clients, scratch directories and the reusable 10,000-entry directory for the cases that compare
// tsafs's fs API with the afsd.fuse mount of the same cell.
import { AfsClient } from '../../src/client.js';
import type { CellEnv } from './cell.js';
import { BenchSetupError } from './cell.js';
import type { Sample } from './measure.js';

/** An admin client (localauth ticket from the server KeyFile) at rxkad crypt. */
export function adminClient(env: CellEnv, cacheSize?: number | false): AfsClient {
  return new AfsClient({
    cellServDB: env.AFS_CELLSERVDB,
    cell: env.AFS_CELL,
    auth: { localauth: {}, level: 'crypt' },
    ...(cacheSize === undefined ? {} : { cacheSize }),
  });
}

/** An anonymous (rxnull) client: the identity the afsd.fuse mount has here. */
export function anonymousClient(env: CellEnv, cacheSize?: number | false): AfsClient {
  return new AfsClient({
    cellServDB: env.AFS_CELLSERVDB,
    cell: env.AFS_CELL,
    auth: 'anonymous',
    ...(cacheSize === undefined ? {} : { cacheSize }),
  });
}

/** A fresh directory under the rw volume for one case's files; remove it with removeScratch. */
export async function makeScratch(client: AfsClient, env: CellEnv, tag: string): Promise<string> {
  const dir = `${env.AFS_RW_DIR}/bench-${tag}-${process.pid}-${Date.now().toString(36)}`;
  await client.fs.mkdir(dir);
  return dir;
}

/**
 * Remove the scratch directory (if made) with `owner`, then close every client. A failed removal
 * is logged rather than thrown, so it cannot hide the error that ended the case.
 */
export async function finishScratch(
  owner: AfsClient,
  dir: string | undefined,
  clients: AfsClient[],
  log: (m: string) => void,
): Promise<void> {
  if (dir) await owner.fs.rm(dir, { recursive: true, force: true }).catch((e) => log(`cleanup ${dir}: ${e}`));
  for (const c of clients) await c.close();
}

/** Deterministic, incompressible-looking bytes (content does not matter to AFS, size does). */
export function patternBuffer(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  b.fill(0, size & ~3);
  return b;
}

export const DIR10K_COUNT = 10_000;

export function dir10kName(i: number): string {
  return `f${String(i).padStart(5, '0')}`;
}

/**
 * rw/bench/dir10k with DIR10K_COUNT small files, created (or completed, after an interrupted run)
 * by the admin client with 8 writes in flight; kept across runs since it takes tens of seconds.
 */
export async function ensureDir10k(env: CellEnv, log: (m: string) => void): Promise<string> {
  const dir = `${env.AFS_RW_DIR}/bench/dir10k`;
  const client = adminClient(env);
  try {
    await client.fs.mkdir(dir, { recursive: true });
    const have = new Set((await client.fs.readdir(dir)) as string[]);
    const missing: string[] = [];
    for (let i = 0; i < DIR10K_COUNT; i++) if (!have.has(dir10kName(i))) missing.push(dir10kName(i));
    if (missing.length === 0) return dir;
    log(`creating ${missing.length} files in ${dir} (kept for later runs)`);
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const name = missing[next++]!;
        await client.fs.writeFile(`${dir}/${name}`, `${name}\n`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const n = ((await client.fs.readdir(dir)) as string[]).filter((x) => /^f\d{5}$/.test(x)).length;
    if (n < DIR10K_COUNT)
      throw new BenchSetupError(`${dir} has ${n} entries after creation, expected ${DIR10K_COUNT}`);
    return dir;
  } finally {
    await client.close();
  }
}

/** The median sample by throughput (seconds per byte), for figures reported as a median. */
export function median(samples: Sample[]): Sample {
  if (samples.length === 0) throw new RangeError('no samples');
  const s = [...samples].sort((a, b) => a.bytes / a.seconds - b.bytes / b.seconds);
  return s[(s.length - 1) >> 1]!;
}
