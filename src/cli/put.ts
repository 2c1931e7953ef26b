// tsafs put [-r] <local-path|-> <afs-path>: copy into AFS (like cp); `-` reads standard input.

import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AfsError } from '../rpc/errors.js';
import { COPY_OPTIONS, parseCopyArgs } from './args.js';
import type { CliContext, Command } from './command.js';
import { childPath } from './format.js';
import { printableName, UnsafeNameError, unsafeNameReason } from './names.js';
import { describeError, EXIT, printJson } from './output.js';
import { localToAfs } from './transfer.js';

export interface PutReport {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  failed: string[];
}

/** Is this AFS path an existing directory (false when it does not exist)? */
async function isAfsDir(ctx: CliContext, p: string): Promise<boolean> {
  try {
    return (await ctx.client.fs.stat(p)).isDirectory();
  } catch (e) {
    if (e instanceof AfsError && e.code === 'ENOENT') return false;
    throw e;
  }
}

async function makeAfsDir(ctx: CliContext, p: Buffer, mode: number): Promise<void> {
  try {
    await ctx.client.fs.mkdir(p, { mode });
  } catch (e) {
    if (!(e instanceof AfsError && e.code === 'EEXIST')) throw e;
    if (!(await ctx.client.fs.lstat(p)).isDirectory())
      throw new AfsError('EEXIST', `EEXIST: ${printableName(p)} exists and is not a directory`);
  }
}

/** Copy the local directory `localDir` to the AFS directory `afsDir` (created if missing). */
export async function putTree(ctx: CliContext, localDir: Buffer, afsDir: Buffer): Promise<PutReport> {
  const report: PutReport = { files: 0, directories: 0, symlinks: 0, bytes: 0, failed: [] };
  const walk = async (local: Buffer, afs: Buffer, mode: number): Promise<void> => {
    await makeAfsDir(ctx, afs, mode);
    report.directories++;
    const entries = (await readdir(local, { withFileTypes: true, encoding: 'buffer' })) as Dirent<Buffer>[];
    for (const e of entries) {
      const reason = unsafeNameReason(e.name);
      if (reason) {
        ctx.warn(`${printableName(local)}: ${new UnsafeNameError(e.name, reason).message}`);
        report.failed.push(printableName(e.name));
        continue;
      }
      const src = childPath(local, e.name);
      const dst = childPath(afs, e.name);
      try {
        const st = await lstat(src);
        if (st.isDirectory()) await walk(src, dst, st.mode & 0o777);
        else if (st.isSymbolicLink()) {
          await ctx.client.fs.symlink(await readlink(src, { encoding: 'buffer' }), dst);
          report.symlinks++;
        } else if (st.isFile()) {
          report.bytes += await localToAfs(ctx, src, dst, st.size, st.mode & 0o777);
          report.files++;
        } else throw new AfsError('EINVAL', 'EINVAL: not a file, directory or symlink, skipped');
      } catch (err) {
        ctx.warn(`${printableName(src)}: ${describeError(err)}`);
        report.failed.push(printableName(src));
      }
    }
  };
  await walk(localDir, afsDir, (await lstat(localDir)).mode & 0o777);
  return report;
}

export const command: Command = {
  name: 'put',
  summary: 'copy a local file or directory (- = stdin) into AFS',
  usage: 'usage: tsafs put [-r] <local-path|-> <afs-path>',
  options: COPY_OPTIONS,
  examples: [
    'tsafs put notes.txt /afs/example.org/user/me/',
    'tsafs put -r ./site /afs/example.org/www/site',
    'tar c dir | tsafs put - /afs/example.org/user/me/dir.tar',
  ],
  async run(ctx, args) {
    const { recursive, from: src, to } = parseCopyArgs(args, this.usage);
    let dest = ctx.afsPath(to);
    if (src === '-') {
      const bytes = await localToAfs(ctx, '-', dest, undefined);
      if (ctx.json) printJson({ source: '-', destination: dest, bytes });
      return undefined;
    }
    const st = await stat(src); // a symlink named on the line is followed, as cp does
    const intoDir = await isAfsDir(ctx, dest);
    if (intoDir) dest = `${dest.replace(/\/+$/, '')}/${basename(src)}`;
    if (st.isDirectory()) {
      if (!recursive)
        throw new AfsError('EISDIR', `EISDIR: ${src} is a directory (use put -r)`, { path: src });
      const r = await putTree(ctx, Buffer.from(src), Buffer.from(dest));
      if (ctx.json) printJson({ source: src, destination: dest, ...r });
      return r.failed.length ? EXIT.FAILURE : EXIT.OK;
    }
    const bytes = await localToAfs(ctx, src, dest, st.size, st.mode & 0o777);
    if (ctx.json) printJson({ source: src, destination: dest, bytes });
    return undefined;
  },
};
