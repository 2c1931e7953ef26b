// rm -r by FID: each directory is emptied from its own listing, entries removed from it by
// (directory FID, name), subdirectories entered by the FID the listing gives. Nothing is ever
// removed outside the tree the caller named, whatever names the server sends. Mount points are
// removed as entries (like `fs rmmount`), never descended into.

import { AfsError } from '../rpc/errors.js';
import { FS } from '../rpc/fs.js';
import type { FsContext } from './context.js';
import { printableName, type RefusedName } from './names.js';
import { type DirPlace, fidKey, isChildDirectory, type Listing, listFid } from './tree.js';

const childShown = (dir: string, name: Buffer) => `${dir.replace(/\/+$/, '')}/${name.toString()}`;

/** RemoveDir of `name` in `dir`; a directory not empty is ENOTEMPTY as Linux reports it. */
export async function removeDirEntry(
  ctx: FsContext,
  dir: DirPlace,
  name: Buffer,
  o: { syscall: string; path: string; signal?: AbortSignal },
): Promise<void> {
  const cell = await ctx.cell(dir.cell);
  try {
    await ctx.files.call(cell, dir.fid.volume, FS.RemoveDir, { dirFid: dir.fid, name }, o);
  } catch (e) {
    // The file server says EEXIST for a directory that is not empty (old BSD rmdir); node:fs
    // callers test for ENOTEMPTY, as kAFS and the Linux VFS report it.
    if (!(e instanceof AfsError && e.code === 'EEXIST')) throw e;
    throw new AfsError('ENOTEMPTY', `ENOTEMPTY: directory not empty, ${o.syscall} '${o.path}'`, {
      afsCode: e.afsCode,
      afsName: e.afsName,
      syscall: o.syscall,
      path: o.path,
      cause: e,
    });
  }
}

/** Entries a recursive removal left in place, by the directory holding them. */
export interface LeftBehind {
  dir: string;
  refused: RefusedName[];
}

/** The error for a tree left holding entries rm refused to follow (the directories stay). */
export function refusedError(path: string, left: readonly LeftBehind[]): AfsError {
  const list = left
    .map((l) => `in '${l.dir}': ${l.refused.map((r) => `${printableName(r.name)} (${r.reason})`).join(', ')}`)
    .join('; ');
  const e = new AfsError(
    'ENOTEMPTY',
    `ENOTEMPTY: directory not empty, rmdir '${path}': entries not removed, their names do not name one entry ${list}`,
    { syscall: 'rmdir', path },
  );
  return Object.assign(e, { refused: [...left] });
}

/**
 * Remove everything inside the directory `dir` (shown as `path`) that can be removed by FID;
 * returns what was refused (a directory holding refused entries is left in place with them).
 */
export async function emptyDirectory(
  ctx: FsContext,
  dir: DirPlace,
  path: string,
  signal?: AbortSignal,
  visited = new Set<string>([fidKey(dir.cell, dir.fid)]),
  listed?: Listing,
): Promise<LeftBehind[]> {
  const listing = listed ?? (await listFid(ctx, dir, { syscall: 'rm', path, signal, withStatus: true }));
  const refused = [...listing.refused];
  const left: LeftBehind[] = [];
  const cell = await ctx.cell(dir.cell);
  for (const e of listing.entries) {
    const child = childShown(path, e.name);
    if (e.kind === 'directory') {
      const place: DirPlace = { cell: dir.cell, fid: e.fid, kind: dir.kind };
      const key = fidKey(dir.cell, e.fid);
      const sub = await listFid(ctx, place, { syscall: 'rm', path: child, signal, withStatus: true });
      if (!isChildDirectory(dir, sub, visited, key)) {
        refused.push({ name: e.name, reason: 'foreign-directory' });
        continue;
      }
      visited.add(key);
      const below = await emptyDirectory(ctx, place, child, signal, visited, sub);
      if (below.length > 0) {
        left.push(...below);
        continue;
      }
      await removeDirEntry(ctx, dir, e.name, { syscall: 'rmdir', path: child, signal });
    } else {
      await ctx.files.call(
        cell,
        dir.fid.volume,
        FS.RemoveFile,
        { dirFid: dir.fid, name: e.name },
        { syscall: 'unlink', path: child, signal },
      );
    }
  }
  if (refused.length > 0) left.unshift({ dir: path, refused });
  return left;
}
