// (d) Writing 256 MiB, timed until the file server holds all of it: tsafs `fs.writeFile` and
// `tsafs put` (the CLI, a process of its own) at rxnull and at rxkad crypt (the test user's
// Kerberos token), against `dd conv=fsync` of the same local file into the afsd.fuse mount
// (anonymous, i.e. rxnull: the mount has no token). afsd.fuse returns from close() long before it
// has stored the data, so every writer's clock runs until a second client with no cache sees the
// whole file on the server (lib/server-holds.ts); then the server's sha256 of the file must equal
// the data's.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rxkadTokenFromCredentials } from '../../src/auth/krb5/rxkad-token.js';
import { obtainAfsCredentials } from '../../src/auth/krb5/tgs.js';
import { TokenStore } from '../../src/auth/token-store.js';
import { AfsClient } from '../../src/client.js';
import { anonymousClient, finishScratch, makeScratch, patternBuffer } from '../lib/afs-scratch.js';
import { BenchSetupError } from '../lib/cell.js';
import { best, mbps, round, type Sample, timed } from '../lib/measure.js';
import { runProcess } from '../lib/proc.js';
import { serverSha256, untilServerHolds } from '../lib/server-holds.js';
import type { BenchCase, BenchRow } from '../types.js';

const MIB = 256;
const SIZE = MIB * 1024 * 1024;
const BUDGET_S = 120;
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** The server's ingest limit: this many OpenAFS clients (afsfix) writing separate files at once. */
const INGEST_WRITERS = 4;
const INGEST_MIB = 64;

type Writer = 'writeFile rxnull' | 'writeFile crypt' | 'put rxnull' | 'put crypt' | 'dd';

