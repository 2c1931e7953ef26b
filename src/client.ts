// AfsClient: the public entry point. One client = one Rx endpoint (our outgoing calls and the
// callback service on the same socket), one client UUID, one Net of records (cells → volumes →
// server lists → servers), and `client.fs`, the node:fs/promises-shaped API over /afs paths.

import { type AfsConfig, describeSearch, loadAfsConfig } from './afs/afs-config.js';
import type { Cell } from './afs/cell.js';
import { warningText } from './afs/cellservdb.js';
import { cmDebugHandlers, describeEntry } from './afs/cm-debug.js';
import { CacheManagerService } from './afs/cmservice.js';
import { FileService } from './afs/fs-operation.js';
import type { ParallelFetchOptions } from './afs/fsclient.js';
import { Net } from './afs/net.js';
import type { WalkOps } from './afs/path.js';
import { RxPeerBinder, RxRecordOps } from './afs/rx-ops.js';
import type { Server } from './afs/server.js';
import { VnodeCache } from './afs/vcache.js';
import {
  AfsCellResolver,
  type AfsDnsOptions,
  dnsDiscoveryOptions,
  mayDiscover,
  withDnsDiscovery,
} from './afs/vl-dns.js';
import { VlRotation } from './afs/vl-rotate.js';
import { type AuthOption, resolveIdentity } from './auth/identity.js';
import { type LoginRequest, login } from './auth/login.js';
import { GuardedIdentity } from './auth/token-dead.js';
import { TokenStore } from './auth/token-store.js';
import type { Releasable } from './fs/context.js';
import { AfsFs } from './fs/promises.js';
import { AfsError } from './rpc/errors.js';
import { type AFSFid, uuidToString } from './rpc/types.js';
import { VL_PORT, type VldbEntry } from './rpc/vl.js';
import { RxEndpoint } from './rx/endpoint.js';
import type { SecurityClass } from './rx/security/types.js';
import type { DebugAnswers } from './rx/tuning.js';

export interface AfsClientOptions {
  /**
   * A CellServDB to read (it must exist), or false to read none. Default: searched as OpenAFS
   * does (afs-config.ts: /etc/openafs, /usr/vice/etc, $AFSCONF; CellServDB.local + .dist).
   */
  cellServDB?: string | false;
  /** A ThisCell to read, or false for none (nor $AFSCELL). Default: $AFSCELL, else ThisCell. */
  thisCell?: string | false;
  /** The configuration directories searched first (default /etc/openafs, /usr/vice/etc). */
  configDirs?: readonly string[];
  /**
   * Where a configuration line that was skipped is reported ("file:line: why"). Default: a
   * process warning (printed on stderr once per line).
   */
  onWarning?: (message: string) => void;
  /** Cells given in code: name → VL server addresses ("a.b.c.d" or "a.b.c.d:port"). */
  cells?: Record<string, string[]>;
  /** The local cell (overrides ThisCell). */
  cell?: string;
  /** Where the AFS namespace is rooted in paths (default "/afs"). */
  mount?: string;
  /** Local address and port of the Rx endpoint (default: every address, any port). */
  bind?: { host?: string; port?: number };
  /**
   * Who gets answers to rxdebug (DEBUG/VERSION packets) and cmdebug (cache entries, cells): they
   * disclose connection ids, cached FIDs and cells. Default 'loopback'; 'all' or 'none'.
   */
  debugAnswers?: DebugAnswers;
  /**
   * Who we are to the file servers: 'auto' (default) uses the token `tsafs login` stored for the
   * cell and is anonymous where there is none; 'anonymous'; a token; localauth (server KeyFile).
   */
  auth?: AuthOption;
  /** A security class for every cell's file servers (overrides `auth`; tests, custom classes). */
  security?: SecurityClass;
  /** Grace before unused server/volume/cell records are dropped (ms; default 10 s). */
  gcDelayMs?: number;
  /** Bytes of file data kept in memory (default 128 MiB); `false` turns the cache off entirely. */
  cacheSize?: number | false;
  /**
   * A directory where file data is also kept on disk, reused by later clients (after a restart
   * too) where the server still reports the same data version. Default: memory only.
   */
  cacheDir?: string;
  /**
   * How often responsive file servers are probed (ms; default 5 min, as kAFS; unresponsive ones
   * every 30 s or this, if shorter). A server that lost its state (restart) answers our next call
   * with InitCallBackState3, which drops its promises: the probe bounds how long a cached read
   * could miss that.
   */
  probeIntervalMs?: number;
  /**
   * A file-server call with no data moving either way for this long fails (ms; default 60 s),
   * even while the server answers pings; a silent server is given up sooner (dead time).
   */
  callIdleTimeoutMs?: number;
  /** How long a VLDB answer is reused (ms; default 10 min); VNOVOL/VMOVED refresh it sooner. */
  vldbTtlMs?: number;
  /**
   * Find cells not in the configuration by DNS (SRV `_afs3-vlserver._udp.<cell>`, then AFSDB), as
   * kAFS and `afsd -afsdb` do, for cells named explicitly (`/afs/<cell>/...`, `cell:`). On by
   * default with the system's nameservers; `false` turns it off (no name is then ever sent to a
   * resolver). Without this option, `TSAFS_DNS=off` or `TSAFS_DNS=<nameserver>,...` decides.
   */
  dns?: AfsDnsOptions | false;
}

