// Recursive operations go by FID: a directory's children are the entries of that directory's own
// listing, each reached by the FID the listing gives, never by joining a server-sent name to a
// path and walking it again (a name like "../x" would lead out of the tree, or into another cell).
// Names that do not name one entry (names.ts) are refused and reported; a directory met twice (a
// hostile server can list a directory inside itself) is not entered again.

import { AfsDirectory } from '../afs/dir.js';
import { crossMountPoint, MAX_DIR_BYTES, MAX_LINK_BYTES, walk } from '../afs/path.js';
import { type AFSFetchStatus, type AFSFid, FILE_TYPE_DIRECTORY } from '../rpc/types.js';
import type { FsContext } from './context.js';
import { type RefusedName, unsafeNameReason } from './names.js';
import { type AfsFileKind, AfsStats, kindOf } from './stats.js';

/** Where a listed directory is: enough to list it and to act on its entries. */
export interface DirPlace {
  cell: string;
  fid: AFSFid;
  /** The volume instance the walk chose (rw/ro/bk), for crossing mount points below it. */
  kind: 'rw' | 'ro' | 'bk';
}

export interface TreeEntry {
  name: Buffer;
  fid: AFSFid;
  kind: AfsFileKind;
  /** The status the server gave with the listing (undefined when it reported an error for it). */
  stats: AfsStats | undefined;
}

export interface Listing {
  entries: TreeEntry[];
  refused: RefusedName[];
  /** Vnode and uniquifier of the ".." entry (the directory's parent, itself for a volume root). */
  parent: { vnode: number; unique: number } | undefined;
}

const BULK = 50;
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

export const fidKey = (cell: string, f: AFSFid): string => `${cell}:${f.volume}.${f.vnode}.${f.unique}`;

/**
 * The entries of the directory `dir` (its own FID), with kinds and statuses from InlineBulkStatus
 * when `withStatus`; "." and ".." dropped, unsafe or repeated names refused.
 */
export async function listFid(
  ctx: FsContext,
  dir: DirPlace,
  o: { syscall: string; path: string; signal?: AbortSignal; withStatus?: boolean },
): Promise<Listing> {
  const { data } = await ctx.walkOps.fetchWhole(dir.cell, dir.fid, MAX_DIR_BYTES, o.signal);
  const refused: RefusedName[] = [];
  const seen = new Set<string>();
  const picked: { name: Buffer; fid: AFSFid }[] = [];
  let parent: Listing['parent'];
  let dotSeen = false;
  for (const e of new AfsDirectory(data).scan().entries) {
    // One "." and one ".." are the directory's own; any further one is a server's lie.
    if (e.name.equals(DOTDOT) && !parent) {
      parent = { vnode: e.vnode, unique: e.unique };
      continue;
    }
    if (e.name.equals(DOT) && !dotSeen) {
      dotSeen = true;
      continue;
    }
    const reason = unsafeNameReason(e.name);
    if (reason) {
      refused.push({ name: Buffer.from(e.name), reason });
      continue;
    }
    const k = e.name.toString('latin1');
    if (seen.has(k)) {
      refused.push({ name: Buffer.from(e.name), reason: 'duplicate' });
      continue;
    }
    seen.add(k);
    picked.push({
      name: Buffer.from(e.name),
      fid: { volume: dir.fid.volume, vnode: e.vnode, unique: e.unique },
    });
  }
  if (!o.withStatus) {
    return { entries: picked.map((p) => ({ ...p, kind: 'unknown', stats: undefined })), refused, parent };
  }
  const cell = await ctx.cell(dir.cell);
  const statuses: AFSFetchStatus[] = [];
  for (let i = 0; i < picked.length; i += BULK) {
    statuses.push(
      ...(await ctx.files.bulkStatus(
        cell,
        dir.fid.volume,
        picked.slice(i, i + BULK).map((p) => p.fid),
        o,
      )),
    );
  }
  const entries = picked.map((p, i) => {
    const st = statuses[i];
    const ok = st !== undefined && st.errorCode === 0;
    return {
      ...p,
      kind: ok ? kindOf(st) : ('unknown' as const),
      stats: ok ? new AfsStats(dir.cell, p.fid, st) : undefined,
    };
  });
  return { entries, refused, parent };
}