export const benchCase: BenchCase = {
  name: 'write 256 MiB vs dd through afsd.fuse, until the server holds it',
  needsCell: true,
  async run(ctx) {
    const e = ctx.env;
    const creds = await obtainAfsCredentials({
      cell: e.AFS_CELL,
      principal: e.AFS_TEST_PRINCIPAL,
      keytabPath: e.AFS_TEST_KEYTAB,
    });
    const token = rxkadTokenFromCredentials(creds, e.AFS_CELL);
    const tokens = join(ctx.tmpDir, 'tokens.json');
    await new TokenStore(tokens).put(token);
    const anon = anonymousClient(e);
    const user = new AfsClient({
      cellServDB: e.AFS_CELLSERVDB,
      cell: e.AFS_CELL,
      auth: { token, level: 'crypt' },
    });
    const poller = anonymousClient(e, false);
    let dir: string | undefined;
    try {
      dir = await makeScratch(anon, e, 'write');
      const data = patternBuffer(SIZE, 13);
      const sha = createHash('sha256').update(data).digest('hex');
      const local = join(ctx.tmpDir, 'write-src');
      writeFileSync(local, data);
      const cli = async (args: string[], env: NodeJS.ProcessEnv) => {
        const r = await runProcess(process.execPath, [CLI, ...args], { env, timeoutMs: 600_000 });
        if (r.code !== 0)
          throw new BenchSetupError(`tsafs ${args[0]} exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
      };
      const jobs: Record<Writer, (target: string) => Promise<void>> = {
        'writeFile rxnull': (t) => anon.fs.writeFile(t, data),
        'writeFile crypt': (t) => user.fs.writeFile(t, data),
        'put rxnull': (t) => cli(['put', '--anonymous', local, t], process.env),
        'put crypt': (t) =>
          cli(['put', '--level', 'crypt', local, t], { ...process.env, TSAFS_TOKENS: tokens }),
        dd: async (t) => {
          const r = await runProcess('dd', [`if=${local}`, `of=${t}`, 'bs=1M', 'conv=fsync'], {
            timeoutMs: 600_000,
          });
          if (r.code !== 0) throw new BenchSetupError(`dd exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
        },
      };
      const samples = new Map<Writer, Sample[]>();
      const polls = new Map<Writer, number[]>();
      let n = 0;
      for (const _ of ctx.rounds(BUDGET_S)) {
        for (const [w, job] of Object.entries(jobs) as [Writer, (t: string) => Promise<void>][]) {
          const target = `${dir}/w${n++}`;
          let p = 0;
          const s = await timed(async () => {
            await job(target);
            p = await untilServerHolds(poller, target, data);
            return SIZE;
          });
          const got = await serverSha256(poller, target);
          if (got !== sha) throw new BenchSetupError(`${w}: the server holds sha256 ${got}, wrote ${sha}`);
          await anon.fs.unlink(target);
          samples.set(w, [...(samples.get(w) ?? []), s]);
          polls.set(w, [...(polls.get(w) ?? []), p]);
          ctx.log(`${w}: ${round(mbps(s))} MB/s until the server held it (${p} polls)`);
        }
      }
      const ingest = await serverIngest(
        ctx.env.AFS_FIXTURE,
        dir.slice(e.AFS_RW_DIR.length),
        e.AFS_RW_VOLUME,
        poller,
        dir,
      );
      ctx.log(`server ingest, ${INGEST_WRITERS} afsfix writers: ${round(ingest)} MB/s`);
      const dd = best(samples.get('dd')!);
      const rows: BenchRow[] = (
        ['writeFile rxnull', 'writeFile crypt', 'put rxnull', 'put crypt'] as const
      ).map((w) => ({
        name: `write 256 MiB, ${w}`,
        ours: round(mbps(best(samples.get(w)!))),
        reference: round(mbps(dd)),
        referenceName: 'dd via afsd.fuse (rxnull)',
        unit: 'MB/s',
        higherIsBetter: true,
        goal: 1.5,
        notes:
          `timed until a cache-less client sees the whole file on the server, then the server's sha256 checked; ` +
          `dd bs=1M conv=fsync of the same local file into the mount (anonymous: rxnull); best of ${samples.get(w)!.length}`,
        details: {
          oursMBps: samples.get(w)!.map((s) => round(mbps(s))),
          ddMBps: samples.get('dd')!.map((s) => round(mbps(s))),
          polls: polls.get(w),
          ddPolls: polls.get('dd'),
        },
      }));
      rows.push({
        name: 'write 256 MiB, writeFile rxnull, vs the server ingest limit',
        ours: round(mbps(best(samples.get('writeFile rxnull')!))),
        reference: round(ingest),
        referenceName: `${INGEST_WRITERS} concurrent afsfix writers`,
        unit: 'MB/s',
        higherIsBetter: true,
        goal: 0.9,
        notes: `reference: ${INGEST_WRITERS} afsfix (libafscp, rxkad clear) writing ${INGEST_MIB} MiB files at once, aggregate; each file's sha256 checked on the server`,
      });
      return rows;
    } finally {
      await finishScratch(anon, dir, [anon, user, poller], ctx.log);
    }
  },
};

/**
 * Aggregate MB/s of INGEST_WRITERS afsfix processes each writing its own INGEST_MIB file in
 * `rel` (a directory of the rw volume), each file's server sha256 checked against afsfix's.
 */
async function serverIngest(
  afsfix: string,
  rel: string,
  volume: string,
  poller: AfsClient,
  dir: string,
): Promise<number> {
  const size = INGEST_MIB * 1024 * 1024;
  const t0 = process.hrtime.bigint();
  const outs = await Promise.all(
    Array.from({ length: INGEST_WRITERS }, (_, i) =>
      runProcess(afsfix, ['write', `${volume}:${rel}/ingest${i}`, String(size), String(100 + i)], {
        timeoutMs: 600_000,
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const [i, r] of outs.entries()) {
    const sha = /sha256=([0-9a-f]{64})/.exec(r.stdout)?.[1];
    if (r.code !== 0 || !sha) throw new BenchSetupError(`afsfix write ${i} failed: ${r.stderr.trim()}`);
    const got = await serverSha256(poller, `${dir}/ingest${i}`);
    if (got !== sha)
      throw new BenchSetupError(`afsfix writer ${i}: server sha256 ${got}, afsfix wrote ${sha}`);
  }
  return (INGEST_WRITERS * size) / seconds / 1e6;
}
