// tsafs quota <path>...: the volume's quota and usage, as `fs listquota` prints them.

import type { VolumeStatus } from '../fs/promises.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { eachPath, printEach } from './per-path.js';

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
    const all = await eachPath(ctx, positionals, this.usage, async (path) =>
      quotaJson(path, await ctx.client.fs.volumeStatus(path)),
    );
    if (!ctx.json) ctx.stdout.write('Volume Name                    Quota       Used %Used   Partition\n');
    return printEach(
      ctx,
      all,
      (q) =>
        `${q.volume.padEnd(25)}${(q.quota === null ? 'no limit' : String(q.quota)).padStart(10)}` +
        `${String(q.used).padStart(11)}${String(q.percentUsed).padStart(5)}%` +
        `${String(q.partitionPercentUsed).padStart(11)}%`,
    );
  },
};
