// copyFile and cp between AFS paths, within a cell or across cells. The source tree is walked by
// FID (tree.ts: each directory's own listing, unsafe names refused), file bytes fetched by FID;
// the destination is written by path below the destination the caller named, each component a
// name already checked to be one entry. Errors are node:fs's (ERR_FS_CP_* for cp's own rules).

import { posix } from 'node:path';
import { MAX_LINK_BYTES } from '../afs/path.js';
import { AfsError } from '../rpc/errors.js';
import type { AFSFid } from '../rpc/types.js';
import type { FsContext } from './context.js';
import { fsError } from './errors.js';
import { printableName, type RefusedName } from './names.js';
import type { AfsStats } from './stats.js';
import { type DirPlace, listFid } from './tree.js';

export const COPYFILE_EXCL = 1;
export const COPYFILE_FICLONE = 2;
export const COPYFILE_FICLONE_FORCE = 4;

/** What copying needs from client.fs. */
export interface CopyHost {
  lstat(p: string, o?: { signal?: AbortSignal }): Promise<AfsStats>;
  stat(p: string, o?: { signal?: AbortSignal }): Promise<AfsStats>;
  mkdir(p: string, o?: { mode?: number; signal?: AbortSignal }): Promise<unknown>;
  symlink(target: Buffer, p: string, o?: { signal?: AbortSignal }): Promise<void>;
  writeFile(
    p: string,
    data: Uint8Array,
    o?: { flag?: string; mode?: number; signal?: AbortSignal },
  ): Promise<void>;
  utimes(p: string, atime: Date, mtime: Date, o?: { signal?: AbortSignal }): Promise<void>;
  unlink(p: string, o?: { signal?: AbortSignal }): Promise<void>;
  /** The directory at `p` as a place to list (volume instance known). */
  dirPlace(p: string, signal?: AbortSignal): Promise<DirPlace>;
}

/** A file's whole content, by FID. */
export async function readFid(
  ctx: FsContext,
  cellName: string,
  fid: AFSFid,
  path: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  const cell = await ctx.cell(cellName);
  const parts: Buffer[] = [];
  for (let attempt = 0; ; attempt++) {
    parts.length = 0;
    const r = await ctx.files.fetchData(cell, fid, 0, Number.MAX_SAFE_INTEGER, (c) => void parts.push(c), {
      syscall: 'read',
      path,
      signal,
    });
    // A file changed between the calls of a parallel read gives mixed versions: read it again.
    if (!(r as { dvChanged?: boolean }).dvChanged || attempt === 2) break;
  }
  return Buffer.concat(parts);
}

