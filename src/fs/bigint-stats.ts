// stat(path, { bigint: true }): node's BigIntStats shape — every number a bigint, the times also
// in nanoseconds (AFS keeps whole seconds, so the sub-second parts are 0).

import type { AfsStats } from './stats.js';

const NUMERIC = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks'] as const;
const TIMES = ['atime', 'mtime', 'ctime', 'birthtime'] as const;

export type AfsBigIntStats = Omit<AfsStats, (typeof NUMERIC)[number] | `${(typeof TIMES)[number]}Ms`> & {
  [K in (typeof NUMERIC)[number]]: bigint;
} & {
  [K in `${(typeof TIMES)[number]}Ms` | `${(typeof TIMES)[number]}Ns`]: bigint;
};

export function toBigIntStats(st: AfsStats): AfsBigIntStats {
  const out = Object.create(Object.getPrototypeOf(st) as object) as Record<string, unknown>;
  Object.assign(out, st);
  for (const k of NUMERIC) out[k] = BigInt(st[k]);
  for (const t of TIMES) {
    const ms = st[`${t}Ms`];
    out[`${t}Ms`] = BigInt(Math.floor(ms));
    out[`${t}Ns`] = BigInt(Math.floor(ms)) * 1_000_000n;
  }
  return out as unknown as AfsBigIntStats;
}
