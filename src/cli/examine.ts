// tsafs examine <path>...: FID and volume status (like fs examine).

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { fidString } from './format.js';
import { eachPath, printEach } from './per-path.js';
import { quotaJson } from './quota.js';

export const command: Command = {
  name: 'examine',
  summary: "a path's FID and its volume's status and quota (like fs examine)",
  usage: 'usage: tsafs examine [--json] <path>...',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const fs = ctx.client.fs;
    const all = await eachPath(ctx, positionals, this.usage, async (path) => {
      const st = await fs.stat(path);
      const v = await fs.volumeStatus(path);
      return {
        cell: st.cell,
        fid: { ...st.fid },
        ...quotaJson(path, v),
        online: v.online,
        inService: v.inService,
        partBlocksAvail: v.partBlocksAvail,
        partMaxBlocks: v.partMaxBlocks,
        offlineMessage: v.offlineMsg,
        motd: v.motd,
      };
    });
    return printEach(
      ctx,
      all,
      (e) =>
        [
          `File ${e.path} (${fidString(e.fid)}) contained in volume ${e.volumeId}`,
          `Volume status for vid = ${e.volumeId} named ${e.volume}${e.online ? '' : ' (offline)'}`,
          ...(e.offlineMessage ? [`Current offline message is ${e.offlineMessage}`] : []),
          ...(e.motd ? [`Current message of the day is ${e.motd}`] : []),
          `Current disk quota is ${e.quota === null ? 'unlimited' : e.quota}`,
          `Current blocks used are ${e.used}`,
          `The partition has ${e.partBlocksAvail} blocks available out of ${e.partMaxBlocks}`,
        ].join('\n'),
      '\n\n',
    );
  },
};
