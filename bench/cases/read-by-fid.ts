// (a) Read a 256 MiB fixture file by FID with tsafs and with OpenAFS's afsio at the same security
// level — crypt, clear, rxnull (both with the test user's Kerberos token where there is one) —
// each a fresh client per run (VL lookup, rxkad handshake included), each computing the md5 of
// what it read. The level each side had is read from the file server during the read
// (rxdebug -allconnections), not assumed. afsio has no rxkad "auth" level: tsafs at auth is
// compared with afsio at clear (less work for afsio: the harder comparison). Also client CPU
// seconds per GiB at crypt.
import { createHash, type Hash } from 'node:crypto';
import type { AuthOption, LevelName } from '../../src/auth/identity.js';
import { rxkadTokenFromCredentials } from '../../src/auth/krb5/rxkad-token.js';
import { obtainAfsCredentials } from '../../src/auth/krb5/tgs.js';
import { AfsClient } from '../../src/client.js';
import type { AFSFid } from '../../src/rpc/types.js';
import { type AfsioLevel, AfsioReader } from '../lib/afsio.js';
import { BenchSetupError } from '../lib/cell.js';
import { best, cpuPerGiB, mbps, round, type Sample, timed } from '../lib/measure.js';
import { type ReadLevel, watchLevel } from '../lib/rx-level.js';
import type { BenchCase, BenchContext, BenchRow } from '../types.js';

const SIZE = 256 * 1024 * 1024;
const SEED = 7;
const PARALLEL = 4;
/** Ours, then afsio's reference level for it. */
const LEVELS: [ReadLevel, AfsioLevel][] = [
  ['crypt', 'crypt'],
  ['auth', 'clear'],
  ['clear', 'clear'],
  ['rxnull', 'rxnull'],
];
/** Seconds after which no further round starts. */
const BUDGET_S = 240;

async function tsafsRead(
  ctx: BenchContext,
  fid: AFSFid,
  auth: AuthOption,
  algorithms: string[],
): Promise<{ sample: Sample; digests: Record<string, string>; observed: string }> {
  const hashes: Hash[] = algorithms.map((a) => createHash(a));
  let seen: Promise<string> | undefined;
  const sample = await timed(async () => {
    const client = new AfsClient({ cellServDB: ctx.env.AFS_CELLSERVDB, cell: ctx.env.AFS_CELL, auth });
    try {
      const read = client.fetchByFid(
        fid,
        (chunk) => {
          for (const h of hashes) h.update(chunk);
        },
        { parallel: PARALLEL },
      );
      seen = watchLevel(process.pid, ctx.env.AFS_ADDR, read);
      return (await read).total;
    } finally {
      await client.close();
    }
  });
  if (sample.bytes !== SIZE) throw new BenchSetupError(`tsafs read ${sample.bytes} bytes, expected ${SIZE}`);
  const digests = Object.fromEntries(algorithms.map((a, i) => [a, hashes[i]!.digest('hex')]));
  return { sample, digests, observed: (await seen) ?? 'not watched' };
}

/** The test user's token (AFS_TEST_PRINCIPAL from its keytab), as `tsafs login --keytab` gets it. */
async function userAuth(ctx: BenchContext): Promise<(level: ReadLevel) => AuthOption> {
  const creds = await obtainAfsCredentials({
    cell: ctx.env.AFS_CELL,
    principal: ctx.env.AFS_TEST_PRINCIPAL,
    keytabPath: ctx.env.AFS_TEST_KEYTAB,
  });
  const token = rxkadTokenFromCredentials(creds, ctx.env.AFS_CELL);
  return (level) => (level === 'rxnull' ? 'anonymous' : { token, level: level as LevelName });
}

