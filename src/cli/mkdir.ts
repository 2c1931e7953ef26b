// tsafs mkdir [-p] dir...: make directories.

import { parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { UsageError } from './output.js';

const OPTIONS = {
  parents: {
    type: 'boolean',
    short: 'p',
    describe: 'make parent directories as needed; no error if it exists',
  },
} satisfies OptionTable;

export const command: Command = {
  name: 'mkdir',
  summary: 'make directories (-p: parents too, no error if existing)',
  usage: 'usage: tsafs mkdir [-p] <dir>...',
  options: OPTIONS,
  examples: ['tsafs mkdir -p /afs/example.org/user/me/a/b/c'],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, this.usage);
    if (positionals.length === 0) throw new UsageError(this.usage);
    for (const p of positionals)
      await ctx.client.fs.mkdir(ctx.afsPath(p), { recursive: values.parents ?? false });
    return undefined;
  },
};
