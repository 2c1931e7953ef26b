// tsafs cat path...: AFS files to standard output, in order.

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './output.js';
import { afsToLocal } from './transfer.js';

export const command: Command = {
  name: 'cat',
  summary: 'print files to standard output',
  usage: 'usage: tsafs cat <path>...',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    if (positionals.length === 0) throw new UsageError(this.usage);
    for (const p of positionals) {
      const path = ctx.afsPath(p);
      const st = await ctx.client.fs.stat(path);
      await afsToLocal(ctx, st, path, '-');
    }
    return undefined;
  },
};
