// (d) Writing 64 MiB: tsafs's writeFile of a buffer against dd through the afsd.fuse mount of the
// same cell (conv=fsync, timed to the command's end, which includes close), both anonymous
// (rxnull), into the same scratch directory. Alternating runs, best of each.
import { anonymousClient, finishScratch, makeScratch, patternBuffer } from '../lib/afs-scratch.js';
import { BenchSetupError } from '../lib/cell.js';
import { best, mbps, round, type Sample, timed } from '../lib/measure.js';
import { runProcess } from '../lib/proc.js';
import type { BenchCase } from '../types.js';

const MIB = 64;
const SIZE = MIB * 1024 * 1024;
const BUDGET_S = 60;

export const benchCase: BenchCase = {
  name: 'write 64 MiB vs dd through afsd.fuse',
  needsCell: true,
  async run(ctx) {
    const client = anonymousClient(ctx.env);
    let dir: string | undefined;
    try {
      dir = await makeScratch(client, ctx.env, 'write');
      const data = patternBuffer(SIZE, 13);
      const ours: Sample[] = [];
      const ref: Sample[] = [];
      for (const i of ctx.rounds(BUDGET_S)) {
        const target = `${dir}/t${i}`;
        ours.push(
          await timed(async () => {
            await client.fs.writeFile(target, data);
            return SIZE;
          }),
        );
        const st = await client.fs.stat(target);
        if (st.size !== SIZE) throw new BenchSetupError(`tsafs wrote ${st.size} bytes, expected ${SIZE}`);
        await client.fs.unlink(target);
        ctx.log(`tsafs writeFile: ${round(mbps(ours.at(-1)!))} MB/s`);

        const x = `${dir}/x${i}`;
        const dd = await timed(async () => {
          const r = await runProcess(
            'dd',
            ['if=/dev/zero', `of=${x}`, 'bs=1M', `count=${MIB}`, 'conv=fsync'],
            {
              timeoutMs: 300_000,
            },
          );
          if (r.code !== 0) throw new BenchSetupError(`dd exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
          return SIZE;
        });
        ref.push(dd);
        const sx = await client.fs.stat(x);
        if (sx.size !== SIZE)
          throw new BenchSetupError(`dd through the mount left ${sx.size} bytes, expected ${SIZE}`);
        await client.fs.unlink(x);
        ctx.log(`dd via afsd.fuse: ${round(mbps(dd))} MB/s`);
      }
      return {
        name: 'write 64 MiB (writeFile vs dd conv=fsync)',
        ours: round(mbps(best(ours))),
        reference: round(mbps(best(ref))),
        referenceName: 'dd via afsd.fuse',
        unit: 'MB/s',
        higherIsBetter: true,
        goal: 2.0,
        notes: `both rxnull; dd bs=1M conv=fsync timed to exit (close included); best of ${ours.length}; size checked by stat after each`,
        details: {
          oursMBps: ours.map((s) => round(mbps(s))),
          ddMBps: ref.map((s) => round(mbps(s))),
        },
      };
    } finally {
      await finishScratch(client, dir, [client], ctx.log);
    }
  },
};
