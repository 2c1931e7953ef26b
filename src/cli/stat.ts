// tsafs stat [-L] path...: status as stat(1) shows it plus the AFS view: FID, data version,
// volume, owner, and the caller's and anonymous rights.

import type { AfsStats } from '../fs/stats.js';
import { parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { fidString, modeString, rightsText } from './format.js';
import { eachPath, printEach } from './per-path.js';

export function statJson(path: string, s: AfsStats, target?: string): Record<string, unknown> {
  return {
    path,
    type: s.kind,
    size: s.size,
    mode: s.mode,
    modeString: modeString(s.mode),
    nlink: s.nlink,
    owner: s.owner,
    group: s.group,
    author: s.author,
    mtime: s.mtime.toISOString(),
    serverModTime: new Date(s.serverModTime * 1000).toISOString(),
    cell: s.cell,
    fid: { ...s.fid },
    volume: s.volume,
    dataVersion: s.dataVersion.toString(),
    rights: rightsText(s.callerAccess),
    callerAccess: s.callerAccess,
    anonymousRights: rightsText(s.anonymousAccess),
    anonymousAccess: s.anonymousAccess,
    lockCount: s.lockCount,
    ...(target === undefined ? {} : { target }),
  };
}

const OPTIONS = {
  dereference: { type: 'boolean', short: 'L', describe: 'follow a symbolic link and show what it points to' },
} satisfies OptionTable;

export const command: Command = {
  name: 'stat',
  summary: 'file status with FID, data version, volume, owner, rights (-L follows links)',
  usage: 'usage: tsafs stat [-L] [--json] <path>...',
  options: OPTIONS,
  examples: ['tsafs stat --json /afs/example.org/user/me'],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, this.usage);
    const fs = ctx.client.fs;
    const all = await eachPath(ctx, positionals, this.usage, async (path) => {
      const s = values.dereference ? await fs.stat(path) : await fs.lstat(path);
      let target: string | undefined;
      if (s.kind === 'symlink') target = (await fs.readlink(path)) as string;
      else if (s.kind === 'mountpoint') target = await fs.readMountPoint(path);
      return statJson(path, s, target);
    });
    return printEach(
      ctx,
      all,
      (j) => {
        const fid = j.fid as { volume: number; vnode: number; unique: number };
        return [
          `  File: ${j.path}${j.target === undefined ? '' : ` -> ${j.target}`}`,
          `  Type: ${j.type}   Size: ${j.size}   Links: ${j.nlink}`,
          `  Mode: (${((j.mode as number) & 0o7777).toString(8).padStart(4, '0')}/${j.modeString})   Owner: ${j.owner}   Group: ${j.group}   Author: ${j.author}`,
          `Modify: ${j.mtime}   Server: ${j.serverModTime}`,
          `  Cell: ${j.cell}   Volume: ${j.volume}`,
          `   FID: ${fidString(fid)}   Data version: ${j.dataVersion}`,
          `Rights: ${j.rights} (yours)   ${j.anonymousRights} (anonymous)${j.lockCount ? `   Locks: ${j.lockCount}` : ''}`,
        ].join('\n');
      },
      '\n\n',
    );
  },
};
