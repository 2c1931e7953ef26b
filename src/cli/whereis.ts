// tsafs whereis <path>...: the file servers holding the volume a path is in (like fs whereis).

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson, UsageError } from './output.js';

export const command: Command = {
  name: 'whereis',
  summary: 'the file servers that hold a path (like fs whereis)',
  usage: 'usage: tsafs whereis [--json] <path>...',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    if (positionals.length === 0) throw new UsageError(this.usage);
    const all = [];
    for (const p of positionals) {
      const path = ctx.afsPath(p);
      all.push({ path, ...(await ctx.client.fs.whereis(path)) });
    }
    if (ctx.json) printJson(all.length === 1 ? all[0] : all);
    else
      ctx.stdout.write(
        all
          .map(
            (w) =>
              `File ${w.path} is on host${w.servers.length === 1 ? '' : 's'} ${w.servers.join(' ')} ` +
              `(volume ${w.volume}, ${w.type}, cell ${w.cell})\n`,
          )
          .join(''),
      );
    return undefined;
  },
};
