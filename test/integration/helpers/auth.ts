// What the rxkad/Kerberos acceptance tests share: the tsafs CLI run as a child with its own token
// store and ccache, clients for each identity, PTS ids from `pts`, and a scratch directory whose
// ACL lets system:authuser write and system:anyuser only read.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { LevelName } from '../../../src/auth/identity.js';
import { AfsClient, type AfsClientOptions } from '../../../src/client.js';
import { type CellEnv, REPO_ROOT } from './cell.js';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs dist/src/cli/main.js with `env` added and `input` on stdin (a pipe: no TTY). */
export function runTsafs(
  args: string[],
  opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    timer.unref();
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A private token store and an empty ccache for one test file (nothing leaks into ~/.config). */
export interface AuthSandbox {
  dir: string;
  tokens: string;
  ccache: string;
  /** Variables for a tsafs child: TSAFS_TOKENS, KRB5CCNAME. */
  env: Record<string, string>;
  remove(): Promise<void>;
}

export async function authSandbox(): Promise<AuthSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'tsafs-auth-'));
  const tokens = join(dir, 'tokens.json');
  const ccache = join(dir, 'krb5cc');
  return {
    dir,
    tokens,
    ccache,
    env: { TSAFS_TOKENS: tokens, KRB5CCNAME: `FILE:${ccache}` },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export function cellClient(env: CellEnv, auth: AfsClientOptions['auth']): AfsClient {
  return new AfsClient({ cellServDB: env.cellServDb, cell: env.cell, auth });
}

export function localAuthClient(env: CellEnv, level: LevelName = 'crypt', user = 'admin'): AfsClient {
  return cellClient(env, { localauth: { user, confDir: dirname(env.keyFile) }, level });
}

/** The PTS id of a user, from `pts examine -localauth` (the server's view, not ours). */
export async function ptsId(user: string): Promise<number> {
  const { stdout } = await run('pts', ['examine', user, '-localauth'], { timeout: 30_000 });
  const m = /\bid: (-?\d+)/.exec(stdout);
  if (!m) throw new Error(`pts examine ${user} printed no id`);
  return Number(m[1]);
}

/** `rxdebug <addr> <port> -allconnections`, parsed into connection blocks. */
export interface RxdebugConn {
  host: string;
  port: number;
  securityIndex: number;
  server: boolean;
  /** "clear" | "auth" | "crypt" from the rxkad line, when there is one. */
  level?: string;
  authenticated: boolean;
  text: string;
}

export async function rxdebugConnections(addr: string, port: number): Promise<RxdebugConn[]> {
  // One debug round trip per server connection: a busy cell's file server takes tens of seconds.
  const { stdout } = await run('rxdebug', [addr, String(port), '-allconnections'], {
    timeout: 180_000,
    maxBuffer: 16 << 20,
  });
  const blocks = stdout.split(/^(?=Connection from host )/m).slice(1);
  return blocks.map((text) => {
    const head = /^Connection from host (\S+), port (\d+)/.exec(text);
    const sec = /security index (\d+), (server|client) conn/.exec(text);
    const rxkad = /rxkad: level (\w+), flags ([^,\n]*)/.exec(text);
    return {
      host: head?.[1] ?? '',
      port: Number(head?.[2] ?? -1),
      securityIndex: Number(sec?.[1] ?? -1),
      server: sec?.[2] === 'server',
      level: rxkad?.[1],
      authenticated: /\bauthenticated\b/.test(rxkad?.[2] ?? ''),
      text,
    };
  });
}
