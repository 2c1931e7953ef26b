// File-server rotation (kAFS rotate.c): run one FS operation against a volume, choosing among the
// servers of its server list and their addresses, and deciding from each failure whether to try
// the next address, the next server, re-read the VLDB, back off while the volume is busy, or fail.
// Sites are tried by health (responsive first, unresponsive last), then probe RTT, ties spread
// by the client's UUID. A call that has another site to go to gives up after a short silence; the
// last site keeps the long dead time, unless its server is known not to answer (then it is probed
// once more and the operation fails fast, naming server, volume and what was tried).
// Each attempt holds a use on the server (the call's use), given back when the attempt ends.

import type { RpcTarget } from '../rpc/client.js';
import {
  AfsError,
  classifyFailure,
  type RotationPolicy,
  RX_CALL_DEAD,
  RX_CALL_TIMEOUT,
  VMOVED,
} from '../rpc/errors.js';
import { FS_PORT, FS_SERVICE_ID } from '../rpc/fs.js';
import type { CallTimeouts } from '../rx/call.js';
import type { SecurityClass } from '../rx/security/types.js';
import type { Cell } from './cell.js';
import type { HealthState } from './fs-probe.js';
import type { Server } from './server.js';
import type { ServerListEntry } from './server-list.js';
import { splitHostPort } from './vl-rotate.js';
import type { Volume } from './volume.js';

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
  /** First back-off when every site is busy (default 1 s, as kAFS), doubling up to 8×. */
  busyBackoffMs?: number;
  /** Only this server (UUID) may serve the operation: it holds a lock for us. */
  pinServer?: string;
}

/** What the operation gets for one attempt. */
export interface Attempt {
  target: RpcTarget;
  server: Server;
  timeouts: Partial<CallTimeouts>;
}

/** The long dead time (last site), and the idle deadline every call has (issue 9: no hangs). */
export const DEFAULT_FS_TIMEOUTS: Partial<CallTimeouts> = {
  deadTime: 30_000,
  idleTimeout: 60_000,
  hardDeadline: 0,
};

/** Bounds of the short silence after which a call with another site to go to gives up. */
export const SHORT_DEAD_MIN_MS = 1_500;
export const SHORT_DEAD_MAX_MS = 3_000;

/** The silence a call tolerates when another site can serve: grows with the server's RTT. */
export function shortDeadTime(rttMs: number | null): number {
  const r = rttMs ?? SHORT_DEAD_MAX_MS / 8;
  return Math.min(SHORT_DEAD_MAX_MS, Math.max(SHORT_DEAD_MIN_MS, Math.round(8 * r)));
}

/** What the rotation loop does for each policy of an error (rpc/errors.ts gives codes their policy). */
export interface RotationAction {
  /** Move on to: the same server's next address, the next site, or nowhere (the error is final). */
  move: 'address' | 'site' | 'none';
  /** Re-read the volume's VLDB entry (once per operation) and start the rotation again. */
  refreshVldb: boolean;
  /** When no site is left, sleep and start again (until busyLimitMs). */
  backOff: boolean;
  /** The server did not answer: mark the address, probe the server now. */
  noAnswer: boolean;
}

/** The rules, as data: one row per policy (kafs-design §5.3). */
export const ROTATION_TABLE: Readonly<Record<RotationPolicy, RotationAction>> = {
  // RX_CALL_DEAD, local ETIMEDOUT/ECONNREFUSED...: the server's next address, then the next server.
  'next-address': { move: 'address', refreshVldb: false, backOff: false, noAnswer: true },
  // VOFFLINE, VSALVAGE, RX_CALL_TIMEOUT, VNOSERVICE...: this site cannot serve now.
  'next-server': { move: 'site', refreshVldb: false, backOff: false, noAnswer: false },
  // VNOVOL, VMOVED: the VLDB entry is stale.
  'refresh-vldb': { move: 'site', refreshVldb: true, backOff: false, noAnswer: false },
  // VBUSY, VRESTARTING, VSALVAGING: other sites, then wait and retry.
  busy: { move: 'site', refreshVldb: false, backOff: true, noAnswer: false },
  // RXGEN_OPCODE: the caller may retry with an older RPC; no other site would know it either.
  downgrade: { move: 'none', refreshVldb: false, backOff: false, noAnswer: false },
  // Permission, ENOENT, quota, translated errnos: the answer, not a site problem.
  fail: { move: 'none', refreshVldb: false, backOff: false, noAnswer: false },
};

/** The action for a failure (RX_CALL_TIMEOUT counts as no answer, though it moves to the next site). */
export function rotationAction(err: unknown, readOnly = false): RotationAction {
  const a = ROTATION_TABLE[classifyFailure(err, { readOnly })];
  if (err instanceof AfsError && err.afsCode === RX_CALL_TIMEOUT) return { ...a, noAnswer: true };
  return a;
}

const HEALTH_RANK: Record<HealthState, number> = { responsive: 0, unprobed: 1, unresponsive: 2 };

