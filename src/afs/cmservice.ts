// The cache-manager (callback) service a file server calls on our own endpoint (service 1).
// A file server will not run our first call until this answers: TellMeAboutYourself (or WhoAreYou),
// then InitCallBackState3. Incoming calls are mapped to their file-server record through the Rx
// peer they came from (peer.appData); a call from an unmapped peer is answered safely and touches
// no record's state. Breaks are applied before the reply is sent: the server withholds the change
// from others until we answer.

import { randomBytes } from 'node:crypto';
import { CB, CB_SERVICE_ID, CB_UUID_MISMATCH, cbService, isVolumeBreak } from '../rpc/cb.js';
import { type Handlers, RpcAbort, serveRpc } from '../rpc/client.js';
import { type AFSFid, CLIENT_CAPABILITY_ERRORTRANS, uuidToString } from '../rpc/types.js';
import { debugAllowed } from '../rx/debug-server.js';
import type { RxEndpoint } from '../rx/endpoint.js';
import { RXGEN_OPCODE } from '../rx/errors.js';
import type { RxPeer } from '../rx/peer.js';
import type { DebugAnswers } from '../rx/tuning.js';

/**
 * Where breaks and state resets go (the callback/vnode cache). `servers` are the records bound to
 * the calling peer (peer.appData); never empty: calls from unmapped peers do not reach the sink.
 */
export interface CallbackSink {
  breakFids(servers: readonly unknown[], fids: AFSFid[], peer: RxPeer): void;
  breakVolumes(servers: readonly unknown[], volumeIds: number[], peer: RxPeer): void;
  /** The server lost (or dropped) every promise it made us; InitCallBackState3 names its UUID. */
  resetServer(servers: readonly unknown[], peer: RxPeer, serverUuid?: Buffer): void;
}

/** The records bound to a peer: RxPeerBinder keeps an array there; anything else counts as one. */
export function peerServers(peer: RxPeer): readonly unknown[] {
  const d = peer.appData;
  if (d === undefined || d === null) return [];
  return Array.isArray(d) ? d : [d];
}

/** Optional answers for cmdebug's questions (GetCE64, GetCacheConfig, ...); filled by the cache layer. */
export type DebugHandlers = Omit<
  Handlers<typeof cbService>,
  | 'CallBack'
  | 'InitCallBackState'
  | 'InitCallBackState3'
  | 'Probe'
  | 'ProbeUuid'
  | 'WhoAreYou'
  | 'TellMeAboutYourself'
>;

export interface CmStats {
  calls: number;
  breaks: number;
  volumeBreaks: number;
  unmappedBreaks: number;
  resets: number;
  unmappedResets: number;
  probes: number;
  identityQueries: number;
}

/**
 * cmdebug's answers disclose every cached FID and configured cell: they go only to the peers the
 * endpoint's debug policy allows; others are told the RPC does not exist (RXGEN_OPCODE).
 */
function guardDebug(debug: DebugHandlers, policy: () => DebugAnswers): DebugHandlers {
  const out: Record<string, unknown> = {};
  for (const [name, h] of Object.entries(debug) as [string, (inc: { peer: RxPeer }) => unknown][]) {
    if (!h) continue;
    out[name] = (inc: { peer: RxPeer }) => {
      if (!debugAllowed(policy(), inc.peer.host)) throw new RpcAbort(RXGEN_OPCODE, 'debug answers refused');
      return h(inc);
    };
  }
  return out as DebugHandlers;
}

/** A version-4 (random) UUID, one per client: file servers key our callbacks by it. */
export function newClientUuid(): Buffer {
  const u = randomBytes(16);
  u[6] = (u[6]! & 0x0f) | 0x40;
  u[8] = (u[8]! & 0x3f) | 0x80;
  return u;
}

export class CacheManagerService {
  readonly stats: CmStats = {
    calls: 0,
    breaks: 0,
    volumeBreaks: 0,
    unmappedBreaks: 0,
    resets: 0,
    unmappedResets: 0,
    probes: 0,
    identityQueries: 0,
  };
  sink: CallbackSink | undefined;
  /** The last FIDs broken by mapped servers, newest last (bounded; for inspection and tests). */
  readonly recentBreaks: AFSFid[] = [];

  constructor(
    readonly endpoint: RxEndpoint,
    readonly uuid: Buffer = newClientUuid(),
    debug: DebugHandlers = {},
  ) {
    const identity = () => {
      this.stats.identityQueries++;
      // Zero interfaces: advertised addresses would be probed on port 7001, where we do not listen.
      return { addr: { uuid: this.uuid, interfaces: [] } };
    };
    const handlers: Handlers<typeof cbService> = {
      ...guardDebug(debug, () => endpoint.debugAnswers),
      CallBack: ({ args, peer }) => {
        this.count();
        const servers = peerServers(peer);
        const fids: AFSFid[] = [];
        const vols: number[] = [];
        for (const f of args.fids) {
          if (f.volume === 0) continue; // OpenAFS ignores these too
          if (isVolumeBreak(f)) vols.push(f.volume);
          else fids.push(f);
        }
        if (servers.length === 0) {
          // Not a server we called: answer, touch nothing.
          this.stats.unmappedBreaks += args.fids.length;
          return {};
        }
        this.stats.breaks += fids.length;
        this.stats.volumeBreaks += vols.length;
        for (const f of args.fids) {
          this.recentBreaks.push({ ...f });
          if (this.recentBreaks.length > 256) this.recentBreaks.shift();
        }
        if (fids.length) this.sink?.breakFids(servers, fids, peer);
        if (vols.length) this.sink?.breakVolumes(servers, vols, peer);
        return {};
      },
      InitCallBackState: ({ peer }) => {
        this.reset(peer);
        return {};
      },
      InitCallBackState3: ({ args, peer }) => {
        this.reset(peer, args.serverUuid);
        return {};
      },
      Probe: () => {
        this.count();
        this.stats.probes++;
        return {};
      },
      ProbeUuid: ({ args }) => {
        this.count();
        this.stats.probes++;
        if (!Buffer.from(args.clientUuid).equals(this.uuid))
          throw new RpcAbort(CB_UUID_MISMATCH, 'not our UUID');
        return {};
      },
      WhoAreYou: () => {
        this.count();
        return identity();
      },
      TellMeAboutYourself: () => {
        this.count();
        return { ...identity(), capabilities: [CLIENT_CAPABILITY_ERRORTRANS] };
      },
    };
    serveRpc(endpoint, CB_SERVICE_ID, cbService, handlers);
  }

  get uuidString(): string {
    return uuidToString(this.uuid);
  }

  private count(): void {
    this.stats.calls++;
  }

  private reset(peer: RxPeer, serverUuid?: Buffer): void {
    this.count();
    const servers = peerServers(peer);
    if (servers.length === 0) {
      // kAFS dereferenced a missing server here (CVE-2026-74425): we only count it.
      this.stats.unmappedResets++;
      return;
    }
    this.stats.resets++;
    this.sink?.resetServer(servers, peer, serverUuid ? Buffer.from(serverUuid) : undefined);
  }
}

export { CB };
