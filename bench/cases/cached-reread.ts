// (f) Answers from the client's own cache: re-reading a 32 MiB file the client already holds (no
// RPC once warm) and stat of 1,000 files it already knows, against the same through the warm
// afsd.fuse mount (cat; node:fs/promises stat). One untimed warming pass on each side first.
import { stat as mountStat } from 'node:fs/promises';
import {
  adminClient,
  anonymousClient,
  DIR10K_COUNT,
  dir10kName,
  ensureDir10k,
  finishScratch,
  makeScratch,
  patternBuffer,
} from '../lib/afs-scratch.js';
import { BenchSetupError } from '../lib/cell.js';
import { best, mbps, round, type Sample, timed } from '../lib/measure.js';
import { runProcess } from '../lib/proc.js';
import type { BenchCase } from '../types.js';

const SIZE = 32 * 1024 * 1024;
const REREADS = 5;
const STATS = 1000;
const BUDGET_S = 30;

/** Operations per second, for samples whose `bytes` count operations. */
const opsPerSecond = (s: Sample) => s.bytes / s.seconds;
const bestOps = (s: Sample[]) => Math.max(...s.map(opsPerSecond));

export const benchCase: BenchCase = {
  name: 'cached re-read and stat vs afsd.fuse',
  needsCell: true,
  async run(ctx) {
    const dir10k = await ensureDir10k(ctx.env, ctx.log);
    if (STATS > DIR10K_COUNT) throw new BenchSetupError('more stats than dir10k entries');
    const admin = adminClient(ctx.env, false);
    const client = anonymousClient(ctx.env); // default cache (128 MiB)
    let dir: string | undefined;
    try {
      dir = await makeScratch(admin, ctx.env, 'reread');
      const path = `${dir}/f32m`;
      const data = patternBuffer(SIZE, 17);
      await admin.fs.writeFile(path, data);

      // Re-read: the first tsafs read and the first cat fill the caches.
      const readOurs = () =>
        timed(async () => {
          const b = (await client.fs.readFile(path)) as Buffer;
          if (!b.equals(data)) throw new BenchSetupError('tsafs re-read returned different bytes');
          return b.length;
        });
      const cat = () =>
        timed(async () => {
          const r = await runProcess('cat', [path], { discardStdout: true, timeoutMs: 300_000 });
          if (r.code !== 0) throw new BenchSetupError(`cat exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
          return SIZE;
        });
      await readOurs();
      await cat();
      const ours: Sample[] = [];
      const ref: Sample[] = [];
      const until = performance.now() + BUDGET_S * 1000;
      for (let i = 0; i < REREADS && (i === 0 || performance.now() < until); i++) {
        ours.push(await readOurs());
        ref.push(await cat());
        ctx.log(`re-read tsafs ${round(mbps(ours.at(-1)!))} MB/s, cat ${round(mbps(ref.at(-1)!))} MB/s`);
      }

      // stat of 1,000 known files, sequential, after one warming pass each side.
      const paths = Array.from({ length: STATS }, (_, i) => `${dir10k}/${dir10kName(i)}`);
      const statOurs = () =>
        timed(async () => {
          for (const p of paths)
            if (!(await client.fs.stat(p)).isFile()) throw new BenchSetupError(`${p} not a file`);
          return paths.length;
        });
      const statMount = () =>
        timed(async () => {
          for (const p of paths)
            if (!(await mountStat(p)).isFile()) throw new BenchSetupError(`${p} not a file`);
          return paths.length;
        });
      await statOurs();
      await statMount();
      const sOurs: Sample[] = [];
      const sRef: Sample[] = [];
      for (const _ of ctx.rounds(BUDGET_S)) {
        sOurs.push(await statOurs());
        sRef.push(await statMount());
        ctx.log(
          `stat x${STATS}: tsafs ${round(opsPerSecond(sOurs.at(-1)!))}/s, mount ${round(opsPerSecond(sRef.at(-1)!))}/s`,
        );
      }

      return [
        {
          name: 're-read cached 32 MiB file',
          ours: round(mbps(best(ours))),
          reference: round(mbps(best(ref))),
          referenceName: 'cat via afsd.fuse (warm)',
          unit: 'MB/s',
          higherIsBetter: true,
          notes: `tsafs readFile from its 128 MiB cache (no RPC); cat incl. process start; best of ${ours.length} after one warming read each`,
          details: { oursMBps: ours.map((s) => round(mbps(s))), catMBps: ref.map((s) => round(mbps(s))) },
        },
        {
          name: `stat ${STATS} cached files`,
          ours: round(bestOps(sOurs)),
          reference: round(bestOps(sRef)),
          referenceName: 'fs.stat via afsd.fuse (warm)',
          unit: 'stat/s',
          higherIsBetter: true,
          notes: `sequential stat of dir10k's first ${STATS} paths with one client after a warming pass; mount: node:fs/promises stat; best of ${sOurs.length}`,
          details: {
            oursPerS: sOurs.map((s) => round(opsPerSecond(s))),
            mountPerS: sRef.map((s) => round(opsPerSecond(s))),
          },
        },
      ];
    } finally {
      await finishScratch(admin, dir, [client, admin], ctx.log);
    }
  },
};
