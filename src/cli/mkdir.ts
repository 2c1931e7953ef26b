// tsafs mkdir [-p] dir...: make directories.

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './output.js';

export const command: Command = {
  name: 'mkdir',
  summary: 'make directories (-p: parents too, no error if existing)',
  usage: 'usage: tsafs mkdir [-p] <dir>...',
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { parents: { type: 'boolean', short: 'p' } },
      this.usage,
    );
    if (positionals.length === 0) throw new UsageError(this.usage);
    for (const p of positionals)
      await ctx.client.fs.mkdir(ctx.afsPath(p), { recursive: values.parents ?? false });
    return undefined;
  },
};
