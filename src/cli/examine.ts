// tsafs examine <path>...: FID and volume status (like fs examine).

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { fidString } from './format.js';
import { printJson, UsageError } from './output.js';
import { quotaJson } from './quota.js';

export const command: Command = {
  name: 'examine',
  summary: "a path's FID and its volume's status and quota (like fs examine)",
  usage: 'usage: tsafs examine [--json] <path>...',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    if (positionals.length === 0) throw new UsageError(this.usage);
    const fs = ctx.client.fs;
    const all = [];
    for (const p of positionals) {
      const path = ctx.afsPath(p);
      const st = await fs.stat(path);
      const v = await fs.volumeStatus(path);
      all.push({
        cell: st.cell,
        fid: { ...st.fid },
        ...quotaJson(path, v),
        online: v.online,
        inService: v.inService,
        partBlocksAvail: v.partBlocksAvail,
        partMaxBlocks: v.partMaxBlocks,
        offlineMessage: v.offlineMsg,
        motd: v.motd,
      });
    }
    if (ctx.json) {
      printJson(all.length === 1 ? all[0] : all);
      return undefined;
    }
    const text = all.map((e) =>
      [
        `File ${e.path} (${fidString(e.fid)}) contained in volume ${e.volumeId}`,
        `Volume status for vid = ${e.volumeId} named ${e.volume}${e.online ? '' : ' (offline)'}`,
        ...(e.offlineMessage ? [`Current offline message is ${e.offlineMessage}`] : []),
        ...(e.motd ? [`Current message of the day is ${e.motd}`] : []),
        `Current disk quota is ${e.quota === null ? 'unlimited' : e.quota}`,
        `Current blocks used are ${e.used}`,
        `The partition has ${e.partBlocksAvail} blocks available out of ${e.partMaxBlocks}`,
      ].join('\n'),
    );
    ctx.stdout.write(`${text.join('\n\n')}\n`);
    return undefined;
  },
};
