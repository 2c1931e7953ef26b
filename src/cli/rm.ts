// tsafs rm [-r] [-f] path...: remove files (and with -r directories). Mount points are removed as
// entries, never descended into, as `fs rmmount` would.

import { parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { UsageError } from './output.js';

const OPTIONS = {
  recursive: { type: 'boolean', short: 'r', describe: 'remove directories and what they hold' },
  R: { type: 'boolean', short: 'R', describe: 'the same as -r' },
  force: { type: 'boolean', short: 'f', describe: 'no error for paths that do not exist' },
} satisfies OptionTable;

export const command: Command = {
  name: 'rm',
  summary: 'remove files (-r directories too, -f ignore missing)',
  usage: 'usage: tsafs rm [-r] [-f] <path>...',
  options: OPTIONS,
  examples: ['tsafs rm -rf /afs/example.org/user/me/tmp'],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, this.usage);
    if (positionals.length === 0 && !values.force) throw new UsageError(this.usage);
    for (const p of positionals)
      await ctx.client.fs.rm(ctx.afsPath(p), {
        recursive: (values.recursive || values.R) ?? false,
        force: values.force ?? false,
      });
    return undefined;
  },
};
