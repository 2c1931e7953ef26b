// The public surface of tsafs.

export {
  type Acl,
  type AclEntry,
  AclError,
  effectiveRights,
  formatAcl,
  PRSFS_ADMINISTER,
  PRSFS_DELETE,
  PRSFS_INSERT,
  PRSFS_LOCK,
  PRSFS_LOOKUP,
  PRSFS_READ,
  PRSFS_WRITE,
  parseAcl,
  parseRights,
  rightsToString,
  setAclEntry,
} from './afs/acl.js';
export type { BreakReason } from './afs/vcache.js';
export type { AuthOption } from './auth/identity.js';
export { TokenStore } from './auth/token-store.js';
export { AfsClient, type AfsClientOptions } from './client.js';
export type { AfsBigIntStats } from './fs/bigint-stats.js';
export type { CpOptions } from './fs/copy.js';
export type { AfsDir } from './fs/dir.js';
export { AbortError } from './fs/errors.js';
export type { AfsFileHandle } from './fs/handle.js';
export type { AfsLock } from './fs/lock.js';
export { type RefusedName, type RefusedReason, UnsafeNameError, type UnsafeNameReason } from './fs/names.js';
export type {
  AfsBigIntStatFs,
  AfsFs,
  AfsStatFs,
  PathLike,
  SignalOpt,
  VolumeStatus,
  WhereIs,
  WriteData,
} from './fs/promises.js';
export type { AfsFileKind } from './fs/stats.js';
export { AfsDirent, AfsStats } from './fs/stats.js';
export type { WatchEvent } from './fs/watch.js';
export { AfsError } from './rpc/errors.js';
export type { AFSFetchStatus, AFSFid } from './rpc/types.js';
export { RxEndpoint } from './rx/endpoint.js';
export { RxCallError } from './rx/errors.js';
export { VERSION } from './version.js';