export const benchCase: BenchCase = {
  name: 'read 256 MiB by FID at each level vs afsio',
  needsCell: true,
  async run(ctx) {
    const file = await ctx.fixtureFile(`${ctx.env.AFS_RW_VOLUME}:/bench/big256`, SIZE, SEED);
    const afsPath = `${ctx.env.AFS_RW_DIR}/bench/big256`;
    const authFor = await userAuth(ctx);
    // The first tsafs read also computes sha256, which must equal what libafscp wrote; its md5 is
    // then what every later read, ours and afsio's, is checked against.
    let md5: string | undefined;
    const afsio = new AfsioReader(ctx.env, ctx.tmpDir, ctx.log);
    const ours = new Map<ReadLevel, Sample[]>();
    const ref = new Map<AfsioLevel, Sample[]>();
    const afsioDone = new Set<AfsioLevel>();
    // Interleaved per level, so drift in the shared machine's load hits both sides alike.
    for (const _ of ctx.rounds(BUDGET_S)) {
      afsioDone.clear();
      for (const [level, refLevel] of LEVELS) {
        const verify = md5 === undefined;
        const r = await tsafsRead(ctx, file.fid, authFor(level), verify ? ['sha256', 'md5'] : ['md5']);
        if (r.observed !== level)
          throw new BenchSetupError(`tsafs asked for ${level}, the file server saw ${r.observed}`);
        if (verify) {
          if (r.digests.sha256 !== file.sha256)
            throw new BenchSetupError(`tsafs read sha256 ${r.digests.sha256}, fixture ${file.sha256}`);
          md5 = r.digests.md5!;
        } else if (r.digests.md5 !== md5) throw new BenchSetupError(`tsafs md5 mismatch at ${level}`);
        ours.set(level, [...(ours.get(level) ?? []), r.sample]);
        ctx.log(`tsafs ${level}: ${round(mbps(r.sample))} MB/s, ${round(r.sample.cpuSeconds ?? 0, 2)} CPU s`);
        if (afsioDone.has(refLevel)) continue;
        const a = await afsio.read(afsPath, refLevel);
        if (a.md5 !== md5) throw new BenchSetupError(`afsio md5 ${a.md5}, expected ${md5}`);
        a.sample.bytes = SIZE;
        ref.set(refLevel, [...(ref.get(refLevel) ?? []), a.sample]);
        afsioDone.add(refLevel);
        ctx.log(
          `afsio ${refLevel}: ${round(mbps(a.sample))} MB/s, ${round(a.sample.cpuSeconds ?? 0, 2)} CPU s`,
        );
      }
    }

    const rows: BenchRow[] = LEVELS.map(([level, refLevel]) => {
      const s = ours.get(level)!;
      const r = ref.get(refLevel)!;
      return {
        name: `read 256 MiB by FID, ${level}`,
        ours: round(mbps(best(s))),
        reference: round(mbps(best(r))),
        referenceName: `afsio ${refLevel}`,
        unit: 'MB/s',
        higherIsBetter: true,
        goal: 1.5,
        notes:
          `tsafs ${level} (${PARALLEL} calls in flight) vs afsio ${refLevel}` +
          (level === refLevel ? '' : ' (afsio has no auth level)') +
          `; levels seen by the file server (rxdebug); best of ${s.length}/${r.length}; md5 both sides`,
        details: {
          fixture: file,
          md5,
          afsioProbe: afsio.probe,
          oursMBps: s.map((x) => round(mbps(x))),
          afsioMBps: r.map((x) => round(mbps(x))),
        },
      };
    });
    const cpuOf = (s: Sample[]) => Math.min(...s.map((x) => cpuPerGiB(x)!));
    rows.push({
      name: 'client CPU per GiB read, crypt',
      ours: round(cpuOf(ours.get('crypt')!), 2),
      reference: round(cpuOf(ref.get('crypt')!), 2),
      referenceName: 'afsio crypt',
      unit: 'CPU s/GiB',
      higherIsBetter: false,
      goal: 1.0,
      notes: 'user+system; tsafs: process.cpuUsage around the read; afsio: time(1); md5 included',
      details: {
        oursCpuSecondsPerGiB: ours.get('crypt')!.map((x) => round(cpuPerGiB(x)!, 3)),
        afsioCpuSecondsPerGiB: ref.get('crypt')!.map((x) => round(cpuPerGiB(x)!, 3)),
      },
    });
    return rows;
  },
};
