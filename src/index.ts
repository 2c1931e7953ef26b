// The public surface of tsafs.

export type { Acl, AclEntry } from './afs/acl.js';
export type { AuthOption } from './auth/identity.js';
export { TokenStore } from './auth/token-store.js';
export { AfsClient, type AfsClientOptions } from './client.js';
export type { AfsFileHandle } from './fs/handle.js';
export type { AfsLock } from './fs/lock.js';
export type { AfsFs } from './fs/promises.js';
export { AfsDirent, AfsStats } from './fs/stats.js';
export { AfsError } from './rpc/errors.js';
export { RxEndpoint } from './rx/endpoint.js';
export { RxCallError } from './rx/errors.js';
export { VERSION } from './version.js';
