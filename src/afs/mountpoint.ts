// Mount points: symbolic links whose mode has no execute bits and whose contents are
// "#[cell:]volume." (normal) or "%[cell:]volume." (read-write), the trailing dot included
// (`fs mkmount`). Which clone a mount point leads to follows OpenAFS EvalMountData
// (afs_vnop_lookup.c): '%' and explicit ".readonly"/".backup" names are taken as written; a '#'
// mount point leads to the RO clone, when one exists, if it is reached from a read-only volume or
// crosses into another cell, and to the RW volume otherwise.

import { AfsError } from '../rpc/errors.js';

/** 'normal' for '#', 'rw' for '%'. */
export type MountPointType = 'normal' | 'rw';
export type VolumeType = 'rw' | 'ro' | 'bk';

export interface MountPoint {
  type: MountPointType;
  /** Present when the mount point names a cell ("#cell:volume."). */
  cell?: string;
  /** The volume name or numeric id as written, suffix included. */
  volume: string;
}

/** VLDB names are at most 64 bytes (VL_MAXNAMELEN 65 with its NUL); cells likewise (MAXCELLCHARS). */
export const MAX_VOLUME_NAME = 64;
export const MAX_CELL_NAME = 64;

/** AFS FileType of a symbolic link (FetchStatus). */
export const FILE_TYPE_SYMLINK = 3;

export class MountPointError extends AfsError {
  constructor(detail: string) {
    super('EINVAL', `EINVAL: bad mount point: ${detail}`);
  }
}

/** Is a vnode with this status a mount point rather than a symlink? */
export function isMountPoint(fileType: number, mode: number): boolean {
  return fileType === FILE_TYPE_SYMLINK && (mode & 0o111) === 0;
}

const NAME = /^[\x21-\x7e]+$/; // printable, no spaces: what vos and fs accept

/** Parse a mount point's contents (as FetchData returns them). */
export function parseMountPoint(contents: Buffer | string): MountPoint {
  let text = typeof contents === 'string' ? contents : contents.toString('latin1');
  // Some writers store the C string's NUL too; nothing else may follow the dot.
  if (text.endsWith('\0')) text = text.slice(0, -1);
  if (text.length < 3) throw new MountPointError(`too short: ${JSON.stringify(text)}`);
  const marker = text[0];
  if (marker !== '#' && marker !== '%') {
    throw new MountPointError(`must start with '#' or '%': ${JSON.stringify(text)}`);
  }
  if (!text.endsWith('.')) throw new MountPointError(`must end with '.': ${JSON.stringify(text)}`);
  const body = text.slice(1, -1);
  const colon = body.indexOf(':');
  const cell = colon >= 0 ? body.slice(0, colon) : undefined;
  const volume = colon >= 0 ? body.slice(colon + 1) : body;
  if (cell !== undefined && (cell.length === 0 || cell.length > MAX_CELL_NAME || !NAME.test(cell))) {
    throw new MountPointError(`bad cell name ${JSON.stringify(cell)}`);
  }
  if (volume.length === 0 || volume.length > MAX_VOLUME_NAME || !NAME.test(volume) || volume.includes(':')) {
    throw new MountPointError(`bad volume name ${JSON.stringify(volume)}`);
  }
  const mp: MountPoint = { type: marker === '%' ? 'rw' : 'normal', volume };
  if (cell !== undefined) mp.cell = cell;
  return mp;
}

/** The contents to store for a new mount point (`fs mkmount` form). */
export function formatMountPoint(mp: MountPoint): string {
  const text = `${mp.type === 'rw' ? '%' : '#'}${mp.cell === undefined ? '' : `${mp.cell}:`}${mp.volume}.`;
  const back = parseMountPoint(text); // the same checks as for what we read
  if (back.volume !== mp.volume || back.cell !== mp.cell) {
    throw new MountPointError(`cannot be written: ${JSON.stringify(text)}`);
  }
  return text;
}

/** Split ".readonly" / ".backup" off a volume name (OpenAFS needs a non-empty base). */
export function splitVolumeSuffix(name: string): { base: string; type: VolumeType | undefined } {
  if (name.length > 9 && name.endsWith('.readonly')) return { base: name.slice(0, -9), type: 'ro' };
  if (name.length > 7 && name.endsWith('.backup')) return { base: name.slice(0, -7), type: 'bk' };
  return { base: name, type: undefined };
}

export interface MountTargetRequest {
  /** What the mount point names. */
  cell: string;
  /** The VLDB name to look up (the suffix stripped). */
  volume: string;
  /**
   * The clone wanted. 'ro' means "RO if the VLDB entry has one, else RW" unless `exact` is set;
   * an explicit ".readonly"/".backup" name asks for exactly that clone.
   */
  want: VolumeType;
  exact: boolean;
}

/**
 * Where a mount point leads, before the VLDB answer is known.
 * @param from the volume holding the mount point: its type and cell.
 * @param options.preferBackup OpenAFS's -backuptree: from a backup volume, prefer backups.
 */
export function mountTarget(
  mp: MountPoint,
  from: { cell: string; volumeType: VolumeType },
  options: { preferBackup?: boolean } = {},
): MountTargetRequest {
  const cell = mp.cell ?? from.cell;
  const { base, type: suffix } = splitVolumeSuffix(mp.volume);
  if (suffix !== undefined) return { cell, volume: base, want: suffix, exact: true };
  if (mp.type === 'rw') return { cell, volume: base, want: 'rw', exact: true };
  const sameCell = cell === from.cell;
  if (options.preferBackup && sameCell && from.volumeType === 'bk') {
    return { cell, volume: base, want: 'bk', exact: false };
  }
  if (!sameCell || from.volumeType !== 'rw') return { cell, volume: base, want: 'ro', exact: false };
  return { cell, volume: base, want: 'rw', exact: true };
}

/**
 * The clone to use once the VLDB entry is known (which clones exist). A non-exact wish falls
 * back to RO and then RW, as OpenAFS does; an exact wish for a missing clone is ENOENT, and a
 * ".backup" mount point inside a backup volume is refused (ENODEV, as in OpenAFS).
 */
export function chooseVolumeType(
  request: MountTargetRequest,
  exists: { rw: boolean; ro: boolean; bk: boolean },
  from?: { volumeType: VolumeType },
): VolumeType {
  let chosen: VolumeType | undefined;
  if (request.exact) {
    chosen = exists[request.want] ? request.want : undefined;
  } else if (request.want === 'bk' && exists.bk) {
    chosen = 'bk';
  } else if (exists.ro) {
    chosen = 'ro';
  } else if (exists.rw) {
    chosen = 'rw';
  }
  if (chosen === undefined) {
    throw new AfsError('ENOENT', `ENOENT: volume ${request.volume} has no ${request.want} clone`);
  }
  // OpenAFS checks this on the volume looked up by name, before any -backuptree switch: only an
  // explicit ".backup" name from a backup volume is refused.
  if (request.exact && chosen === 'bk' && from?.volumeType === 'bk') {
    throw new AfsError('ENODEV', `ENODEV: mount point from a backup volume into backup ${request.volume}`);
  }
  return chosen;
}