export class AfsClient {
  private started: Promise<void> | undefined;
  private ep: RxEndpoint | undefined;
  private cmService: CacheManagerService | undefined;
  private netRecords: Net | undefined;
  private ops: RxRecordOps | undefined;
  private files: FileService | undefined;
  private readonly cellList = new Map<string, string[]>();
  private readonly cellRecords = new Map<string, Promise<Cell>>();
  private readonly identities = new Map<string, GuardedIdentity>();
  private readonly vldbCache = new Map<string, { entry: VldbEntry; at: number }>();
  /** Statuses and data, kept true by callbacks (undefined when turned off). */
  readonly cache: VnodeCache | undefined;
  private readonly vlByCell = new Map<string, VlRotation>();
  private readonly held = new Set<Releasable>();
  private localCell: string | undefined;
  /** The configuration read at start (files, cells, aliases, warnings, where it looked). */
  config: AfsConfig | undefined;
  private closing: Promise<void> | undefined;
  /** The node:fs/promises-shaped API. */
  readonly fs: AfsFs;
  readonly mount: string;
  /** DNS discovery of unknown cells (undefined: off). */
  readonly discovery: AfsDnsOptions | undefined;

  constructor(readonly options: AfsClientOptions = {}) {
    this.discovery = dnsDiscoveryOptions(options.dns);
    this.mount = (options.mount ?? '/afs').replace(/\/+$/, '') || '/afs';
    this.cache =
      options.cacheSize === false
        ? undefined
        : new VnodeCache(options.cacheSize ?? 128 << 20, Date.now, 100_000, options.cacheDir);
    const client = this;
    const walkOps: WalkOps = {
      // An unknown cell is an error saying where the configuration was looked for.
      knownCell: (name) => client.cellName(name) !== undefined,
      defaultCell: () => client.localCell,
      vldb: (cell, volume, signal) => client.vldbEntry(volume, cell, signal),
      fetchWhole: async (cell, fid, max, signal) =>
        client.fileService.fetchWhole(await client.cell(cell), fid, max, { signal }),
      fetchStatus: async (cell, fid, signal) =>
        (await client.fileService.fetchStatus(await client.cell(cell), fid, { signal })).status,
    };
    this.fs = new AfsFs({
      ready: () => client.start(),
      mount: this.mount,
      get files() {
        return client.fileService;
      },
      walkOps,
      cell: (name) => client.cell(name),
      cellNames: () => client.cells,
      vldb: (cell, volume, signal) => client.vldbEntry(volume, cell, signal),
      serverAddrs: async (cell, uuid, signal) => (await (await client.vl(cell)).getAddrs(uuid, signal)).addrs,
      hold: () => client.endpoint.hold(),
      track: (r) => {
        client.held.add(r);
        return () => client.held.delete(r);
      },
    });
  }

