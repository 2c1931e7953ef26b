// tsafs mv <from> <to>: rename within a volume; into <to> when it is a directory, as mv(1).

import { AfsError } from '../rpc/errors.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './output.js';

export const command: Command = {
  name: 'mv',
  summary: 'rename a file or directory (same volume)',
  usage: 'usage: tsafs mv <from>... <to>',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    if (positionals.length < 2) throw new UsageError(this.usage);
    const fs = ctx.client.fs;
    const sources = positionals.slice(0, -1).map((p) => ctx.afsPath(p));
    const to = ctx.afsPath(positionals.at(-1)!);
    let toDir = false;
    try {
      toDir = (await fs.stat(to)).isDirectory();
    } catch (e) {
      if (!(e instanceof AfsError && e.code === 'ENOENT')) throw e;
    }
    if (sources.length > 1 && !toDir)
      throw new AfsError('ENOTDIR', `ENOTDIR: target '${to}' is not a directory`, { path: to });
    for (const from of sources) {
      const name = from.replace(/\/+$/, '').split('/').at(-1)!;
      await fs.rename(from, toDir ? `${to.replace(/\/+$/, '')}/${name}` : to);
    }
    return undefined;
  },
};
