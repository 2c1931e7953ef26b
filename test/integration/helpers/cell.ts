// What integration tests know about the loopback OpenAFS cell (scripts/cell) and the tools
// that referee tsafs against it: the afsfix fixture (libafscp), vos, udebug.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Repository root: this file compiles to dist/test/integration/helpers/. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export interface CellEnv {
  cell: string;
  addr: string;
  mount: string;
  rwDir: string;
  roDir: string;
  privateDir: string;
  rwVolume: string;
  roVolume: string;
  privateVolume: string;
  rootVolume: string;
  confDir: string;
  cellServDb: string;
  thisCell: string;
  keyFile: string;
  fixture: string;
  logDir: string;
}

/** A variable the cell environment must define and does not. */
export class CellEnvError extends Error {
  readonly code = 'ECELLENV';
}

/** A referee tool (fixture, vos, udebug) exited non-zero or printed what we cannot parse. */
export class CellToolError extends Error {
  readonly code = 'ECELLTOOL';
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

const KEYS: Record<keyof CellEnv, string> = {
  cell: 'AFS_CELL',
  addr: 'AFS_ADDR',
  mount: 'AFS_MOUNT',
  rwDir: 'AFS_RW_DIR',
  roDir: 'AFS_RO_DIR',
  privateDir: 'AFS_PRIVATE_DIR',
  rwVolume: 'AFS_RW_VOLUME',
  roVolume: 'AFS_RO_VOLUME',
  privateVolume: 'AFS_PRIVATE_VOLUME',
  rootVolume: 'AFS_ROOT_VOLUME',
  confDir: 'AFS_CONFDIR',
  cellServDb: 'AFS_CELLSERVDB',
  thisCell: 'AFS_THISCELL',
  keyFile: 'AFS_KEYFILE',
  fixture: 'AFS_FIXTURE',
  logDir: 'AFS_LOGDIR',
};

/** Parses `export NAME=value` lines as `scripts/cell env` prints them. */
export function parseEnvAssignments(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1] as string] = (m[2] as string).replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

let cached: Promise<CellEnv> | undefined;

/** The cell's environment: from process.env, or from `bash scripts/cell env` if any is missing. */
export function cellEnv(): Promise<CellEnv> {
  cached ??= (async () => {
    let src: Record<string, string | undefined> = process.env;
    if (Object.values(KEYS).some((k) => !process.env[k])) {
      const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts/cell'), 'env'], { timeout: 30_000 });
      src = { ...parseEnvAssignments(stdout), ...process.env };
    }
    const env = {} as CellEnv;
    for (const [field, name] of Object.entries(KEYS) as [keyof CellEnv, string][]) {
      const v = src[name];
      if (!v) throw new CellEnvError(`${name} is not set and scripts/cell env did not define it`);
      env[field] = v;
    }
    return env;
  })();
  return cached;
}

async function tool(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string }> {
  try {
    const { stdout } = await run(file, args, { timeout: timeoutMs, maxBuffer: 16 << 20 });
    return { stdout };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new CellToolError(`${file} ${args.join(' ')}: ${err.message}`, err.stderr ?? '');
  }
}

/** Runs the afsfix fixture tool (see fixtures/afsfix.c for its commands). */
export async function fixture(args: string[], timeoutMs = 300_000): Promise<{ stdout: string }> {
  return tool((await cellEnv()).fixture, args, timeoutMs);
}

export interface FixtureFile {
  volume: number;
  vnode: number;
  unique: number;
  size: number;
  sha256: string;
}

/** Parses afsfix's `fid=V.N.U ... size=N sha256=HEX` line (write and read print it). */
export function parseFixtureFile(stdout: string): FixtureFile {
  const kv = new Map<string, string>();
  for (const m of stdout.trim().matchAll(/(\w+)=(\S+)/g)) kv.set(m[1] as string, m[2] as string);
  const num = (k: string): number => {
    const v = kv.get(k);
    if (v === undefined || !/^\d+$/.test(v)) throw new CellToolError(`afsfix printed no ${k}`, stdout);
    return Number(v);
  };
  const sha256 = kv.get('sha256');
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new CellToolError('afsfix printed no sha256', stdout);
  return { volume: num('volume'), vnode: num('vnode'), unique: num('unique'), size: num('size'), sha256 };
}

/** Writes a file of `size` deterministic bytes through libafscp and returns its FID and sha256. */
export async function fixtureWrite(path: string, size: number, seed = 0): Promise<FixtureFile> {
  return parseFixtureFile((await fixture(['write', path, String(size), String(seed)])).stdout);
}

/** `vos examine <volume> -localauth`, raw text; `noResolve` prints server addresses, not names. */
export async function vosExamine(volume: string, opts: { noResolve?: boolean } = {}): Promise<string> {
  const args = ['examine', volume, '-localauth', ...(opts.noResolve ? ['-noresolve'] : [])];
  return (await tool('vos', args, 60_000)).stdout;
}

/** `vos listvldb -localauth -noresolve`, raw text. */
export async function vosListVldb(): Promise<string> {
  return (await tool('vos', ['listvldb', '-localauth', '-noresolve'], 60_000)).stdout;
}

/** `udebug <addr> <port>`, raw text (7003 vlserver, 7002 ptserver). */
export async function udebug(port: number): Promise<string> {
  return (await tool('udebug', [(await cellEnv()).addr, String(port)], 30_000)).stdout;
}

/** sha256 of a file, streamed (256 MiB fixtures must not be read into memory at once). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
