// (issue 14) Failover: the cell's second file server killed 0.5 s into a 64 MiB read of a file
// replicated on both servers, in a run where server 2 was serving (its own Rx counters say so).
// tsafs readFile (fresh cacheless client) against cat through the afsd.fuse mount: bytes checked
// against what afsfix wrote, and the time added over the same reader's fault-free read. The files
// are new each run (afsd.fuse never has them cached), released to both sites, removed afterwards.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AfsClient } from '../../src/client.js';
import { anonymousClient } from '../lib/afs-scratch.js';
import { BenchSetupError } from '../lib/cell.js';
import { round } from '../lib/measure.js';
import { runProcess } from '../lib/proc.js';
import type { BenchCase, BenchContext } from '../types.js';

const SIZE = 64 << 20;
const TRIES = 6;
/** Data packets server 2 sends in 0.5 s when it is the one serving (≥ 700 KB). */
const SERVING_PACKETS = 500;
const CELL_SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), '../../../scripts/cell');

interface Staging {
  addr2: string;
  volume: string;
  dir: string;
}

function staging(): Staging {
  const addr2 = process.env.AFS_ADDR2;
  const volume = process.env.AFS_REP_VOLUME;
  const dir = process.env.AFS_REP_DIR;
  if (!addr2 || !volume || !dir) throw new BenchSetupError('no second file server (AFS_ADDR2, AFS_REP_*)');
  return { addr2, volume, dir };
}

/** Run a command; failures are retried a few times (the shared cell's servers restart now and then). */
async function must(cmd: string, args: string[], timeoutMs = 300_000): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const r = await runProcess(cmd, args, { timeoutMs });
    if (r.code === 0) return r.stdout;
    if (attempt === 4)
      throw new BenchSetupError(`${cmd} ${args.join(' ')}: ${r.code ?? r.signal} ${r.stderr.trim()}`);
    await sleep(2000);
  }
}

async function dataPacketsSent(addr: string): Promise<number> {
  const m = /packets sent: data (\d+)/.exec(
    await must('rxdebug', [addr, '7000', '-rxstats', '-noconns'], 10_000),
  );
  if (!m) throw new BenchSetupError(`rxdebug ${addr} printed no data packet count`);
  return Number(m[1]);
}

const server2 = (cmd: string) => must('bash', [CELL_SCRIPT, 'server2', cmd]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  ms: number;
  exact: boolean;
  /** Data packets server 2 sent in the first 0.5 s. */
  served: number;
  killed: boolean;
  /** The read failed (no bytes to judge). */
  error?: string | undefined;
}

/** One read; server 2 is killed 0.5 s in when `kill` and it is serving. */
async function read(
  job: () => Promise<{ sha256: string; length: number }>,
  want: string,
  addr2: string,
  kill: boolean,
): Promise<Outcome> {
  const sent0 = await dataPacketsSent(addr2);
  const t0 = performance.now();
  const p = job();
  p.catch(() => {});
  await sleep(500);
  const served = (await dataPacketsSent(addr2)) - sent0;
  const killed = kill && served >= SERVING_PACKETS;
  if (killed) await server2('kill');
  try {
    const r = await p.catch((e: Error) => ({ sha256: '', length: -1, error: e.message }));
    const error = 'error' in r ? r.error : undefined;
    return {
      ms: performance.now() - t0,
      exact: r.sha256 === want && r.length === SIZE,
      served,
      killed,
      error,
    };
  } finally {
    if (killed) await server2('start');
  }
}

async function tsafsRead(ctx: BenchContext, path: string) {
  const c: AfsClient = anonymousClient(ctx.env, false);
  try {
    const b = (await c.fs.readFile(path)) as Buffer;
    return { sha256: createHash('sha256').update(b).digest('hex'), length: b.length };
  } finally {
    await c.close();
  }
}

function fuseRead(path: string): Promise<{ sha256: string; length: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let length = 0;
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (b) => {
        h.update(b as Buffer);
        length += b.length;
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), length }));
  });
}

