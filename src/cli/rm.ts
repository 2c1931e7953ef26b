// tsafs rm [-r] [-f] path...: remove files (and with -r directories). Mount points are removed as
// entries, never descended into, as `fs rmmount` would.

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './output.js';

export const command: Command = {
  name: 'rm',
  summary: 'remove files (-r directories too, -f ignore missing)',
  usage: 'usage: tsafs rm [-r] [-f] <path>...',
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        recursive: { type: 'boolean', short: 'r' },
        R: { type: 'boolean', short: 'R' },
        force: { type: 'boolean', short: 'f' },
      },
      this.usage,
    );
    if (positionals.length === 0 && !values.force) throw new UsageError(this.usage);
    for (const p of positionals)
      await ctx.client.fs.rm(ctx.afsPath(p), {
        recursive: (values.recursive || values.R) ?? false,
        force: values.force ?? false,
      });
    return undefined;
  },
};
