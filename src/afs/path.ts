// Walking /afs paths without a kernel: the dynamic root (/afs lists cells; /afs/<cell> is the
// cell's root.cell, read-only clone preferred; /afs/.<cell> its read-write instance), directories
// parsed locally, mount points (#/% and cell-qualified) crossed into their volumes, "." and ".."
// across mount points (a stack of the frames walked), and symbolic links with a loop limit.
// AFS names are bytes: components are Buffers throughout.

import { AfsError } from '../rpc/errors.js';
import { type AFSFetchStatus, type AFSFid, FILE_TYPE_DIRECTORY, FILE_TYPE_SYMLINK } from '../rpc/types.js';
import { VLF_BACKEXISTS, VLF_ROEXISTS, VLF_RWEXISTS, type VldbEntry } from '../rpc/vl.js';
import { AFS_PAGESIZE, AfsDirectory, BIGMAXPAGES } from './dir.js';
import {
  chooseVolumeType,
  isMountPoint,
  mountTarget,
  parseMountPoint,
  type VolumeType,
} from './mountpoint.js';

export const MAX_SYMLINKS = 40;
export const MAX_NAME = 255;
export const MAX_DIR_BYTES = BIGMAXPAGES * AFS_PAGESIZE;
export const MAX_LINK_BYTES = 1024;

/** A place in the tree: a FID in a volume instance of a cell. */
export interface Frame {
  cell: string;
  fid: AFSFid;
  kind: VolumeType;
  /** Name under which the walk reached it (for messages); empty for roots. */
  name: Buffer;
  status: AFSFetchStatus;
}

/** The dynamic root /afs itself, or a frame. */
export type Location = { root: true } | ({ root: false } & Frame);

/** What the walk needs from the file layer. */
export interface WalkOps {
  /** Known cells (dynroot listing, and which names under /afs are cells). */
  knownCell(name: string): boolean;
  defaultCell(): string | undefined;
  vldb(cell: string, volume: string, signal?: AbortSignal): Promise<VldbEntry>;
  /** Whole content and status of a FID (directories, symlinks). */
  fetchWhole(
    cell: string,
    fid: AFSFid,
    max: number,
    signal?: AbortSignal,
  ): Promise<{ data: Buffer; status: AFSFetchStatus }>;
  fetchStatus(cell: string, fid: AFSFid, signal?: AbortSignal): Promise<AFSFetchStatus>;
}

