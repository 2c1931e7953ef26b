// AfsClient: the public entry point. One client = one Rx endpoint (our outgoing calls and the
// callback service on the same socket), one client UUID, and the cells it knows from CellServDB,
// ThisCell or an in-code list.

import {
  type CellConfig,
  DEFAULT_CELLSERVDB,
  DEFAULT_THISCELL,
  loadCellServDB,
  loadThisCell,
} from './afs/cellservdb.js';
import { CacheManagerService } from './afs/cmservice.js';
import { FS_PORT, FS_SERVICE_ID, fetchRange, type ParallelFetchOptions } from './afs/fsclient.js';
import { VlRotation } from './afs/vl-rotate.js';
import { AfsError } from './rpc/errors.js';
import type { AFSFid } from './rpc/types.js';
import { VLSF_RWVOL, type VldbEntry } from './rpc/vl.js';
import { RxEndpoint } from './rx/endpoint.js';
import type { SecurityClass } from './rx/security/types.js';

export interface AfsClientOptions {
  /** Path of CellServDB (default /etc/openafs/CellServDB), or false to read none. */
  cellServDB?: string | false;
  /** Path of ThisCell (default /etc/openafs/ThisCell), or false. */
  thisCell?: string | false;
  /** Cells given in code: name → VL server addresses ("a.b.c.d" or "a.b.c.d:port"). */
  cells?: Record<string, string[]>;
  /** The local cell (overrides ThisCell). */
  cell?: string;
  /** Local address and port of the Rx endpoint. */
  bind?: { host?: string; port?: number };
  /** Security for VL and FS calls (default rxnull: anonymous, only because it was asked for). */
  security?: SecurityClass;
}

export class AfsClient {
  private started: Promise<void> | undefined;
  private ep: RxEndpoint | undefined;
  private cmService: CacheManagerService | undefined;
  private cellList = new Map<string, string[]>();
  private localCell: string | undefined;
  private readonly vlByCell = new Map<string, VlRotation>();
  private closed = false;

  constructor(readonly options: AfsClientOptions = {}) {}

  /** Opens the endpoint and reads the cell configuration (done lazily by every operation). */
  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    const o = this.options;
    if (o.cellServDB !== false) {
      try {
        const db = await loadCellServDB(o.cellServDB ?? DEFAULT_CELLSERVDB);
        for (const c of db.values()) this.cellList.set(c.name, serversOf(c));
      } catch (e) {
        if (o.cellServDB !== undefined) throw e; // an explicit path must exist; the default may not
      }
    }
    for (const [name, servers] of Object.entries(o.cells ?? {}))
      this.cellList.set(name.toLowerCase(), servers);
    if (o.cell) this.localCell = o.cell.toLowerCase();
    else if (o.thisCell !== false) {
      try {
        this.localCell = await loadThisCell(o.thisCell ?? DEFAULT_THISCELL);
      } catch (e) {
        if (o.thisCell !== undefined) throw e;
      }
    }
    this.ep = await RxEndpoint.open({ host: o.bind?.host, port: o.bind?.port });
    this.cmService = new CacheManagerService(this.ep);
  }

  get endpoint(): RxEndpoint {
    if (!this.ep)
      throw new AfsError('ENOTCONN', 'ENOTCONN: the client has not started (await client.start())');
    return this.ep;
  }

  get cm(): CacheManagerService {
    if (!this.cmService) throw new AfsError('ENOTCONN', 'ENOTCONN: the client has not started');
    return this.cmService;
  }

  /** The cell names this client knows. */
  get cells(): string[] {
    return [...this.cellList.keys()];
  }

  get thisCell(): string | undefined {
    return this.localCell;
  }

  private cellName(cell?: string): string {
    const name = (cell ?? this.localCell)?.toLowerCase();
    if (!name) throw new AfsError('EDESTADDRREQ', 'EDESTADDRREQ: no cell named and no local cell configured');
    if (!this.cellList.has(name))
      throw new AfsError('ENOENT', `ENOENT: unknown cell '${name}'`, { path: name });
    return name;
  }

  /** VL rotation for a cell. */
  async vl(cell?: string): Promise<VlRotation> {
    await this.start();
    const name = this.cellName(cell);
    let r = this.vlByCell.get(name);
    if (!r) {
      r = new VlRotation(this.endpoint, () => this.cellList.get(name) ?? [], {
        security: this.options.security,
      });
      this.vlByCell.set(name, r);
    }
    return r;
  }

  /** The VLDB entry of a volume by name or numeric id. */
  async vldbEntry(volume: string | number, cell?: string, signal?: AbortSignal): Promise<VldbEntry> {
    return (await this.vl(cell)).getEntry(String(volume), signal);
  }

  /** The address of the server holding the RW instance of a volume. */
  async fileServerFor(entry: VldbEntry, cell?: string, signal?: AbortSignal): Promise<string> {
    const site = entry.sites.find((s) => s.flags & VLSF_RWVOL) ?? entry.sites[0];
    if (!site) throw new AfsError('ENXIO', `ENXIO: volume ${entry.name} has no sites`);
    if (site.addr !== null) return ipString(site.addr);
    const r = await (await this.vl(cell)).getAddrs(site.uuid!, signal);
    if (r.addrs.length === 0)
      throw new AfsError('EHOSTUNREACH', `EHOSTUNREACH: no addresses for server of ${entry.name}`);
    return r.addrs[0]!;
  }

  /** Read a whole file (or a range) by FID, streaming to `sink`. Returns bytes read. */
  async fetchByFid(
    fid: AFSFid,
    sink: (chunk: Buffer) => void | Promise<void>,
    opts: ParallelFetchOptions & { cell?: string; pos?: number; length?: number } = {},
  ): Promise<{ total: number; length: number }> {
    const entry = await this.vldbEntry(fid.volume, opts.cell, opts.signal);
    const host = await this.fileServerFor(entry, opts.cell, opts.signal);
    const t = { host, port: FS_PORT, serviceId: FS_SERVICE_ID, security: this.options.security };
    const r = await fetchRange(
      this.endpoint,
      t,
      fid,
      opts.pos ?? 0,
      opts.length ?? Number.MAX_SAFE_INTEGER,
      sink,
      opts,
    );
    return { total: r.total, length: r.status.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.started) await this.started.catch(() => {});
    await this.ep?.close();
  }
}

function serversOf(c: CellConfig): string[] {
  return c.servers.map((s) => s.addr);
}

function ipString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
