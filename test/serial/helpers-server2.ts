// The cell's second file server (scripts/cell server2): staging its faults, telling its
// processes from server 1's, and reading its own Rx counters (OpenAFS rxdebug) to prove it was
// the server serving a read when the fault struck.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEnvAssignments, REPO_ROOT } from '../integration/helpers/cell.js';

const run = promisify(execFile);
const CELL_SCRIPT = join(REPO_ROOT, 'scripts/cell');

/** What scripts/cell env says about the two-server staging. */
export interface Server2Env {
  addr2: string;
  repVolume: string;
  repDir: string;
  repFile: string;
  repSize: number;
  repSha256: string;
  solo2Volume: string;
  solo2Dir: string;
}

export async function server2Env(): Promise<Server2Env> {
  const { stdout } = await run('bash', [CELL_SCRIPT, 'env'], { timeout: 30_000 });
  const e = { ...parseEnvAssignments(stdout), ...process.env };
  const need = (k: string): string => {
    const v = e[k];
    if (!v) throw new Error(`${k} is not set: scripts/cell start has not set up server 2`);
    return v;
  };
  return {
    addr2: need('AFS_ADDR2'),
    repVolume: need('AFS_REP_VOLUME'),
    repDir: need('AFS_REP_DIR'),
    repFile: need('AFS_REP_FILE'),
    repSize: Number(need('AFS_REP_SIZE')),
    repSha256: need('AFS_REP_SHA256'),
    solo2Volume: need('AFS_SOLO2_VOLUME'),
    solo2Dir: need('AFS_SOLO2_DIR'),
  };
}

export type Server2Cmd = 'start' | 'stop' | 'kill' | 'sigstop' | 'sigcont';

/** `scripts/cell server2 <cmd>`; start waits until server 2 serves its volumes again. */
export async function server2(cmd: Server2Cmd): Promise<void> {
  await run('bash', [CELL_SCRIPT, 'server2', cmd], { timeout: 300_000 });
}

/** Server 2 back and serving, whatever a test did to it (for `finally`). */
export async function restoreServer2(): Promise<void> {
  await server2('sigcont');
  await server2('start');
}

const MARKS = { 1: 'TSAFS_CELL_OWNER=scripts-cell', 2: 'TSAFS_CELL_OWNER=scripts-cell-server2' } as const;

/** Pid of server `n`'s process named `exe` (e.g. "dafileserver"). */
export async function serverPid(n: 1 | 2, exe: string): Promise<number> {
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // comm first: reading the environment of a process stuck in a FUSE read blocks
      if ((await readFile(`/proc/${d}/comm`, 'latin1')).trim() !== exe) continue;
      const env = (await readFile(`/proc/${d}/environ`, 'latin1')).split('\0');
      if (env.includes(MARKS[n])) return Number(d);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  throw new Error(`no ${exe} of server ${n} is running`);
}

/** Data packets the Rx endpoint at addr:port has sent (rxdebug -rxstats, the server's count). */
export async function rxDataPacketsSent(addr: string, port = 7000): Promise<number> {
  const { stdout } = await run('rxdebug', [addr, String(port), '-rxstats', '-noconns'], { timeout: 10_000 });
  const m = /packets sent: data (\d+)/.exec(stdout);
  if (!m) throw new Error(`rxdebug ${addr} ${port} printed no data packet count`);
  return Number(m[1]);
}
