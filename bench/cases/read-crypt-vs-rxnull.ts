// (c) What rxkad crypt costs on reads: the same 32 MiB file read whole by an anonymous (rxnull)
// client and by an admin client at rxkad crypt, both with the data cache off so every read is
// fetched from the file server. Alternating runs, median of each.
import {
  adminClient,
  anonymousClient,
  finishScratch,
  makeScratch,
  median,
  patternBuffer,
} from '../lib/afs-scratch.js';
import { BenchSetupError } from '../lib/cell.js';
import { mbps, round, type Sample, timed } from '../lib/measure.js';
import type { BenchCase } from '../types.js';

const SIZE = 32 * 1024 * 1024;
const BUDGET_S = 60;

export const benchCase: BenchCase = {
  name: 'read 32 MiB at rxkad crypt vs rxnull',
  needsCell: true,
  async run(ctx) {
    const admin = adminClient(ctx.env, false);
    const anon = anonymousClient(ctx.env, false);
    let dir: string | undefined;
    try {
      dir = await makeScratch(admin, ctx.env, 'crypt');
      const path = `${dir}/f32m`;
      const data = patternBuffer(SIZE, 11);
      await admin.fs.writeFile(path, data);
      const read = async (c: typeof admin): Promise<Sample> => {
        const s = await timed(async () => {
          const b = (await c.fs.readFile(path)) as Buffer;
          if (!b.equals(data))
            throw new BenchSetupError(`read back ${b.length} bytes that differ from what was written`);
          return b.length;
        });
        return s;
      };
      const crypt: Sample[] = [];
      const clear: Sample[] = [];
      for (const _ of ctx.rounds(BUDGET_S)) {
        clear.push(await read(anon));
        ctx.log(`rxnull: ${round(mbps(clear.at(-1)!))} MB/s`);
        crypt.push(await read(admin));
        ctx.log(`crypt: ${round(mbps(crypt.at(-1)!))} MB/s`);
      }
      return {
        name: 'read 32 MiB, rxkad crypt (admin) vs rxnull',
        ours: round(mbps(median(crypt))),
        reference: round(mbps(median(clear))),
        referenceName: 'tsafs rxnull',
        unit: 'MB/s',
        higherIsBetter: true,
        notes: `ratio = crypt/rxnull, report only; median of ${crypt.length}; cacheSize false; readFile`,
        details: {
          cryptMBps: crypt.map((s) => round(mbps(s))),
          rxnullMBps: clear.map((s) => round(mbps(s))),
          cryptCpuS: crypt.map((s) => round(s.cpuSeconds ?? 0, 2)),
          rxnullCpuS: clear.map((s) => round(s.cpuSeconds ?? 0, 2)),
        },
      };
    } finally {
      await finishScratch(admin, dir, [anon, admin], ctx.log);
    }
  },
};
