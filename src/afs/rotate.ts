// File-server rotation (kAFS rotate.c): run one FS operation against a volume, choosing among the
// servers of its server list and their addresses, and deciding from each failure whether to try
// the next address, the next server, re-read the VLDB, back off while the volume is busy, or fail.
// Each attempt holds a use on the server (the call's use), given back when the attempt ends.

import type { RpcTarget } from '../rpc/client.js';
import { AfsError, classifyFailure } from '../rpc/errors.js';
import type { CallTimeouts } from '../rx/call.js';
import type { SecurityClass } from '../rx/security/types.js';
import type { Cell } from './cell.js';
import type { Server } from './server.js';
import { splitHostPort } from './vl-rotate.js';
import type { Volume } from './volume.js';

export const FS_PORT = 7000;
export const FS_SERVICE_ID = 1;

export interface RotateOptions {
  security?: SecurityClass;
  signal?: AbortSignal;
  timeouts?: Partial<CallTimeouts>;
  /** The volume is a read-only or backup clone (I/O errors may be cured by another site). */
  readOnly?: boolean;
  /** For error messages. */
  syscall?: string;
  path?: string;
  /** Keep trying this long when every site is busy or offline (default 60 s). */
  busyLimitMs?: number;
}

/** What the operation gets for one attempt. */
export interface Attempt {
  target: RpcTarget;
  server: Server;
  timeouts: Partial<CallTimeouts>;
}

export const DEFAULT_FS_TIMEOUTS: Partial<CallTimeouts> = {
  deadTime: 30_000,
  idleTimeout: 0,
  hardDeadline: 0,
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    t.unref();
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Run `fn` against the volume's servers until it succeeds or a failure is final. The caller holds a
 * use on the volume for the duration.
 */
export async function rotate<T>(
  volume: Volume,
  fn: (a: Attempt) => Promise<T>,
  opts: RotateOptions = {},
): Promise<T> {
  const busyUntil = Date.now() + (opts.busyLimitMs ?? 60_000);
  let vlRefreshes = 0;
  let lastError: unknown;
  for (let round = 0; round < 100; round++) {
    opts.signal?.throwIfAborted();
    await volume.ensureCurrent();
    const entries = volume.servers.entries;
    let sawBusy = false;
    let refresh = false;
    for (const entry of entries) {
      const server = entry.server;
      // Picks up a changed address list (the VLDB's uniquifier moved) before using the server.
      await server.checkRecord().catch(() => {});
      if (server.addrs.length === 0) continue;
      let nextServer = false;
      for (const addr of server.addrs) {
        const [host, port] = splitHostPort(addr, FS_PORT);
        const call = server.beginCall();
        try {
          const r = await fn({
            target: { host, port, serviceId: FS_SERVICE_ID, security: opts.security },
            server,
            timeouts: { ...DEFAULT_FS_TIMEOUTS, ...opts.timeouts },
          });
          server.noteMayHaveCallbacks();
          return r;
        } catch (e) {
          lastError = e;
          if (opts.signal?.aborted) throw e;
          const policy = classifyFailure(e, { readOnly: opts.readOnly });
          const code = e instanceof AfsError ? e.afsCode : undefined;
          if (policy === 'next-address') continue;
          if (policy === 'next-server') {
            nextServer = true;
            break;
          }
          if (policy === 'refresh-vldb') {
            volume.noteAbort(code === 111 ? 'VMOVED' : 'VNOVOL');
            refresh = true;
            nextServer = true;
            break;
          }
          if (policy === 'busy') {
            sawBusy = true;
            nextServer = true;
            break;
          }
          // 'fail' and 'downgrade' belong to the caller.
          throw e;
        } finally {
          call.end();
        }
      }
      if (!nextServer) continue;
      if (refresh && vlRefreshes < 2) break;
    }
    if (refresh && vlRefreshes < 2) {
      vlRefreshes++;
      continue;
    }
    if (sawBusy && Date.now() < busyUntil) {
      // Every site busy or offline: OpenAFS sleeps 15 s; kAFS 1 s. Back off briefly and retry.
      await sleep(Math.min(1000 * 2 ** Math.min(round, 3), 8000), opts.signal);
      continue;
    }
    break;
  }
  if (lastError) throw lastError;
  throw new AfsError('EDESTADDRREQ', `EDESTADDRREQ: no file server of volume ${volume.name} has an address`, {
    syscall: opts.syscall,
    path: opts.path,
  });
}

/** Look a volume up in a cell (by name or id), run `fn` with a use held, give the use back. */
export async function withVolume<T>(
  cell: Cell,
  nameOrId: string | number,
  fn: (v: Volume) => Promise<T>,
): Promise<T> {
  const v = await cell.lookupVolume(String(nameOrId));
  try {
    return await fn(v);
  } finally {
    v.unuseVolume('unuse_lookup');
  }
}
