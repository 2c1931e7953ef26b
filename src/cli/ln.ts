// tsafs ln [-s] <target> <link>: a hard link (same directory's volume) or a symbolic link.

import { parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { UsageError } from './output.js';

const OPTIONS = {
  symbolic: {
    type: 'boolean',
    short: 's',
    describe: 'make a symbolic link (its target is stored as written)',
  },
} satisfies OptionTable;

export const command: Command = {
  name: 'ln',
  summary: 'make a hard link, or with -s a symbolic link',
  usage: 'usage: tsafs ln [-s] <target> <link>',
  options: OPTIONS,
  examples: ['tsafs ln -s ../data /afs/example.org/user/me/data'],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, this.usage);
    if (positionals.length !== 2) throw new UsageError(this.usage);
    const [target, link] = positionals as [string, string];
    // A symlink's target is stored as written (relative stays relative).
    if (values.symbolic) await ctx.client.fs.symlink(target, ctx.afsPath(link));
    else await ctx.client.fs.link(ctx.afsPath(target), ctx.afsPath(link));
    return undefined;
  },
};
