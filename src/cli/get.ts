// tsafs get [-r] <afs-path> <local-path|->: copy from AFS (like cp). With -r every entry name the
// server sends is checked before it becomes a local path (names.ts); refused names are reported
// and skipped, and the command then exits 1.

import { lstat, mkdir, stat, symlink } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AfsFileKind } from '../fs/stats.js';
import { AfsError } from '../rpc/errors.js';
import { COPY_OPTIONS, parseCopyArgs } from './args.js';
import type { CliContext, Command } from './command.js';
import { childPath, fidString } from './format.js';
import { localChildPath, printableName, UnsafeNameError } from './names.js';
import { describeError, EXIT, printJson, UsageError } from './output.js';
import { afsToLocal } from './transfer.js';

export interface TreeCopyReport {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  refused: string[];
  failed: string[];
}

async function isLocalDir(p: string | Buffer): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** Make a local directory we are about to fill; an existing one must be a real directory. */
async function makeLocalDir(p: Buffer): Promise<void> {
  try {
    await mkdir(p, { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Not stat: a symlink here (say, from a duplicate entry name) must not be followed.
    if (!(await lstat(p)).isDirectory())
      throw new AfsError('EEXIST', `EEXIST: ${printableName(p)} exists and is not a directory`);
  }
}

/** Copy the AFS directory `afsDir` into the local directory `localDir` (created if missing). */
export async function getTree(ctx: CliContext, afsDir: Buffer, localDir: Buffer): Promise<TreeCopyReport> {
  const fs = ctx.client.fs;
  const report: TreeCopyReport = { files: 0, directories: 0, symlinks: 0, bytes: 0, refused: [], failed: [] };
  const visited = new Set<string>();
  const walk = async (dir: Buffer, local: Buffer): Promise<void> => {
    const st = await fs.stat(dir);
    const key = `${st.cell}:${fidString(st.fid)}`;
    if (visited.has(key)) {
      ctx.warn(`${printableName(dir)}: directory already copied (a mount point loop), skipped`);
      return;
    }
    visited.add(key);
    await makeLocalDir(local);
    report.directories++;
    const entries = await fs.readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    for (const e of entries) {
      let target: Buffer;
      try {
        target = localChildPath(local, e.name);
      } catch (err) {
        if (!(err instanceof UnsafeNameError)) throw err;
        ctx.warn(`${printableName(dir)}: ${err.message}`);
        report.refused.push(printableName(e.name));
        continue;
      }
      const src = childPath(dir, e.name);
      try {
        let kind: AfsFileKind = e.kind;
        if (kind === 'unknown') kind = (await fs.lstat(src)).kind;
        if (kind === 'directory' || kind === 'mountpoint') await walk(src, target);
        else if (kind === 'symlink') {
          await symlink((await fs.readlink(src, { encoding: 'buffer' })) as Buffer, target);
          report.symlinks++;
        } else if (kind === 'file') {
          const fst = await fs.lstat(src);
          report.bytes += await afsToLocal(ctx, fst, src, target, {
            noFollow: true,
            mode: fst.mode & 0o777,
          });
          report.files++;
        } else throw new AfsError('EINVAL', 'EINVAL: not a file, directory or symlink');
      } catch (err) {
        ctx.warn(`${printableName(src)}: ${describeError(err)}`);
        report.failed.push(printableName(src));
      }
    }
  };
  await walk(afsDir, localDir);
  return report;
}

export const command: Command = {
  name: 'get',
  summary: 'copy from AFS to a local file or directory (- = stdout)',
  usage: 'usage: tsafs get [-r] <afs-path> <local-path|->',
  options: COPY_OPTIONS,
  examples: [
    'tsafs get /afs/example.org/user/me/report.pdf .',
    'tsafs get -r /afs/example.org/proj/src ./src',
    'tsafs get /afs/example.org/big.iso - | sha256sum',
  ],
  async run(ctx, args) {
    const { recursive, from, to: dest } = parseCopyArgs(args, this.usage);
    const src = ctx.afsPath(from);
    const st = await ctx.client.fs.stat(src);
    if (st.isDirectory()) {
      if (!recursive)
        throw new AfsError('EISDIR', `EISDIR: ${src} is a directory (use get -r)`, { path: src });
      if (dest === '-') throw new UsageError('a directory cannot go to standard output');
      const name = basename(src.replace(/\/+$/, ''));
      const into = (await isLocalDir(dest)) ? localChildPath(dest, name) : Buffer.from(dest);
      const r = await getTree(ctx, Buffer.from(src), into);
      if (ctx.json) printJson({ source: src, destination: into.toString(), ...r });
      return r.refused.length || r.failed.length ? EXIT.FAILURE : EXIT.OK;
    }
    const to = dest !== '-' && (await isLocalDir(dest)) ? localChildPath(dest, basename(src)) : dest;
    const bytes = await afsToLocal(ctx, st, src, to, { mode: st.mode & 0o777 });
    if (ctx.json) printJson({ source: src, destination: to.toString(), bytes });
    return undefined;
  },
};
