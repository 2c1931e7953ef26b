// The record layer's network operations done for real: VL lookups through the cell's VL servers,
// FS.GetCapabilities probes and FS.GiveUpAllCallBacks over the client's Rx endpoint, and the binding
// of file-server addresses to records on the Rx peers (so incoming callback calls find their record).

import { callRpc } from '../rpc/client.js';
import { AfsError, VL_NOENT } from '../rpc/errors.js';
import { FS, FS_PORT, FS_SERVICE_ID } from '../rpc/fs.js';
import { uuidFromString, uuidToString } from '../rpc/types.js';
import { VLSF_BACKVOL, VLSF_DONTUSE, VLSF_ROVOL, VLSF_RWVOL, type VldbEntry } from '../rpc/vl.js';
import type { RxEndpoint } from '../rx/endpoint.js';
import type { SecurityClass } from '../rx/security/types.js';
import { splitVolumeSuffix } from './mountpoint.js';
import type {
  AfsRecordOps,
  CellInfo,
  FsProbeResult,
  PeerBinder,
  ServerInfo,
  VlAddrs,
  VlEntry,
} from './ops.js';
import { type PeerBound, PeerMap } from './peer-map.js';
import { splitHostPort, VlRotation } from './vl-rotate.js';

export interface RxOpsOptions {
  /** Security for VL calls (the VLDB is world-readable; rxnull is the usual choice). */
  vlSecurity?: SecurityClass;
  probeTimeoutMs?: number;
}

/** A full VLDB answer kept beside the record layer's trimmed one, by "cell/name-or-id". */
export type EntryCache = Map<string, VldbEntry>;

export type VolumeKind = 'rw' | 'ro' | 'bk';

/** Which instance a name or id asks for, and that instance's id. */
export function pickInstance(entry: VldbEntry, nameOrId: string): { kind: VolumeKind; id: number } {
  if (/^\d+$/.test(nameOrId)) {
    const id = Number(nameOrId);
    if (id === entry.volumeIds.ro) return { kind: 'ro', id };
    if (id === entry.volumeIds.bk) return { kind: 'bk', id };
    return { kind: 'rw', id: entry.volumeIds.rw };
  }
  const { type } = splitVolumeSuffix(nameOrId);
  const kind = type ?? 'rw';
  return { kind, id: entry.volumeIds[kind] };
}

/** The VLDB sites that serve an instance: RO sites for RO, the RW site for RW and backup. */
export function sitesFor(entry: VldbEntry, kind: VolumeKind) {
  const want = kind === 'ro' ? VLSF_ROVOL : VLSF_RWVOL;
  return entry.sites.filter((s) => (s.flags & want) !== 0 && !(kind === 'ro' && s.flags & VLSF_DONTUSE));
}

export class RxRecordOps implements AfsRecordOps {
  private readonly vl = new Map<string, VlRotation>();
  readonly entries: EntryCache = new Map();

  constructor(
    private readonly ep: RxEndpoint,
    private readonly opts: RxOpsOptions = {},
  ) {}

  private rotation(cell: CellInfo): VlRotation {
    let r = this.vl.get(cell.name);
    if (!r) {
      r = new VlRotation(this.ep, () => cell.vlServers, { security: this.opts.vlSecurity });
      this.vl.set(cell.name, r);
    }
    return r;
  }

  /** The full VLDB entry (the record layer keeps only what its lifecycle needs). */
  async vldb(cell: CellInfo, nameOrId: string, signal?: AbortSignal): Promise<VldbEntry> {
    const { base } = splitVolumeSuffix(nameOrId);
    const entry = await this.rotation(cell).getEntry(/^\d+$/.test(nameOrId) ? nameOrId : base, signal);
    this.entries.set(`${cell.name}/${nameOrId}`, entry);
    return entry;
  }