  /** Opens the endpoint and reads the cell configuration (every operation does this lazily). */
  start(): Promise<void> {
    if (this.closing) return Promise.reject(new AfsError('ERR_CLIENT_CLOSED', 'the client is closed'));
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    const o = this.options;
    const cfg = await loadAfsConfig({ cellServDB: o.cellServDB, thisCell: o.thisCell, dirs: o.configDirs });
    this.config = cfg;
    const warn = o.onWarning ?? ((m: string) => process.emitWarning(m, 'TsafsConfigWarning'));
    for (const w of cfg.warnings) warn(warningText(w));
    for (const c of cfg.cells.values())
      this.cellList.set(
        c.name,
        c.servers.map((s) => s.addr),
      );
    for (const [name, servers] of Object.entries(o.cells ?? {}))
      this.cellList.set(name.toLowerCase(), servers);
    if (o.cell) this.localCell = this.canonical(o.cell.toLowerCase());
    else if (cfg.thisCell) this.localCell = this.canonical(cfg.thisCell);
    const ep = await RxEndpoint.open({
      host: o.bind?.host,
      port: o.bind?.port,
      debugAnswers: o.debugAnswers,
    });
    this.ep = ep;
    const cache = this.cache;
    const peers = new RxPeerBinder<Server>(ep);
    this.cmService = new CacheManagerService(
      ep,
      undefined,
      cache
        ? cmDebugHandlers({
            cache,
            cellNames: () => [...this.cellList.keys()],
            cellServers: (name) => this.cellList.get(name) ?? [],
            localCell: () => this.localCell,
            serverAddr: (key) => this.serverAddr(key),
            readOnlyVolume: (cell, vol) => this.isReadOnlyVolume(cell, vol),
          })
        : {},
    );
    if (cache) {
      // Breaks go to the cells of the records bound to the calling peer, before the reply is sent.
      const each = (servers: readonly unknown[], fn: (s: Server) => void) => {
        for (const s of servers as Server[]) {
          const call = s.beginCall('use_cm_call');
          try {
            fn(s);
          } finally {
            call.end();
          }
        }
      };
      this.cmService.sink = {
        breakFids: (servers, fids) =>
          each(servers, (s) => {
            for (const f of fids) cache.breakFid(s.cell.name, f);
          }),
        breakVolumes: (servers, vols) =>
          each(servers, (s) => {
            for (const v of vols) cache.breakVolume(s.cell.name, v);
          }),
        resetServer: (servers, _peer, uuid) =>
          each(servers, (s) => {
            // InitCallBackState3 names the server: only that record's promises go.
            if (uuid && uuidToString(uuid) !== s.uuid) return;
            cache.breakServer(`${s.cell.name}/${s.uuid}`);
          }),
      };
    }
    this.ops = new RxRecordOps(ep);
    const resolver = this.discovery ? new AfsCellResolver(this.discovery) : undefined;
    const gc = o.gcDelayMs;
    this.netRecords = new Net({
      ops: resolver ? withDnsDiscovery(this.ops, resolver) : this.ops,
      peers,
      closeTransport: () => ep.close(),
      // A removed server record gave its promises back (GiveUpAllCallBacks): stop trusting them.
      onServerExpired: (s) => cache?.breakServer(`${s.cell.name}/${s.uuid}`),
      // A restarted server answers the probe with InitCallBackState3, which drops its promises.
      probeSlowMs: o.probeIntervalMs,
      clientUuid: this.cmService.uuidString,
      ...(gc === undefined ? {} : { serverGcDelayMs: gc, volumeGcDelayMs: gc, cellGcDelayMs: gc }),
    });
    this.files = new FileService(
      ep,
      (cell) => o.security ?? this.identities.get(cell)?.security(),
      this.netRecords.signal,
      cache,
      // A token the server declares dead becomes "run tsafs login" and is not offered again.
      (cell, e) => this.identities.get(cell)?.check(e) ?? e,
      o.callIdleTimeoutMs === undefined ? undefined : { idleTimeout: o.callIdleTimeoutMs },
    );
  }

  private ready<T>(v: T | undefined): T {
    if (v === undefined)
      throw new AfsError('ENOTCONN', 'ENOTCONN: the client has not started (await client.start())');
    return v;
  }

  get endpoint(): RxEndpoint {
    return this.ready(this.ep);
  }

  get cm(): CacheManagerService {
    return this.ready(this.cmService);
  }

  get net(): Net {
    return this.ready(this.netRecords);
  }

  private get fileService(): FileService {
    return this.ready(this.files);
  }

  /** The cell names this client knows (configured, and found by DNS). */
  get cells(): string[] {
    const names = new Set(this.cellList.keys());
    for (const c of this.netRecords?.cells.values() ?? []) if (c.vlServers.length) names.add(c.name);
    return [...names];
  }

