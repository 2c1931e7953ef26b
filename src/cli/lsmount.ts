// tsafs lsmount <path>...: what a mount point leads to (like fs lsmount).

import { parseMountPoint } from '../afs/mountpoint.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson, UsageError } from './output.js';

export const command: Command = {
  name: 'lsmount',
  summary: 'show the volume a mount point names (like fs lsmount)',
  usage: 'usage: tsafs lsmount [--json] <path>...',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    if (positionals.length === 0) throw new UsageError(this.usage);
    const all = [];
    for (const p of positionals) {
      const path = ctx.afsPath(p);
      const contents = await ctx.client.fs.readMountPoint(path);
      const mp = parseMountPoint(contents);
      all.push({ path, contents, type: mp.type, volume: mp.volume, cell: mp.cell ?? null });
    }
    if (ctx.json) printJson(all.length === 1 ? all[0] : all);
    else
      ctx.stdout.write(all.map((m) => `'${m.path}' is a mount point for volume '${m.contents}'\n`).join(''));
    return undefined;
  },
};