  async vlGetEntry(cell: CellInfo, nameOrId: string, signal: AbortSignal): Promise<VlEntry> {
    const entry = await this.vldb(cell, nameOrId, signal);
    const { kind, id } = pickInstance(entry, nameOrId);
    if (!id)
      throw new AfsError('ENOENT', `ENOENT: volume ${nameOrId} has no ${kind} instance`, {
        afsName: 'VL_NOENT',
      });
    const sites = sitesFor(entry, kind).map((s) => ({
      uuid: s.uuid ? uuidToString(s.uuid) : `addr:${s.addr}`,
      uniquifier: s.unique,
      flags: s.flags & (VLSF_RWVOL | VLSF_ROVOL | VLSF_BACKVOL | VLSF_DONTUSE),
    }));
    return {
      name: entry.name + (kind === 'rw' ? '' : kind === 'ro' ? '.readonly' : '.backup'),
      volumeId: id,
      sites,
    };
  }

  async vlGetAddrs(cell: CellInfo, uuid: string, signal: AbortSignal): Promise<VlAddrs> {
    if (uuid.startsWith('addr:')) {
      // A pre-UUID VLDB site: the address is the server.
      const n = Number(uuid.slice(5));
      return {
        addrs: [`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}:${FS_PORT}`],
        uniquifier: 0,
      };
    }
    try {
      const r = await this.rotation(cell).getAddrs(uuidFromString(uuid), signal);
      return { addrs: r.addrs.map((a) => `${a}:${FS_PORT}`), uniquifier: r.uniquifier };
    } catch (e) {
      if (e instanceof AfsError && e.afsCode === VL_NOENT) return { addrs: [], uniquifier: 0 };
      throw e;
    }
  }

  async fsProbe(_server: ServerInfo, addrs: readonly string[], signal: AbortSignal): Promise<FsProbeResult> {
    let capabilities = 0;
    const results = await Promise.all(
      addrs.map(async (addr) => {
        const [host, port] = splitHostPort(addr, FS_PORT);
        const t0 = performance.now();
        try {
          const r = await callRpc(
            this.ep,
            { host, port, serviceId: FS_SERVICE_ID },
            FS.GetCapabilities,
            {},
            {
              signal,
              // A server silent for 3 s is unresponsive (kAFS waits 2 s for a probe).
              timeouts: { deadTime: 3_000, hardDeadline: this.opts.probeTimeoutMs ?? 10_000 },
            },
          );
          capabilities = r.capabilities[0] ?? 0;
          return { addr, rttMs: performance.now() - t0 };
        } catch (e) {
          // Any abort from the server is an answer: it is up (kAFS fs_probe.c).
          const code = e instanceof AfsError ? e.afsCode : undefined;
          if (code !== undefined && (code > 0 || code < -100)) return { addr, rttMs: performance.now() - t0 };
          return { addr, rttMs: null, error: (e as { code?: string })?.code ?? String(e) };
        }
      }),
    );
    return { capabilities, responded: results.some((r) => r.rttMs !== null), addrs: results };
  }

  async fsGiveUpAllCallBacks(_server: ServerInfo, addr: string, signal: AbortSignal): Promise<void> {
    const [host, port] = splitHostPort(addr, FS_PORT);
    await callRpc(
      this.ep,
      { host, port, serviceId: FS_SERVICE_ID },
      FS.GiveUpAllCallBacks,
      {},
      {
        signal,
        timeouts: { deadTime: 4_000, hardDeadline: 10_000 },
      },
    );
  }
}

/**
 * Peer bindings kept in a PeerMap (the rule for addresses shared by two records lives there) and
 * mirrored onto the Rx peer's application data, where the callback service reads them.
 */
export class RxPeerBinder<S extends PeerBound> implements PeerBinder<S> {
  readonly map = new PeerMap<S>();

  constructor(private readonly ep: RxEndpoint) {}

  bind(addr: string, server: S): void {
    this.map.bind(addr, server);
    this.mirror(addr);
  }

  unbind(addr: string, server: S): void {
    this.map.unbind(addr, server);
    this.mirror(addr);
  }

  private mirror(addr: string): void {
    const [host, port] = splitHostPort(addr, FS_PORT);
    const all = this.map.lookupAll(addr);
    const peer = all.length ? this.ep.peer(host, port) : this.ep.findPeer(host, port);
    if (peer) peer.appData = all.length ? all : undefined;
  }
}