  /** VL servers of a cell: configured, or what DNS said (the record refreshes them). */
  private vlServersOf(name: string): readonly string[] {
    return this.cellList.get(name) ?? this.netRecords?.cells.get(name)?.vlServers ?? [];
  }

  private discoverable(name: string): boolean {
    return this.discovery !== undefined && mayDiscover(name);
  }

  get thisCell(): string | undefined {
    return this.localCell;
  }

  /** A cell name with CellAlias applied. */
  private canonical(name: string): string {
    return this.config?.aliases.get(name) ?? name;
  }

  private cellName(cell?: string): string {
    const given = (cell ?? this.localCell)?.toLowerCase();
    if (!given) {
      throw new AfsError(
        'EDESTADDRREQ',
        'EDESTADDRREQ: no cell named and no local cell configured; name one (--cell, /afs/<cell>/...), ' +
          `set AFSCELL, or write it into /etc/openafs/ThisCell (${this.searchText()})`,
      );
    }
    const name = this.canonical(given);
    if (!this.cellList.has(name) && !this.discoverable(name)) {
      const dns = this.discovery ? 'not a DNS name to look up' : 'DNS discovery is off';
      throw new AfsError(
        'ENOENT',
        `ENOENT: unknown cell '${name}': not configured, ${dns}; add it to CellServDB (${this.searchText()})`,
        { path: name },
      );
    }
    return name;
  }

  private searchText(): string {
    return this.config ? describeSearch(this.config) : 'configuration not read yet';
  }

  /** The cell's record (the client holds a use on it until close). */
  async cell(name?: string): Promise<Cell> {
    await this.start();
    const key = this.cellName(name);
    let p = this.cellRecords.get(key);
    if (!p) {
      const servers = (this.cellList.get(key) ?? []).map((s) => (s.includes(':') ? s : `${s}:${VL_PORT}`));
      const configured = this.cellList.has(key);
      p = (async () => {
        if (!this.options.security) {
          this.identities.set(key, new GuardedIdentity(await resolveIdentity(this.options.auth, key), key));
        }
        if (configured) return this.net.lookupCell(key, { vlServers: servers, noGc: true });
        // A cell found by DNS: its manager asks DNS and keeps the answer for its TTL.
        const cell = await this.net.lookupCell(key, { noGc: true });
        await cell.whenSettled();
        if (cell.vlServers.length === 0) {
          cell.unuseCell('unuse_lookup');
          throw new AfsError(
            'ENOENT',
            `ENOENT: no cell '${key}': not configured, and DNS knows no VL servers for it (${this.searchText()})`,
            {
              path: key,
            },
          );
        }
        return cell;
      })();
      this.cellRecords.set(key, p);
      p.catch(() => this.cellRecords.delete(key));
    }
    return p;
  }

  /** VL rotation for a cell (for VLDB questions outside the record layer). */
  async vl(cell?: string): Promise<VlRotation> {
    await this.start();
    const name = this.cellName(cell);
    // A cell found by DNS has its VL servers in its record: make sure the record exists.
    if (!this.cellList.has(name)) await this.cell(name);
    let r = this.vlByCell.get(name);
    if (!r) {
      r = new VlRotation(this.endpoint, () => this.vlServersOf(name));
      this.vlByCell.set(name, r);
    }
    return r;
  }

  /** The VLDB entry of a volume by name or numeric id (reused for vldbTtlMs). */
  async vldbEntry(volume: string | number, cell?: string, signal?: AbortSignal): Promise<VldbEntry> {
    const vl = await this.vl(cell);
    const key = `${this.cellName(cell)}/${volume}`;
    const hit = this.vldbCache.get(key);
    const ttl = this.options.vldbTtlMs ?? 600_000;
    if (hit && Date.now() - hit.at < ttl) return hit.entry;
    const entry = await vl.getEntry(String(volume), signal);
    this.vldbCache.set(key, { entry, at: Date.now() });
    return entry;
  }

  /** Forget cached VLDB answers (all, or one cell's). */
  forgetVldb(cell?: string): void {
    for (const k of [...this.vldbCache.keys()])
      if (!cell || k.startsWith(`${cell}/`)) this.vldbCache.delete(k);
  }

