// tsafs quota <path>...: the volume's quota and usage, as `fs listquota` prints them.

import type { VolumeStatus } from '../fs/promises.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson, UsageError } from './output.js';

export function partitionPercentUsed(v: VolumeStatus): number {
  return v.partMaxBlocks > 0
    ? Math.floor(((v.partMaxBlocks - v.partBlocksAvail) * 100) / v.partMaxBlocks)
    : 0;
}

export function quotaJson(path: string, v: VolumeStatus) {
  return {
    path,
    volume: v.name,
    volumeId: v.volumeId,
    quota: v.maxQuota === 0 ? null : v.maxQuota,
    used: v.blocksInUse,
    percentUsed: v.maxQuota > 0 ? Math.floor((v.blocksInUse * 100) / v.maxQuota) : 0,
    partitionPercentUsed: partitionPercentUsed(v),
  };
}

export const command: Command = {
  name: 'quota',
  summary: "the volume's quota and usage in KiB (like fs listquota)",
  usage: 'usage: tsafs quota [--json] <path>...',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    if (positionals.length === 0) throw new UsageError(this.usage);
    const all = [];
    for (const p of positionals) {
      const path = ctx.afsPath(p);
      all.push(quotaJson(path, await ctx.client.fs.volumeStatus(path)));
    }
    if (ctx.json) {
      printJson(all.length === 1 ? all[0] : all);
      return undefined;
    }
    const lines = ['Volume Name                    Quota       Used %Used   Partition'];
    for (const q of all) {
      lines.push(
        `${q.volume.padEnd(25)}${(q.quota === null ? 'no limit' : String(q.quota)).padStart(10)}` +
          `${String(q.used).padStart(11)}${String(q.percentUsed).padStart(5)}%` +
          `${String(q.partitionPercentUsed).padStart(11)}%`,
      );
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return undefined;
  },
};
