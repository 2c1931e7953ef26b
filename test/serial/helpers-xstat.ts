// The file server's own counters, read with OpenAFS's xstat_fs_test: per-opcode RPC counts
// (collection 2) and callback counts (collection 3). Proof from outside tsafs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function xstat(addr: string, coll: number): Promise<string> {
  const { stdout } = await run('xstat_fs_test', [addr, '-collID', String(coll), '-onceonly'], {
    timeout: 30_000,
  });
  return stdout;
}

/** RPC counts by name ("FetchData", "FetchStatus", ...) from collection 2. */
export async function rpcCounts(addr: string): Promise<Record<string, number>> {
  const text = await xstat(addr, 2);
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^\s*(\w+): (\d+) ops/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Callback counters ("DeleteAllCallBacks", "nCBs", "BreakCallBacks", ...) from collection 3. */
export async function callbackCounts(addr: string): Promise<Record<string, number>> {
  const text = await xstat(addr, 3);
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^\s*(\d+) (\w+)\s*$/gm)) out[m[2]!] = Number(m[1]);
  return out;
}