export interface WalkOptions {
  /** Follow a symbolic link in the last component (stat vs lstat). Mount points are always crossed. */
  follow?: boolean;
  signal?: AbortSignal;
  /** For error messages. */
  syscall?: string;
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** Split an absolute path into byte components, rejecting NULs. */
export function splitPath(path: string | Buffer, mount: string, syscall?: string): Buffer[] {
  const raw = typeof path === 'string' ? Buffer.from(path, 'utf8') : Buffer.from(path);
  const shown = raw.toString();
  if (raw.includes(0))
    throw new AfsError('EINVAL', `EINVAL: path contains a NUL byte`, { syscall, path: shown });
  const m = Buffer.from(mount);
  const atMount = raw.subarray(0, m.length).equals(m) && (raw.length === m.length || raw[m.length] === 0x2f);
  if (!atMount) {
    throw new AfsError('EINVAL', `EINVAL: '${shown}' is not under ${mount}`, { syscall, path: shown });
  }
  const parts: Buffer[] = [];
  let start = m.length;
  for (let i = m.length; i <= raw.length; i++) {
    if (i === raw.length || raw[i] === 0x2f) {
      if (i > start) parts.push(raw.subarray(start, i));
      start = i + 1;
    }
  }
  for (const p of parts) {
    if (p.length > MAX_NAME)
      throw new AfsError(
        'ENAMETOOLONG',
        `ENAMETOOLONG: a component of '${shown}' is longer than ${MAX_NAME} bytes`,
        { syscall, path: shown },
      );
  }
  return parts;
}

function exists(entry: VldbEntry) {
  return {
    rw: (entry.flags & VLF_RWEXISTS) !== 0,
    ro: (entry.flags & VLF_ROEXISTS) !== 0,
    bk: (entry.flags & VLF_BACKEXISTS) !== 0,
  };
}

/** Root FID of an instance of a volume. */
async function volumeRoot(
  ops: WalkOps,
  cell: string,
  volume: string,
  request: ReturnType<typeof mountTarget>,
  from: { volumeType: VolumeType } | undefined,
  signal?: AbortSignal,
): Promise<{ fid: AFSFid; kind: VolumeType; status: AFSFetchStatus }> {
  const entry = await ops.vldb(cell, volume, signal);
  const kind = chooseVolumeType(request, exists(entry), from);
  const id = entry.volumeIds[kind];
  const fid = { volume: id, vnode: 1, unique: 1 };
  const status = await ops.fetchStatus(cell, fid, signal);
  return { fid, kind, status };
}

/** The frame of /afs/<cell> (RO preferred) or /afs/.<cell> (RW). */
async function cellRoot(ops: WalkOps, name: Buffer, signal?: AbortSignal, path?: string): Promise<Frame> {
  let text = name.toString('utf8');
  const rw = text.startsWith('.');
  if (rw) text = text.slice(1);
  const cell = text.toLowerCase();
  if (!ops.knownCell(cell)) throw new AfsError('ENOENT', `ENOENT: no cell '${text}' under /afs`, { path });
  const request = { cell, volume: 'root.cell', want: rw ? ('rw' as const) : ('ro' as const), exact: rw };
  const r = await volumeRoot(ops, cell, 'root.cell', request, undefined, signal);
  return { cell, fid: r.fid, kind: r.kind, name, status: r.status };
}

/**
 * The root of the volume a mount point (content `target`, found in directory `dir` under `name`)
 * leads to: the frame the walk continues in, and what a recursive listing descends into.
 */
export async function crossMountPoint(
  ops: WalkOps,
  dir: Pick<Frame, 'cell' | 'kind'>,
  name: Buffer,
  target: Buffer,
  signal?: AbortSignal,
): Promise<Frame> {
  const req = mountTarget(parseMountPoint(target), { cell: dir.cell, volumeType: dir.kind });
  if (!ops.knownCell(req.cell))
    throw new AfsError('ENOENT', `ENOENT: mount point names unknown cell ${req.cell}`);
  const r = await volumeRoot(ops, req.cell, req.volume, req, { volumeType: dir.kind }, signal);
  return { cell: req.cell, fid: r.fid, kind: r.kind, name, status: r.status };
}

/** An error from deep in the walk gets the path and operation the caller asked about. */
function withPath(e: unknown, syscall: string | undefined, path: string): unknown {
  if (!(e instanceof AfsError) || e.path !== undefined) return e;
  return new AfsError(e.code, `${e.message}, ${syscall ?? 'walk'} '${path}'`, {
    afsCode: e.afsCode,
    afsName: e.afsName,
    syscall,
    path,
    cause: e,
  });
}

export interface Resolved {
  location: Location;
  /** The directory the last component was found in (undefined for /afs and cell roots). */
  parent?: Frame;
}

/**
 * Resolve a path; errors name it.
 */
export async function walk(
  ops: WalkOps,
  mount: string,
  path: string | Buffer,
  opts: WalkOptions = {},
): Promise<Resolved> {
  try {
    return await walkInner(ops, mount, path, opts);
  } catch (e) {
    throw withPath(e, opts.syscall, typeof path === 'string' ? path : path.toString());
  }
}

async function walkInner(
  ops: WalkOps,
  mount: string,
  path: string | Buffer,
  opts: WalkOptions,
): Promise<Resolved> {
  const shown = typeof path === 'string' ? path : path.toString();
  const err = (code: string, what: string) =>
    new AfsError(code, `${code}: ${what}, ${opts.syscall ?? 'walk'} '${shown}'`, {
      syscall: opts.syscall,
      path: shown,
    });
  let pending = splitPath(path, mount, opts.syscall);
  let stack: Frame[] = [];
  let links = 0;
  let parent: Frame | undefined;
  while (pending.length > 0) {
    opts.signal?.throwIfAborted();
    const c = pending.shift()!;
    const last = pending.length === 0;
    if (c.equals(DOT)) continue;
    if (c.equals(DOTDOT)) {
      stack.pop();
      parent = stack[stack.length - 2];
      continue;
    }
    if (stack.length === 0) {
      parent = undefined;
      stack.push(await cellRoot(ops, c, opts.signal, shown));
      continue;
    }
    const dir = stack[stack.length - 1]!;
    if (dir.status.fileType !== FILE_TYPE_DIRECTORY) throw err('ENOTDIR', 'not a directory');
    const { data, status: dirStatus } = await ops.fetchWhole(dir.cell, dir.fid, MAX_DIR_BYTES, opts.signal);
    dir.status = dirStatus;
    if (dirStatus.fileType !== FILE_TYPE_DIRECTORY) throw err('ENOTDIR', 'not a directory');
    const hit = new AfsDirectory(data).lookup(c);
    if (!hit) throw err('ENOENT', 'no such file or directory');
    const fid = { volume: dir.fid.volume, vnode: hit.vnode, unique: hit.unique };
    let status = await ops.fetchStatus(dir.cell, fid, opts.signal);
    let frame: Frame = { cell: dir.cell, fid, kind: dir.kind, name: Buffer.from(c), status };
    if (status.fileType === FILE_TYPE_SYMLINK) {
      const isMount = isMountPoint(status.fileType, status.mode);
      if (isMount || !last || opts.follow) {
        if (++links > MAX_SYMLINKS) throw err('ELOOP', 'too many levels of symbolic links or mount points');
        const { data: target, status: st } = await ops.fetchWhole(dir.cell, fid, MAX_LINK_BYTES, opts.signal);
        status = st;
        if (isMount) {
          frame = await crossMountPoint(ops, dir, Buffer.from(c), target, opts.signal);
        } else {
          // A symbolic link: splice its target in front of what is left.
          const tparts = splitLinkTarget(target);
          if (target[0] === 0x2f) {
            const rest = splitPath(target, mount, opts.syscall);
            stack = [];
            pending = [...rest, ...pending];
          } else {
            pending = [...tparts, ...pending];
          }
          continue;
        }
      }
    }
    parent = dir;
    stack.push(frame);
  }
  const top = stack[stack.length - 1];
  if (!top) return { location: { root: true } };
  return { location: { root: false, ...top }, parent: stack.length >= 2 ? stack[stack.length - 2] : parent };
}

function splitLinkTarget(t: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let s = 0;
  for (let i = 0; i <= t.length; i++) {
    if (i === t.length || t[i] === 0x2f) {
      if (i > s) out.push(t.subarray(s, i));
      s = i + 1;
    }
  }
  return out;
}

/** Split "dir/name": resolve the directory (following links) and validate the name. */
export async function walkParent(
  ops: WalkOps,
  mount: string,
  path: string | Buffer,
  opts: WalkOptions = {},
): Promise<{ dir: Frame; name: Buffer }> {
  const shown = typeof path === 'string' ? path : path.toString();
  const parts = splitPath(path, mount, opts.syscall);
  const name = parts.pop();
  if (!name || name.equals(DOT) || name.equals(DOTDOT) || parts.length === 0) {
    throw new AfsError('EINVAL', `EINVAL: '${shown}' names no entry a directory can hold`, {
      syscall: opts.syscall,
      path: shown,
    });
  }
  const m = Buffer.from(mount);
  const dirPath = Buffer.concat([m, ...parts.flatMap((p) => [Buffer.from('/'), p])]);
  const r = await walk(ops, mount, dirPath, { ...opts, follow: true });
  if (r.location.root) {
    throw new AfsError(
      'EACCES',
      `EACCES: cannot create entries in the dynamic root, ${opts.syscall} '${shown}'`,
      { syscall: opts.syscall, path: shown },
    );
  }
  const { root: _root, ...dir } = r.location;
  if (dir.status.fileType !== FILE_TYPE_DIRECTORY) {
    throw new AfsError('ENOTDIR', `ENOTDIR: not a directory, ${opts.syscall} '${shown}'`, {
      syscall: opts.syscall,
      path: shown,
    });
  }
  return { dir, name: Buffer.from(name) };
}

export { DOT, DOTDOT };
