// tsafs whereis <path>...: the file servers holding the volume a path is in (like fs whereis).

import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { eachPath, printEach } from './per-path.js';

export const command: Command = {
  name: 'whereis',
  summary: 'the file servers that hold a path (like fs whereis)',
  usage: 'usage: tsafs whereis [--json] <path>...',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const all = await eachPath(ctx, positionals, this.usage, async (path) => ({
      path,
      ...(await ctx.client.fs.whereis(path)),
    }));
    return printEach(
      ctx,
      all,
      (w) =>
        `File ${w.path} is on host${w.servers.length === 1 ? '' : 's'} ${w.servers.join(' ')} ` +
        `(volume ${w.volume}, ${w.type}, cell ${w.cell})`,
    );
  },
};
