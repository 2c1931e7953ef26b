// tsafs lsmount <path>...: what a mount point leads to (like fs lsmount).

import { parseMountPoint } from '../afs/mountpoint.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { eachPath, printEach } from './per-path.js';

export const command: Command = {
  name: 'lsmount',
  summary: 'show the volume a mount point names (like fs lsmount)',
  usage: 'usage: tsafs lsmount [--json] <path>...',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const all = await eachPath(ctx, positionals, this.usage, async (path) => {
      const contents = await ctx.client.fs.readMountPoint(path);
      const mp = parseMountPoint(contents);
      return { path, contents, type: mp.type, volume: mp.volume, cell: mp.cell ?? null };
    });
    return printEach(ctx, all, (m) => `'${m.path}' is a mount point for volume '${m.contents}'`);
  },
};