  private serverAddr(key: string): string | undefined {
    const [cellName, uuid] = key.split('/');
    const cell = this.netRecords?.cells.get(cellName ?? '');
    return cell?.fsServers.get(uuid ?? '')?.addrs[0];
  }

  private isReadOnlyVolume(cell: string, volume: number): boolean {
    const name = this.netRecords?.cells.get(cell)?.volumes.get(volume)?.name ?? '';
    return name.endsWith('.readonly') || name.endsWith('.backup');
  }

  /** Read a whole file (or a range) by FID, streaming to `sink`. */
  async fetchByFid(
    fid: AFSFid,
    sink: (chunk: Buffer) => void | Promise<void>,
    opts: ParallelFetchOptions & { cell?: string; pos?: number; length?: number } = {},
  ): Promise<{ total: number; length: number }> {
    const cell = await this.cell(opts.cell);
    const r = await this.fileService.fetchData(
      cell,
      fid,
      opts.pos ?? 0,
      opts.length ?? Number.MAX_SAFE_INTEGER,
      sink,
      opts,
    );
    return { total: r.total, length: r.status.length };
  }

  /**
   * Log in to a cell (default: the local cell) from Kerberos, as `tsafs login` does: a keytab, a
   * password, or the TGT in a credential cache (`ccache`, default KRB5CCNAME). The token goes to
   * the token store this client uses (`auth: { store }`, else the default one, where other tsafs
   * processes find it) and is used by this client from now on. Resolves with the token.
   */
  async login(req: Omit<LoginRequest, 'cell' | 'password' | 'store'> & { cell?: string; password?: string }) {
    await this.start();
    const cell = this.cellName(req.cell);
    const a = this.options.auth;
    const store =
      a && typeof a === 'object' && 'store' in a
        ? typeof a.store === 'string'
          ? new TokenStore(a.store)
          : a.store
        : new TokenStore();
    const { password, ...rest } = req;
    const token = await login({
      ...rest,
      cell,
      store,
      ...(password !== undefined ? { password: async () => password } : {}),
    });
    if (!this.options.security) {
      const level = a && typeof a === 'object' && 'level' in a ? a.level : undefined;
      this.identities.set(cell, new GuardedIdentity(await resolveIdentity({ token, level }, cell), cell));
    }
    return token;
  }

  /** Who this client is in a cell ("anonymous" or the token's description; no secrets). */
  async whoami(cell?: string): Promise<string> {
    const c = await this.cell(cell);
    return this.options.security
      ? this.options.security.name
      : (this.identities.get(c.name)?.description ?? 'anonymous');
  }

  /** The records and cache as they are now (the /proc/net/afs of tsafs). */
  inspect() {
    const cache = this.cache;
    const src = cache && {
      cache,
      cellNames: () => [...this.cellList.keys()],
      cellServers: (name: string) => this.cellList.get(name) ?? [],
      localCell: () => this.localCell,
      serverAddr: (key: string) => this.serverAddr(key),
      readOnlyVolume: (c: string, v: number) => this.isReadOnlyVolume(c, v),
    };
    return {
      ...this.net.inspect(),
      cache: src ? cache.entries().map((e, i) => ({ cellName: e.cell, ...describeEntry(src, e, i) })) : [],
      cacheStats: cache ? { ...cache.stats } : undefined,
    };
  }

  /**
   * Release held locks, give back the cells, let every record go (GiveUpAllCallBacks to servers
   * that may hold callbacks), close the endpoint. With `timeout`, never waits longer: it then
   * rejects with a leak error naming what is still alive, with every socket and timer released.
   */
  close(opts: { timeout?: number } = {}): Promise<void> {
    this.closing ??= this.doClose(opts.timeout ?? 15_000);
    return this.closing;
  }

  private async doClose(timeout: number): Promise<void> {
    if (!this.started) return;
    await this.started.catch(() => {});
    for (const r of [...this.held]) await r.release().catch(() => {});
    // Chunk files still being written to the disk cache are finished before we go.
    await this.cache?.flush();
    for (const p of this.cellRecords.values()) {
      const c = await p.catch(() => undefined);
      c?.unuseCell('unuse_lookup');
    }
    this.cellRecords.clear();
    if (this.netRecords) await this.netRecords.close({ timeout });
    else await this.ep?.close();
  }
}
