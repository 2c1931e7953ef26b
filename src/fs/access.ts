// access(path, mode) answered from the caller's AFS rights, the way OpenAFS's cache manager
// answers access(2) (afs_access / afs_AccessOK in afs_vnop_access.c): on a directory X_OK and R_OK
// need lookup (l) and W_OK insert or delete (i|d); on a file the directory's rights are narrowed by
// the owner's mode bits (r needs 0400, w needs 0200), whoever holds both i and a gets r and w, and
// X_OK needs read and the owner's 0100 (or 0100 alone). Nothing is writable in a read-only or
// backup volume (EROFS).

import {
  PRSFS_ADMINISTER,
  PRSFS_DELETE,
  PRSFS_INSERT,
  PRSFS_LOOKUP,
  PRSFS_READ,
  PRSFS_WRITE,
} from '../afs/acl.js';
import { type AFSFetchStatus, FILE_TYPE_DIRECTORY } from '../rpc/types.js';

export const F_OK = 0;
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

/** Rights the owner's mode bits take away from a file (index: owner bits rwx as 0..7). */
const MODE_TAKES = [
  PRSFS_READ | PRSFS_WRITE,
  PRSFS_READ | PRSFS_WRITE,
  PRSFS_READ,
  PRSFS_READ,
  PRSFS_WRITE,
  PRSFS_WRITE,
  0,
  0,
];

/** Why access(mode) fails for this object: 'EACCES', 'EROFS', or undefined when allowed. */
export function accessDenied(
  st: AFSFetchStatus,
  mode: number,
  readOnlyVolume: boolean,
): 'EACCES' | 'EROFS' | undefined {
  if (mode & W_OK && readOnlyVolume) return 'EROFS';
  const rights = st.callerAccess;
  if (st.fileType === FILE_TYPE_DIRECTORY) {
    if (mode & (X_OK | R_OK) && !(rights & PRSFS_LOOKUP)) return 'EACCES';
    if (mode & W_OK && !(rights & (PRSFS_INSERT | PRSFS_DELETE))) return 'EACCES';
    return undefined;
  }
  let bits = rights;
  if ((bits & (PRSFS_ADMINISTER | PRSFS_INSERT)) === (PRSFS_ADMINISTER | PRSFS_INSERT))
    bits |= PRSFS_READ | PRSFS_WRITE;
  bits &= ~MODE_TAKES[(st.mode & 0o700) >> 6]!;
  if (mode & X_OK) {
    const exec = (st.mode & 0o100) !== 0;
    if (!exec) return 'EACCES';
  }
  if (mode & W_OK && !(bits & PRSFS_WRITE)) return 'EACCES';
  if (mode & R_OK && !(bits & PRSFS_READ)) return 'EACCES';
  return undefined;
}