/** FNV-1a: a stable per-(client, server) number, so clients spread over equally good sites. */
function spread(clientUuid: string, serverUuid: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${clientUuid}/${serverUuid}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** RTTs within a factor of two count as equal (probe samples are noisy); null sorts last. */
function rttBucket(rtt: number | null): number {
  return rtt === null ? Number.MAX_SAFE_INTEGER : Math.round(Math.log2(Math.max(rtt, 0.25)));
}

/** The order in which the sites are tried: health, then RTT bucket, then the client's spread. */
export function orderSites(entries: readonly ServerListEntry[], clientUuid: string): Server[] {
  return entries
    .map((e) => {
      const s = e.server;
      return {
        s,
        rank: HEALTH_RANK[s.health.state],
        rtt: rttBucket(s.health.rttOf(s.addrs)),
        tie: spread(clientUuid, s.uuid),
      };
    })
    .sort((a, b) => a.rank - b.rank || a.rtt - b.rtt || a.tie - b.tie)
    .map((x) => x.s);
}

/** A probe older than this is repeated before a lone unresponsive server is given up on. */
const FRESH_PROBE_MS = 5_000;

/**
 * Run `fn` against the volume's servers until it succeeds or a failure is final. The caller holds a
 * use on the volume for the duration.
 */
export async function rotate<T>(
  volume: Volume,
  fn: (a: Attempt) => Promise<T>,
  opts: RotateOptions = {},
): Promise<T> {
  const net = volume.cell.net;
  const clock = net.clock;
  const busyUntil = clock.now() + (opts.busyLimitMs ?? 60_000);
  const timeouts = { ...DEFAULT_FS_TIMEOUTS, ...opts.timeouts };
  const longDead = timeouts.deadTime ?? 30_000;
  let vlRefreshed = false;
  let lastError: unknown;
  /** What was tried, for the final message: "127.1.0.2:7000 RX_CALL_DEAD". */
  const tried: string[] = [];
  for (let round = 0; round < 100; round++) {
    opts.signal?.throwIfAborted();
    await volume.ensureCurrent();
    let sites = orderSites(volume.servers.entries, net.options.clientUuid);
    if (opts.pinServer !== undefined) sites = sites.filter((s) => s.uuid === opts.pinServer);
    let sawBusy = false;
    let refresh = false;
    for (let i = 0; i < sites.length && !refresh; i++) {
      const server = sites[i]!;
      const othersLeft = sites.length - 1 - i;
      // Picks up a changed address list (the VLDB's uniquifier moved) before using the server.
      await server.checkRecord().catch(() => {});
      if (server.addrs.length === 0) continue;
      if (server.health.state === 'unresponsive' && othersLeft === 0) {
        // The last site is known not to answer: ask it once more before waiting a dead time.
        const probedAt = server.health.probedAt;
        if (probedAt === null || clock.now() - probedAt > FRESH_PROBE_MS)
          await server.probeNow('no_alternative');
        if (server.health.state === 'unresponsive') {
          for (const a of server.health.addresses(server.addrs))
            tried.push(`${a.addr} (unresponsive: ${a.error ?? 'no answer'})`);
          lastError = new AfsError('ETIMEDOUT', 'ETIMEDOUT: file server does not answer', {
            afsCode: RX_CALL_DEAD,
            afsName: 'RX_CALL_DEAD',
            syscall: opts.syscall,
            path: opts.path,
          });
          continue;
        }
      }
      for (let j = 0; j < server.addrs.length; j++) {
        const addr = server.addrs[j]!;
        const [host, port] = splitHostPort(addr, FS_PORT);
        const hasAlternative = othersLeft > 0 || j < server.addrs.length - 1;
        const deadTime = hasAlternative
          ? Math.min(longDead, shortDeadTime(server.health.rttOf([addr])))
          : longDead;
        const call = server.beginCall();
        try {
          const r = await fn({
            target: { host, port, serviceId: FS_SERVICE_ID, security: opts.security },
            server,
            timeouts: { ...timeouts, deadTime },
          });
          server.noteCallAnswered(addr);
          server.noteMayHaveCallbacks();
          return r;
        } catch (e) {
          lastError = e;
          if (opts.signal?.aborted) throw e;
          const action = rotationAction(e, opts.readOnly);
          if (action.move === 'none') throw e;
          tried.push(`${addr} ${e instanceof AfsError ? (e.afsName ?? e.code) : String(e)}`);
          if (action.noAnswer)
            server.noteCallFailed(addr, e instanceof AfsError ? (e.afsName ?? e.code) : 'error');
          else server.noteCallAnswered(addr);
          if (action.move === 'address') continue;
          if (action.refreshVldb && !vlRefreshed) {
            volume.noteAbort(e instanceof AfsError && e.afsCode === VMOVED ? 'VMOVED' : 'VNOVOL');
            refresh = true;
          }
          if (action.backOff) sawBusy = true;
          break;
        } finally {
          call.end();
        }
      }
    }
    if (refresh) {
      vlRefreshed = true;
      continue;
    }
    if (sawBusy && clock.now() < busyUntil) {
      // Every site busy or offline: OpenAFS sleeps 15 s; kAFS 1 s. Back off and start again.
      const base = opts.busyBackoffMs ?? 1000;
      await sleep(net.clock, Math.min(base * 2 ** Math.min(round, 3), 8 * base), opts.signal);
      continue;
    }
    break;
  }
  if (lastError === undefined) {
    throw new AfsError(
      'EDESTADDRREQ',
      `EDESTADDRREQ: no file server of volume ${volume.name} (${volume.volumeId}) has an address`,
      { syscall: opts.syscall, path: opts.path },
    );
  }
  throw exhausted(lastError, volume, tried);
}

/** The last failure, its message naming the volume and every address tried and how it failed. */
function exhausted(e: unknown, volume: Volume, tried: readonly string[]): unknown {
  if (!(e instanceof AfsError)) return e;
  const what = `volume ${volume.name} (${volume.volumeId}); tried ${tried.join(', ') || 'nothing'}`;
  return new AfsError(e.code, `${e.message}; ${what}`, {
    afsCode: e.afsCode,
    afsName: e.afsName,
    syscall: e.syscall,
    path: e.path,
    cause: e,
  });
}

function sleep(clock: Volume['cell']['net']['clock'], ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      t.cancel();
      reject(signal!.reason);
    };
    const t = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
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
