// OpenAFS's afsio (libafscp, no cache manager) as the reference reader, at a chosen level.
//
// afsio's level (src/venus/afsio.c, src/libafscp/afscp_util.c): rxkad crypt by default (-crypt),
// rxkad clear with -clear, each with a Kerberos 5 ticket for afs/<cell> from the default ccache;
// libafscp falls back to rxnull when Kerberos cannot start. afsio has no rxkad "auth" level.
//
// Debian 12's afsio (openafs 1.8.9-1+deb12u1) is compiled for MIT's krb5_creds layout but linked
// to Heimdal's libkrb5.so.26, so with a ccache it dies with SIGSEGV in krb5_free_cred_contents
// (checked on every run: `probe`); libafscp also asks for a single-DES session key, which the MIT
// 1.20 KDC no longer issues. afsio-krb5-shim.c, preloaded, translates the layouts and gives
// libafscp the rxkad-kdf key of the real session key (what aklog does), so afsio runs at crypt and
// clear with the test user's ticket. For rxnull, a krb5.conf that makes krb5_init_context fail
// sends libafscp down its anonymous branch. The level every run had is read from the file
// server (rx-level.ts), never assumed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CellEnv } from './cell.js';
import { BenchSetupError } from './cell.js';
import type { Sample } from './measure.js';
import { type ProcResult, runProcess, spawnProcess } from './proc.js';
import { type ReadLevel, watchLevel } from './rx-level.js';

export type AfsioLevel = Exclude<ReadLevel, 'auth'>;

export interface AfsioRead {
  sample: Sample;
  md5: string;
  /** The level the file server saw on afsio's connection. */
  observed: ReadLevel | string;
}

const SHIM_SOURCE = fileURLToPath(new URL('../../../bench/lib/afsio-krb5-shim.c', import.meta.url));
const LIBDIR = '/usr/lib/x86_64-linux-gnu';

export class AfsioReader {
  /** What plain afsio (no shim) did with a ccache, for results.json. */
  probe: string | undefined;
  private shim: string | undefined;
  private ccache: string | undefined;

  constructor(
    private readonly env: CellEnv,
    private readonly tmpDir: string,
    private readonly log: (m: string) => void,
  ) {}

  async read(afsPath: string, level: AfsioLevel): Promise<AfsioRead> {
    if (level !== 'rxnull' && !this.shim) await this.setup(afsPath);
    const env: NodeJS.ProcessEnv = { ...process.env };
    const args = ['-f', 'TIME %e %U %S', 'afsio', 'read', '-file', afsPath, '-md5'];
    if (level === 'rxnull') env.KRB5_CONFIG = this.anonymousKrb5Conf();
    else {
      env.KRB5CCNAME = `FILE:${this.ccache}`;
      env.LD_PRELOAD = this.shim;
      args.push(level === 'clear' ? '-clear' : '-crypt');
    }
    // /usr/bin/time reports afsio's own CPU; afsio's data goes to /dev/null, its md5 to stderr.
    const t0 = process.hrtime.bigint();
    const child = spawnProcess('/usr/bin/time', args, { env, discardStdout: true, timeoutMs: 600_000 });
    const seen = watchLevel(child.pid, this.env.AFS_ADDR, child.done, 'afsio');
    const r = await child.done;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.signal !== null || r.code !== 0)
      throw new BenchSetupError(
        `afsio read at ${level} failed (${r.signal ?? r.code}): ${lastLine(r.stderr)}`,
      );
    const observed = await seen;
    if (observed !== level)
      throw new BenchSetupError(`afsio asked for ${level}, the file server saw ${observed}`);
    return { ...parse(r, seconds), observed };
  }

  /** Build the shim, get a ccache from the test keytab, and record what plain afsio does with it. */
  private async setup(afsPath: string): Promise<void> {
    const cc = join(this.tmpDir, 'afsio.ccache');
    const k = await runProcess('kinit', ['-k', '-t', this.env.AFS_TEST_KEYTAB, this.env.AFS_TEST_PRINCIPAL], {
      env: { ...process.env, KRB5CCNAME: `FILE:${cc}` },
      timeoutMs: 30_000,
    });
    if (k.code !== 0) throw new BenchSetupError(`kinit failed: ${lastLine(k.stderr)}`);
    this.ccache = cc;
    const plain = await runProcess('afsio', ['read', '-file', afsPath, '-md5'], {
      env: { ...process.env, KRB5CCNAME: `FILE:${cc}` },
      discardStdout: true,
      timeoutMs: 600_000,
    });
    this.probe = `plain afsio with the test user's ccache: ${plain.signal ?? `exit ${plain.code}`}`;
    this.log(this.probe);
    const so = join(this.tmpDir, 'afsio-krb5-shim.so');
    const c = await runProcess(
      'cc',
      [
        '-O2',
        '-shared',
        '-fPIC',
        '-o',
        so,
        SHIM_SOURCE,
        `${LIBDIR}/libcrypto.so.3`,
        `${LIBDIR}/libkrb5.so.26`,
        '-ldl',
      ],
      { timeoutMs: 60_000 },
    );
    if (c.code !== 0) throw new BenchSetupError(`building the afsio shim failed: ${c.stderr.trim()}`);
    this.shim = so;
  }

  private anonymousKrb5Conf(): string {
    const path = join(this.tmpDir, 'krb5-no-etypes.conf');
    writeFileSync(path, '[libdefaults]\n\tdefault_etypes = tsafs-bench-no-such-enctype\n');
    return path;
  }
}

/** Wall clock from spawn to exit (startup included, as for tsafs); CPU from time(1). */
function parse(r: ProcResult, seconds: number): { sample: Sample; md5: string } {
  const md5 = /^([0-9a-f]{32}) {2}/m.exec(r.stderr)?.[1];
  const t = /^TIME ([\d.]+) ([\d.]+) ([\d.]+)$/m.exec(r.stderr);
  if (!md5 || !t) throw new BenchSetupError(`unexpected afsio output: ${r.stderr.trim()}`);
  // bytes: the caller knows the size and checks the content through the md5.
  return { md5, sample: { bytes: 0, seconds, cpuSeconds: Number(t[2]) + Number(t[3]) } };
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}