export const benchCase: BenchCase = {
  name: 'failover: server 2 killed 0.5 s into a 64 MiB read, vs afsd.fuse',
  needsCell: true,
  async run(ctx) {
    const s = staging();
    const tag = `fo-${process.pid}-${Date.now().toString(36)}`;
    const names = ['fuse-base', 'fuse-kill', 'tsafs'].map((n) => `${tag}-${n}`);
    const shas = new Map<string, string>();
    try {
      for (const [i, n] of names.entries()) {
        const out = await must(ctx.env.AFS_FIXTURE, [
          'write',
          `${ctx.env.AFS_CELL}:${s.volume}:/${n}`,
          String(SIZE),
          String(100 + i),
        ]);
        const m = /sha256=([0-9a-f]{64})/.exec(out);
        if (!m) throw new BenchSetupError(`afsfix printed no sha256: ${out}`);
        shas.set(n, m[1]!);
      }
      ctx.log(`releasing ${s.volume} with the new files`);
      await must('vos', ['release', s.volume, '-localauth']);
      const [fuseBase, fuseKill, ours] = names as [string, string, string];
      const at = (n: string) => `${s.dir}/${n}`;

      const oursBase = await read(() => tsafsRead(ctx, at(ours)), shas.get(ours)!, s.addr2, false);
      ctx.log(`tsafs baseline ${round(oursBase.ms)} ms, exact ${oursBase.exact}`);
      let oursKill: Outcome | undefined;
      const oursTries: Outcome[] = [];
      for (let i = 0; i < TRIES && !oursKill; i++) {
        const o = await read(() => tsafsRead(ctx, at(ours)), shas.get(ours)!, s.addr2, true);
        oursTries.push(o);
        if (o.killed) oursKill = o;
      }
      ctx.log(
        `tsafs with server 2 killed: ${oursKill ? `${round(oursKill.ms)} ms, exact ${oursKill.exact}` : 'never served by server 2'}`,
      );

      // afsd.fuse learns of the release when its RO callback lapses: wait until it lists the files.
      const seen = Date.now() + 120_000;
      while (
        !(
          await Promise.all(
            [fuseBase, fuseKill].map((n) =>
              stat(at(n)).then(
                () => true,
                () => false,
              ),
            ),
          )
        ).every(Boolean)
      ) {
        if (Date.now() > seen) throw new BenchSetupError('afsd.fuse never showed the released files');
        await sleep(2000);
      }
      const refBase = await read(() => fuseRead(at(fuseBase)), shas.get(fuseBase)!, s.addr2, false);
      ctx.log(
        `afsd.fuse baseline ${round(refBase.ms)} ms (server 2 sent ${refBase.served} packets), exact ${refBase.exact}`,
      );
      const refKill = await read(() => fuseRead(at(fuseKill)), shas.get(fuseKill)!, s.addr2, true);
      ctx.log(
        `afsd.fuse ${refKill.killed ? 'with server 2 killed' : 'reading from server 1 (no kill)'}: ${round(refKill.ms)} ms, exact ${refKill.exact}`,
      );

      const added = (k: Outcome | undefined, b: Outcome) =>
        k?.killed ? round((k.ms - b.ms) / 1000, 2) : null;
      return {
        name: 'failover: time added by server 2 killed 0.5 s into a 64 MiB read',
        ours: added(oursKill, oursBase) ?? Number.NaN,
        reference: added(refKill, refBase),
        referenceName: 'cat through afsd.fuse',
        unit: 's',
        higherIsBetter: false,
        goal: 1.0,
        notes:
          `bytes exact: tsafs ${oursKill ? oursKill.exact : 'n/a'}, afsd.fuse ${refKill.exact}` +
          (refKill.killed ? '' : '; afsd.fuse read from server 1, so it had nothing to fail over'),
        details: { oursBase, oursKill, oursTries, refBase, refKill },
      };
    } finally {
      for (const n of names)
        await must(ctx.env.AFS_FIXTURE, ['rm', `${ctx.env.AFS_CELL}:${s.volume}:/${n}`]).catch((e) =>
          ctx.log(`cleanup ${n}: ${e}`),
        );
      await must('vos', ['release', s.volume, '-localauth']).catch((e) => ctx.log(`release: ${e}`));
    }
  },
};
