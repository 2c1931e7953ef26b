// An endpoint's records of its peers and connections, with the bounds that keep a flood of new
// source addresses or connection ids from growing them: server connections are capped per peer and
// in total (idle ones go first, then those of peers that never proved their address), and peers
// with neither connections nor application data are forgotten.

import type { RxConnection } from './connection.js';
import { RxPeer } from './peer.js';
import type { RxLimits } from './tuning.js';

/** Records unused this long are swept (ms). */
const IDLE_RECORD_MS = 300_000;

export class ConnTable {
  private readonly peers = new Map<string, RxPeer>();
  /** Our client connections by cid (channel bits clear). */
  readonly clientConns = new Map<number, RxConnection>();
  /** Client connections with room, by peer+service+security. */
  private readonly pools = new Map<string, RxConnection[]>();
  /** Server connections by peer, epoch and cid, oldest first. */
  private readonly serverConns = new Map<string, RxConnection>();
  /** Server connections of each peer, oldest first. */
  private readonly serverConnsOf = new Map<RxPeer, RxConnection[]>();
  /** Connections (client and server) held on each peer. */
  private readonly connCount = new Map<RxPeer, number>();
  private readonly keyOf = new WeakMap<RxConnection, string>();
  evictions = 0;

  constructor(private readonly limits: RxLimits) {}

  get peerCount(): number {
    return this.peers.size;
  }

  get serverConnCount(): number {
    return this.serverConns.size;
  }

  peer(host: string, port: number): RxPeer {
    const key = `${host}:${port}`;
    let p = this.peers.get(key);
    if (!p) {
      if (this.peers.size >= this.limits.maxPeers) this.evictPeer();
      p = new RxPeer(host, port);
      this.peers.set(key, p);
    }
    return p;
  }

  findPeer(host: string, port: number): RxPeer | undefined {
    return this.peers.get(`${host}:${port}`);
  }

  /** The index-th peer (rxdebug walks them by index), without copying the table. */
  peerAt(index: number): RxPeer | undefined {
    return nth(this.peers.values(), index);
  }

  /** The index-th connection, client ones first, optionally only those with calls in progress. */
  connAt(index: number, activeOnly: boolean): RxConnection | undefined {
    let i = 0;
    for (const table of [this.clientConns, this.serverConns]) {
      for (const c of table.values()) {
        if (activeOnly && c.activeCalls === 0) continue;
        if (i++ === index) return c;
      }
    }
    return undefined;
  }

  allPeers(): IterableIterator<RxPeer> {
    return this.peers.values();
  }

  *allConns(): Generator<RxConnection> {
    yield* this.clientConns.values();
    yield* this.serverConns.values();
  }

  private evictablePeer(p: RxPeer): boolean {
    return !this.connCount.get(p) && p.appData === undefined;
  }

  /** Forget the oldest peer that holds nothing; if every peer holds something, keep them all. */
  private evictPeer(): void {
    for (const [key, p] of this.peers) {
      if (this.evictablePeer(p)) {
        this.peers.delete(key);
        return;
      }
    }
  }

  private hold(p: RxPeer, n: number): void {
    const c = (this.connCount.get(p) ?? 0) + n;
    if (c > 0) this.connCount.set(p, c);
    else {
      this.connCount.delete(p);
      // A peer that only ever sent us a flood leaves nothing behind.
      if (!p.proven && p.appData === undefined && this.peers.get(p.key) === p) this.peers.delete(p.key);
    }
  }

  // ---------------------------------------------------------------- client connections

  /** A client connection with a free channel from the pool `key`, or a new one from `make`. */
  clientConnection(key: string, peer: RxPeer, make: () => RxConnection): RxConnection {
    let pool = this.pools.get(key);
    if (!pool) {
      pool = [];
      this.pools.set(key, pool);
    }
    for (const c of pool) if (c.error === 0 && c.freeChannel() >= 0) return c;
    const conn = make();
    this.clientConns.set(conn.cid, conn);
    pool.push(conn);
    this.hold(peer, 1);
    return conn;
  }

  // ---------------------------------------------------------------- server connections

  findServer(key: string): RxConnection | undefined {
    return this.serverConns.get(key);
  }

  /** Add a server connection, evicting others first if the peer or the table is at its bound. */
  addServer(key: string, conn: RxConnection): void {
    const mine = this.serverConnsOf.get(conn.peer) ?? [];
    if (mine.length >= this.limits.maxServerConnsPerPeer) {
      this.removeServer(mine.find((c) => c.activeCalls === 0) ?? mine[0]!, 'peer connection limit');
    }
    if (this.serverConns.size >= this.limits.maxServerConns) {
      const victim = this.serverVictim();
      if (victim) this.removeServer(victim, 'connection limit');
    }
    this.serverConns.set(key, conn);
    this.keyOf.set(conn, key);
    mine.push(conn);
    this.serverConnsOf.set(conn.peer, mine);
    this.hold(conn.peer, 1);
  }

  /** The oldest idle connection, else the oldest of an unproven peer, else the oldest. */
  private serverVictim(): RxConnection | undefined {
    // Under a flood the oldest entry is nearly always evictable: look at it before scanning.
    const oldest = this.serverConns.values().next().value as RxConnection | undefined;
    if (!oldest || oldest.activeCalls === 0) return oldest;
    let unproven: RxConnection | undefined = oldest.peer.proven ? undefined : oldest;
    if (!unproven) {
      for (const c of this.serverConns.values()) {
        if (c.activeCalls === 0) return c;
        if (!unproven && !c.peer.proven) unproven = c;
      }
    }
    return unproven ?? oldest;
  }

  private removeServer(conn: RxConnection, reason: string): void {
    const key = this.keyOf.get(conn);
    if (key === undefined) return;
    this.keyOf.delete(conn);
    this.serverConns.delete(key);
    const mine = this.serverConnsOf.get(conn.peer);
    if (mine) {
      const i = mine.indexOf(conn);
      if (i >= 0) mine.splice(i, 1);
      if (mine.length === 0) this.serverConnsOf.delete(conn.peer);
    }
    this.evictions++;
    conn.dropAll(`server connection evicted (${reason})`);
    this.hold(conn.peer, -1);
  }

  // ---------------------------------------------------------------- lifetime

  /** Forget connections idle for IDLE_RECORD_MS and peers that hold nothing. */
  sweep(now: number): void {
    for (const c of [...this.serverConns.values()]) {
      if (c.activeCalls === 0 && now - c.lastUsed > IDLE_RECORD_MS) {
        this.removeServer(c, 'idle');
        this.evictions--;
      }
    }
    for (const [key, pool] of this.pools) {
      const keep = pool.filter((c) => c.activeCalls > 0 || now - c.lastUsed < IDLE_RECORD_MS);
      for (const c of pool) {
        if (keep.includes(c)) continue;
        this.clientConns.delete(c.cid);
        this.hold(c.peer, -1);
      }
      if (keep.length) this.pools.set(key, keep);
      else this.pools.delete(key);
    }
    for (const [key, p] of this.peers) {
      if (this.evictablePeer(p) && now - p.lastHeard > IDLE_RECORD_MS) this.peers.delete(key);
    }
  }

  clear(): void {
    this.clientConns.clear();
    this.serverConns.clear();
    this.serverConnsOf.clear();
    this.connCount.clear();
    this.pools.clear();
  }
}

function nth<T>(it: Iterator<T>, index: number): T | undefined {
  if (index < 0) return undefined;
  for (let r = it.next(), i = 0; !r.done; r = it.next(), i++) if (i === index) return r.value;
  return undefined;
}
