// tsafs mkmount <path> <volume> [--rw] [--cell c]: make a mount point (like fs mkmount). A --cell
// after the command names the cell written into the mount point ("#cell:volume."); before the
// command it is the global option. Making a mount point needs the a right on the directory.

import { parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { UsageError } from './output.js';

const OPTIONS = {
  rw: { type: 'boolean', describe: 'a read-write (%) mount point' },
  cell: { type: 'string', arg: '<cell>', describe: "the volume's cell (a cell-qualified mount point)" },
} satisfies OptionTable;

export const command: Command = {
  name: 'mkmount',
  summary: 'make a mount point for a volume (--rw: a % mount point; --cell: cell-qualified)',
  usage: 'usage: tsafs mkmount <path> <volume> [--rw] [--cell <cell>]',
  options: OPTIONS,
  examples: ['tsafs mkmount /afs/.example.org/proj/x proj.x --rw'],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, this.usage);
    if (positionals.length !== 2) throw new UsageError(this.usage);
    await ctx.client.fs.mkmount(ctx.afsPath(positionals[0]!), positionals[1]!, {
      rw: values.rw ?? false,
      ...(values.cell ? { cell: values.cell } : {}),
    });
    return undefined;
  },
};