async function missing(host: CopyHost, p: string, signal?: AbortSignal): Promise<AfsStats | undefined> {
  try {
    return await host.lstat(p, { signal });
  } catch (e) {
    if (e instanceof AfsError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** copyFile(src, dest, mode): the bytes and the mode bits; COPYFILE_EXCL refuses an existing dest. */
export async function copyFile(
  host: CopyHost,
  ctx: FsContext,
  src: string,
  dest: string,
  mode: number,
  signal?: AbortSignal,
): Promise<void> {
  let st: AfsStats;
  try {
    st = await host.stat(src, { signal });
  } catch (e) {
    if (e instanceof AfsError && e.code === 'ENOENT')
      throw fsError('ENOENT', 'no such file or directory', 'copyfile', src, dest);
    throw e;
  }
  if (st.isDirectory()) throw fsError('EISDIR', 'illegal operation on a directory', 'copyfile', src, dest);
  if (mode & COPYFILE_FICLONE_FORCE)
    throw fsError('ENOTSUP', 'operation not supported on socket', 'copyfile', src, dest);
  const data = await readFid(ctx, st.cell, st.fid, src, signal);
  try {
    await host.writeFile(dest, data, {
      flag: mode & COPYFILE_EXCL ? 'wx' : 'w',
      mode: st.mode & 0o7777,
      signal,
    });
  } catch (e) {
    if (e instanceof AfsError && e.code !== undefined && /^E[A-Z]+$/.test(e.code))
      throw fsError(
        e.code,
        e.message.replace(/^[A-Z]+: /, '').replace(/, [a-z_]+ '.*$/s, ''),
        'copyfile',
        src,
        dest,
      );
    throw e;
  }
}

export interface CpOptions {
  recursive?: boolean;
  force?: boolean;
  errorOnExist?: boolean;
  dereference?: boolean;
  preserveTimestamps?: boolean;
  verbatimSymlinks?: boolean;
  mode?: number;
  filter?: (src: string, dest: string) => boolean | Promise<boolean>;
  signal?: AbortSignal;
}

function cpError(code: string, message: string, path: string, syscall = 'cp'): AfsError {
  return Object.assign(new AfsError(code, `${message} ${path}`, { syscall, path }), {
    info: { message, path, syscall, code: 'EINVAL', errno: 22 },
  });
}

const join = (d: string, n: Buffer) => `${d.replace(/\/+$/, '')}/${n.toString()}`;

/** cp(src, dest, options) as node:fs/promises does it, on AFS. */
export async function cp(
  host: CopyHost,
  ctx: FsContext,
  src: string,
  dest: string,
  o: CpOptions,
): Promise<void> {
  const force = o.force ?? true;
  const signal = o.signal;
  if (o.filter && !(await o.filter(src, dest))) return;
  const st = o.dereference ? await host.stat(src, { signal }) : await host.lstat(src, { signal });
  const dst = await missing(host, dest, signal);
  if (dst && dst.cell === st.cell && dst.fid.vnode === st.fid.vnode && dst.fid.volume === st.fid.volume)
    throw cpError(
      'ERR_FS_CP_EINVAL',
      'Invalid src or dest: cp returned EINVAL (src and dest cannot be the same)',
      dest,
    );
  if (st.isDirectory()) {
    if (!o.recursive)
      throw cpError(
        'ERR_FS_EISDIR',
        `Recursive option is required to copy a directory: cp returned EISDIR (${src} is a directory (not copied))`,
        src,
      );
    if (dst && !dst.isDirectory())
      throw cpError(
        'ERR_FS_CP_DIR_TO_NON_DIR',
        `Cannot overwrite non-directory with directory: cp returned ENOTDIR (cannot overwrite non-directory ${dest} with directory ${src})`,
        dest,
      );
    const s = src.replace(/\/+$/, '');
    if (`${dest.replace(/\/+$/, '')}/`.startsWith(`${s}/`))
      throw cpError(
        'ERR_FS_CP_EINVAL',
        `Invalid src or dest: cp returned EINVAL (cannot copy ${src} to a subdirectory of self ${dest})`,
        dest,
      );
  } else if (dst?.isDirectory())
    throw cpError(
      'ERR_FS_CP_NON_DIR_TO_DIR',
      `Cannot overwrite directory with non-directory: cp returned EISDIR (cannot overwrite directory ${dest} with non-directory ${src})`,
      dest,
    );
  const refused: { dir: string; r: RefusedName[] }[] = [];
  await copyOne(host, ctx, src, dest, st, dst, { ...o, force }, refused);
  if (refused.length > 0) {
    const list = refused
      .map((x) => `in '${x.dir}': ${x.r.map((r) => `${printableName(r.name)} (${r.reason})`).join(', ')}`)
      .join('; ');
    throw Object.assign(
      new AfsError(
        'EINVAL',
        `EINVAL: entries not copied, their names do not name one entry ${list}, cp '${src}' -> '${dest}'`,
        {
          syscall: 'cp',
          path: src,
        },
      ),
      { dest, refused },
    );
  }
}

async function copyOne(
  host: CopyHost,
  ctx: FsContext,
  src: string,
  dest: string,
  st: AfsStats,
  dst: AfsStats | undefined,
  o: CpOptions & { force: boolean },
  refused: { dir: string; r: RefusedName[] }[],
): Promise<void> {
  const signal = o.signal;
  if (st.isDirectory()) {
    if (!dst) await host.mkdir(dest, { mode: st.mode & 0o7777, signal });
    const place = await host.dirPlace(src, signal);
    const listing = await listFid(ctx, place, { syscall: 'cp', path: src, signal, withStatus: true });
    if (listing.refused.length) refused.push({ dir: src, r: listing.refused });
    for (const e of listing.entries) {
      // By FID for the source: the entry's own status, not a walk of src + name.
      const from = join(src, e.name);
      const to = join(dest, e.name);
      if (o.filter && !(await o.filter(from, to))) continue;
      let est = e.stats;
      if (!est || e.kind === 'mountpoint' || (o.dereference && e.kind === 'symlink'))
        est = await host.stat(from, { signal });
      await copyOne(host, ctx, from, to, est, await missing(host, to, signal), o, refused);
    }
    if (o.preserveTimestamps) await host.utimes(dest, st.atime, st.mtime, { signal });
    return;
  }
  if (dst) {
    if (!o.force) {
      if (o.errorOnExist)
        throw cpError(
          'ERR_FS_CP_EEXIST',
          `Target already exists: cp returned EEXIST (${dest} already exists)`,
          dest,
        );
      return;
    }
  }
  if (st.isSymbolicLink()) {
    let { data } = await ctx.walkOps.fetchWhole(st.cell, st.fid, MAX_LINK_BYTES, signal);
    // As node:fs's cp: a relative target is made absolute against the source's directory,
    // unless verbatimSymlinks.
    if (!o.verbatimSymlinks && data[0] !== 0x2f)
      data = Buffer.from(posix.resolve(posix.dirname(src), data.toString()));
    if (dst) await host.unlink(dest, { signal });
    await host.symlink(data, dest, { signal });
    return;
  }
  const data = await readFid(ctx, st.cell, st.fid, src, signal);
  await host.writeFile(dest, data, { flag: 'w', mode: st.mode & 0o7777, signal });
  if (o.preserveTimestamps) await host.utimes(dest, st.atime, st.mtime, { signal });
}
