// tsafs mkmount <path> <volume> [--rw] [--cell c]: make a mount point (like fs mkmount). A --cell
// after the command names the cell written into the mount point ("#cell:volume."); before the
// command it is the global option. Making a mount point needs the a right on the directory.

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './output.js';

export const command: Command = {
  name: 'mkmount',
  summary: 'make a mount point for a volume (--rw: a % mount point; --cell: cell-qualified)',
  usage: 'usage: tsafs mkmount <path> <volume> [--rw] [--cell <cell>]',
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { rw: { type: 'boolean' }, cell: { type: 'string' } },
      this.usage,
    );
    if (positionals.length !== 2) throw new UsageError(this.usage);
    await ctx.client.fs.mkmount(ctx.afsPath(positionals[0]!), positionals[1]!, {
      rw: values.rw ?? false,
      ...(values.cell ? { cell: values.cell } : {}),
    });
    return undefined;
  },
};