/** Is `child` (listed) a subdirectory of `dir` as its own ".." says, and not one we were in already? */
export function isChildDirectory(dir: DirPlace, child: Listing, visited: Set<string>, key: string): boolean {
  if (visited.has(key)) return false;
  const p = child.parent;
  return p !== undefined && p.vnode === dir.fid.vnode && p.unique === dir.fid.unique;
}

export interface WalkedEntry extends TreeEntry {
  /** The path below the listed top, as bytes ("a/b"). */
  relative: Buffer;
  /** The directory holding it, as shown to the caller. */
  parentPath: string;
}

/**
 * Every entry below `top`, depth first, each directory listed by its own FID. Mount points are
 * crossed (they show as directories, as through any AFS client); a volume or directory already
 * visited is not entered again. Refused names are handed to `onRefused` with their directory.
 */
export async function* walkFid(
  ctx: FsContext,
  top: DirPlace,
  topPath: string,
  o: {
    syscall: string;
    signal?: AbortSignal;
    onRefused(dir: string, r: RefusedName[]): void;
    /** Descend into symbolic links to directories (node:fs/promises readdir without withFileTypes). */
    followLinks?: boolean;
  },
): AsyncGenerator<WalkedEntry> {
  // Directories on the way down from the top: entering one again would be a loop (links and
  // mount points may lead to the same directory by two ways, listed twice as node:fs does).
  type Item = { dir: DirPlace; path: string; rel: Buffer; listing: Listing; above: Set<string> };
  const stack: Item[] = [];
  const first = await listFid(ctx, top, {
    syscall: o.syscall,
    path: topPath,
    signal: o.signal,
    withStatus: true,
  });
  stack.push({
    dir: top,
    path: topPath,
    rel: Buffer.alloc(0),
    listing: first,
    above: new Set([fidKey(top.cell, top.fid)]),
  });
  while (stack.length > 0) {
    const { dir, path, rel, listing, above } = stack.shift()!;
    if (listing.refused.length) o.onRefused(path, listing.refused);
    const below: typeof stack = [];
    for (const e of listing.entries) {
      const relative = rel.length ? Buffer.concat([rel, SLASH, e.name]) : e.name;
      yield { ...e, relative, parentPath: path };
      const childPath = `${path.replace(/\/+$/, '')}/${e.name.toString()}`;
      let place: DirPlace = { cell: dir.cell, fid: e.fid, kind: dir.kind };
      if (e.kind === 'symlink' && o.followLinks) {
        // The link's own target text is followed (a safe name joined to its directory first);
        // one that leads nowhere or not to a directory is listed and not entered, as node:fs does.
        const r = await walk(ctx.walkOps, ctx.mount, childPath, { follow: true, signal: o.signal }).catch(
          () => undefined,
        );
        if (!r || r.location.root || r.location.status.fileType !== FILE_TYPE_DIRECTORY) continue;
        place = { cell: r.location.cell, fid: r.location.fid, kind: r.location.kind };
      } else if (e.kind !== 'directory' && e.kind !== 'mountpoint') continue;
      if (e.kind === 'mountpoint') {
        const { data } = await ctx.walkOps.fetchWhole(dir.cell, e.fid, MAX_LINK_BYTES, o.signal);
        const f = await crossMountPoint(ctx.walkOps, dir, e.name, data, o.signal);
        place = { cell: f.cell, fid: f.fid, kind: f.kind };
      }
      const key = fidKey(place.cell, place.fid);
      if (above.has(key)) continue; // a loop through a mount point or link
      const sub = await listFid(ctx, place, {
        syscall: o.syscall,
        path: childPath,
        signal: o.signal,
        withStatus: true,
      });
      if (e.kind === 'directory' && !isChildDirectory(dir, sub, above, key)) {
        o.onRefused(path, [{ name: e.name, reason: 'foreign-directory' }]);
        continue;
      }
      below.push({
        dir: place,
        path: childPath,
        rel: relative,
        listing: sub,
        above: new Set(above).add(key),
      });
    }
    stack.unshift(...below);
  }
}

const SLASH = Buffer.from('/');
