// What the record layer needs from the network, injected so records do not depend on Rx/RPC.
// The real implementation (VL/FS RPCs over Rx) lives with the RPC layer; tests use in-memory fakes.
// Every operation takes an AbortSignal: it is aborted when the record is destroyed or the Net closes,
// and an implementation must then reject promptly (with signal.reason or its own typed error).

/** The cell as the VL operations see it. */
export interface CellInfo {
  readonly name: string;
  /** VL server addresses, "host:port". */
  readonly vlServers: readonly string[];
}

/** The file server as the FS operations see it. */
export interface ServerInfo {
  readonly uuid: string;
  readonly cellName: string;
  /** Current addresses, "host:port" (FS port, normally 7000). */
  readonly addrs: readonly string[];
}

/** One site of a VLDB entry (uvldbentry: serverNumber as UUID, serverUnique, serverFlags). */
export interface VlSite {
  uuid: string;
  /** The VLDB's per-server registration counter; a change means the addresses changed. */
  uniquifier: number;
  /** VLSF_* flags of the site; compared to decide whether a server list changed. */
  flags: number;
}

export interface VlEntry {
  name: string;
  volumeId: number;
  sites: VlSite[];
}

export interface VlAddrs {
  /** "host:port"; an empty list means the VLDB knows no such server (AFSVL_NOENT). */
  addrs: string[];
  uniquifier: number;
}

export interface FsProbeResult {
  capabilities: number;
  /** false: no address answered (the record is still created, just not RESPONDING). */
  responded: boolean;
  /** Per address: its round trip (null: no answer) and why it failed. */
  addrs?: { addr: string; rttMs: number | null; error?: string }[];
}

/** A DNS (SRV/AFSDB) answer for a cell's VL servers. */
export interface VlServerAnswer {
  servers: string[];
  ttlSeconds: number;
}

export interface AfsRecordOps {
  /** VL.GetEntryByNameU by name or decimal volume id. Throws if the volume does not exist. */
  vlGetEntry(cell: CellInfo, nameOrId: string, signal: AbortSignal): Promise<VlEntry>;
  /** VL.GetAddrsU (or YFSVL.GetEndpoints) for one file server UUID. */
  vlGetAddrs(cell: CellInfo, uuid: string, signal: AbortSignal): Promise<VlAddrs>;
  /** FS.GetCapabilities at every address. Throws only on local failure. */
  fsProbe(server: ServerInfo, addrs: readonly string[], signal: AbortSignal): Promise<FsProbeResult>;
  /** FS.GiveUpAllCallBacks to one address, anonymous. */
  fsGiveUpAllCallBacks(server: ServerInfo, addr: string, signal: AbortSignal): Promise<void>;
  /** Optional DNS discovery of VL servers for cells configured without a static list. */
  resolveVlServers?(cellName: string, signal: AbortSignal): Promise<VlServerAnswer>;
}

/**
 * The application data on an Rx peer: which server record incoming calls from address:port belong
 * to. The record layer binds a server's addresses when it learns them and unbinds them when they
 * are dropped or the record is destroyed. `S` is the server record type.
 */
export interface PeerBinder<S = unknown> {
  bind(addr: string, server: S): void;
  unbind(addr: string, server: S): void;
}
