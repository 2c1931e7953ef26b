// (e) `ls -l` of a 10,000-entry directory: tsafs readdir with file types (entries carry the status
// the bulk listing brought) from a fresh client per run, against ls -l through the afsd.fuse mount.
// The mount cannot be made fresh per run, so its figure is the warm mount (after one untimed ls).
import { anonymousClient, DIR10K_COUNT, ensureDir10k } from '../lib/afs-scratch.js';
import { BenchSetupError } from '../lib/cell.js';
import { round, type Sample, timed } from '../lib/measure.js';
import { runProcess } from '../lib/proc.js';
import type { BenchCase } from '../types.js';

const BUDGET_S = 60;

const seconds = (s: Sample[]) => Math.min(...s.map((x) => x.seconds));

export const benchCase: BenchCase = {
  name: 'ls -l of 10,000 entries vs afsd.fuse',
  needsCell: true,
  async run(ctx) {
    const dir = await ensureDir10k(ctx.env, ctx.log);
    const ls = async (): Promise<Sample> =>
      timed(async () => {
        const r = await runProcess('ls', ['-l', dir], { timeoutMs: 300_000 });
        if (r.code !== 0) throw new BenchSetupError(`ls -l exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
        const n = r.stdout.split('\n').filter((l) => / f\d{5}$/.test(l)).length;
        if (n < DIR10K_COUNT)
          throw new BenchSetupError(`ls -l listed ${n} entries, expected ${DIR10K_COUNT}`);
        return n;
      });
    await ls(); // warm the mount
    const ours: Sample[] = [];
    const ref: Sample[] = [];
    for (const _ of ctx.rounds(BUDGET_S)) {
      ours.push(
        await timed(async () => {
          const client = anonymousClient(ctx.env);
          try {
            const entries = await client.fs.readdir(dir, { withFileTypes: true });
            let withStats = 0;
            for (const e of entries) if (e.stats && e.stats.size >= 0) withStats++;
            if (withStats < DIR10K_COUNT)
              throw new BenchSetupError(
                `readdir gave ${withStats} entries with status, expected ${DIR10K_COUNT}`,
              );
            return entries.length;
          } finally {
            await client.close();
          }
        }),
      );
      ctx.log(`tsafs readdir withFileTypes: ${round(ours.at(-1)!.seconds, 3)} s`);
      ref.push(await ls());
      ctx.log(`ls -l via afsd.fuse: ${round(ref.at(-1)!.seconds, 3)} s`);
    }
    return {
      name: 'ls -l of 10,000 entries',
      ours: round(seconds(ours), 3),
      reference: round(seconds(ref), 3),
      referenceName: 'ls -l via afsd.fuse',
      unit: 's',
      higherIsBetter: false,
      goal: 3.0,
      notes: `tsafs: fresh anonymous client per run (VL lookup included), readdir withFileTypes with statuses; reference: the warm FUSE mount (a fresh mount per run is not practical), ls -l incl. process start; best of ${ours.length}`,
      details: {
        oursSeconds: ours.map((s) => round(s.seconds, 3)),
        lsSeconds: ref.map((s) => round(s.seconds, 3)),
      },
    };
  },
};
