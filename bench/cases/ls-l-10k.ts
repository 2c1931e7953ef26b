// (e) `ls -l` of a 10,000-entry directory: tsafs readdir with file types (entries carry the status
// the bulk listing brought) from a fresh client per run, against ls -l through a *cold* afsd.fuse
// (a second instance started per run with an empty cache on a mount point of its own, its first
// ls timed) and through the cell's warm /afs mount (after one untimed ls).

import { join } from 'node:path';
import { anonymousClient, DIR10K_COUNT, ensureDir10k } from '../lib/afs-scratch.js';
import { BenchSetupError } from '../lib/cell.js';
import { startColdFuse } from '../lib/cold-fuse.js';
import { round, type Sample, timed } from '../lib/measure.js';
import { runProcess } from '../lib/proc.js';
import type { BenchCase, BenchRow } from '../types.js';

const BUDGET_S = 60;

const seconds = (s: Sample[]) => Math.min(...s.map((x) => x.seconds));

export const benchCase: BenchCase = {
  name: 'ls -l of 10,000 entries vs afsd.fuse',
  needsCell: true,
  async run(ctx) {
    const dir = await ensureDir10k(ctx.env, ctx.log);
    const ls = async (where: string): Promise<Sample> =>
      timed(async () => {
        const r = await runProcess('ls', ['-l', where], { timeoutMs: 300_000 });
        if (r.code !== 0) throw new BenchSetupError(`ls -l exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
        const n = r.stdout.split('\n').filter((l) => / f\d{5}$/.test(l)).length;
        if (n < DIR10K_COUNT)
          throw new BenchSetupError(`ls -l listed ${n} entries, expected ${DIR10K_COUNT}`);
        return n;
      });
    await ls(dir); // warm the mount
    const mount = process.env.AFS_MOUNT ?? '/afs';
    const ours: Sample[] = [];
    const ref: Sample[] = [];
    const cold: Sample[] = [];
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
      ref.push(await ls(dir));
      ctx.log(`ls -l via the warm afsd.fuse: ${round(ref.at(-1)!.seconds, 3)} s`);
      const m = await startColdFuse(
        join(ctx.tmpDir, `cold-fuse-${cold.length}`),
        process.env.AFS_CONFDIR ?? '/etc/openafs',
      );
      try {
        cold.push(await ls(m.mountDir + dir.slice(mount.length)));
      } finally {
        await m.stop();
      }
      ctx.log(`ls -l via a cold afsd.fuse: ${round(cold.at(-1)!.seconds, 3)} s`);
    }
    const coldRow: BenchRow = {
      name: 'ls -l of 10,000 entries, cold',
      ours: round(seconds(ours), 3),
      reference: round(seconds(cold), 3),
      referenceName: 'ls -l via a fresh afsd.fuse',
      unit: 's',
      higherIsBetter: false,
      goal: 3.0,
      notes: `tsafs: fresh anonymous client per run (VL lookup included), readdir withFileTypes with statuses; reference: a second afsd.fuse started per run with an empty cache (mount not timed; its first ls -l timed, process start included); best of ${ours.length}`,
      details: { coldSeconds: cold.map((s) => round(s.seconds, 3)) },
    };
    const warmRow: BenchRow = {
      name: 'ls -l of 10,000 entries, warm FUSE',
      ours: round(seconds(ours), 3),
      reference: round(seconds(ref), 3),
      referenceName: 'ls -l via afsd.fuse',
      unit: 's',
      higherIsBetter: false,
      notes: `tsafs: as above (fresh client); reference: the cell's warm /afs mount, ls -l incl. process start; best of ${ours.length}`,
      details: {
        oursSeconds: ours.map((s) => round(s.seconds, 3)),
        lsSeconds: ref.map((s) => round(s.seconds, 3)),
      },
    };
    return [coldRow, warmRow];
  },
};
