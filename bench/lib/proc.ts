// Running a command to completion and keeping what it said.
import { spawn } from 'node:child_process';

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `cmd args`; stdout goes to /dev/null when `discardStdout` (bulk data nobody reads). */
export function runProcess(
  cmd: string,
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    discardStdout?: boolean;
    timeoutMs?: number;
    onSpawn?: (pid: number) => void;
  } = {},
): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: ['ignore', opts.discardStdout ? 'ignore' : 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    timer.unref();
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Like runProcess, but hands back the child's pid at once (to watch it while it runs). */
export function spawnProcess(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; discardStdout?: boolean; timeoutMs?: number } = {},
): { pid: number; done: Promise<ProcResult> } {
  let pid = 0;
  const done = runProcess(cmd, args, {
    ...opts,
    onSpawn: (p) => {
      pid = p;
    },
  });
  return { pid, done };
}
