// OpenAFS's afsio (libafscp, no cache manager) as the reference reader.
//
// afsio's security level (src/venus/afsio.c, src/libafscp/afscp_util.c): it calls
// afscp_AnonymousAuth(1) and, without -clear, leaves libafscp at rxkad *crypt*; libafscp gets a
// Kerberos 5 ticket for afs/<cell> from the default ccache and, failing that, falls back to rxnull.
// -clear selects rxkad clear.
//
// On Debian 12 (openafs 1.8.9-1+deb12u1) afsio is built with MIT's krb5_creds layout but linked to
// Heimdal's libkrb5.so.26, so krb5_free_cred_contents reads past the caller's struct and afsio
// dies with SIGSEGV as soon as krb5_init_context succeeds, ccache or not. We therefore first try
// the default (with a ccache from the test keytab) and, on that crash, run afsio with a krb5.conf
// whose only setting makes Heimdal's krb5_init_context fail (no usable default_etypes): libafscp
// then takes its anonymous branch, i.e. rxnull, the same level tsafs uses.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellEnv } from './cell.js';
import { BenchSetupError } from './cell.js';
import type { Sample } from './measure.js';
import { type ProcResult, runProcess } from './proc.js';

export type AfsioMode = 'default-kerberos' | 'anonymous-rxnull';

export interface AfsioRead {
  sample: Sample;
  md5: string;
  mode: AfsioMode;
}

export const AFSIO_LEVEL: Record<AfsioMode, string> = {
  'default-kerberos': 'rxkad crypt (afsio default, Kerberos ticket from the test keytab)',
  'anonymous-rxnull': 'rxnull (anonymous: Heimdal ABI crash forces libafscp fallback)',
};

export class AfsioReader {
  mode: AfsioMode | undefined;
  /** Why the default was abandoned, for results.json. */
  probe: string | undefined;
  private ccache: string | undefined;

  constructor(
    private readonly env: CellEnv,
    private readonly tmpDir: string,
    private readonly log: (m: string) => void,
  ) {}

  async read(afsPath: string): Promise<AfsioRead> {
    if (this.mode === undefined) {
      const r = await this.attempt('default-kerberos', afsPath);
      if (r.signal === null && r.code === 0) {
        this.mode = 'default-kerberos';
        return this.parse(r, 'default-kerberos', r.seconds);
      }
      this.probe = `afsio with a Kerberos ccache ended with ${r.signal ?? `exit ${r.code}`}: ${lastLine(r.stderr)}`;
      this.log(`${this.probe}; using anonymous (rxnull) afsio`);
      this.mode = 'anonymous-rxnull';
    }
    const r = await this.attempt(this.mode, afsPath);
    if (r.signal !== null || r.code !== 0)
      throw new BenchSetupError(`afsio read failed (${r.signal ?? r.code}): ${lastLine(r.stderr)}`);
    return this.parse(r, this.mode, r.seconds);
  }

  private async attempt(mode: AfsioMode, afsPath: string): Promise<ProcResult & { seconds: number }> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (mode === 'default-kerberos') env.KRB5CCNAME = `FILE:${await this.kinit()}`;
    else env.KRB5_CONFIG = this.anonymousKrb5Conf();
    // /usr/bin/time reports afsio's own CPU; afsio's data goes to /dev/null, its md5 to stderr.
    const t0 = process.hrtime.bigint();
    const r = await runProcess(
      '/usr/bin/time',
      ['-f', 'TIME %e %U %S', 'afsio', 'read', '-file', afsPath, '-md5'],
      { env, discardStdout: true, timeoutMs: 300_000 },
    );
    return { ...r, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  }

  /** Wall clock from spawn to exit (startup included, as for tsafs); CPU from time(1). */
  private parse(r: ProcResult, mode: AfsioMode, seconds: number): AfsioRead {
    const md5 = /^([0-9a-f]{32}) {2}/m.exec(r.stderr)?.[1];
    const t = /^TIME ([\d.]+) ([\d.]+) ([\d.]+)$/m.exec(r.stderr);
    if (!md5 || !t) throw new BenchSetupError(`unexpected afsio output: ${r.stderr.trim()}`);
    return {
      md5,
      mode,
      // bytes: the caller knows the size and checks the content through the md5.
      sample: { bytes: 0, seconds, cpuSeconds: Number(t[2]) + Number(t[3]) },
    };
  }

  private async kinit(): Promise<string> {
    if (this.ccache) return this.ccache;
    const cc = join(this.tmpDir, 'afsio.ccache');
    const r = await runProcess('kinit', ['-k', '-t', this.env.AFS_TEST_KEYTAB, this.env.AFS_TEST_PRINCIPAL], {
      env: { ...process.env, KRB5CCNAME: `FILE:${cc}` },
      timeoutMs: 30_000,
    });
    if (r.code !== 0) throw new BenchSetupError(`kinit failed: ${lastLine(r.stderr)}`);
    this.ccache = cc;
    return cc;
  }

  private anonymousKrb5Conf(): string {
    const path = join(this.tmpDir, 'krb5-no-etypes.conf');
    writeFileSync(path, '[libdefaults]\n\tdefault_etypes = tsafs-bench-no-such-enctype\n');
    return path;
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}
