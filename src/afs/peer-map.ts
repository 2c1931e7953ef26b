// address:port → server records: the "app data on the Rx peer" that maps incoming callback calls
// to the server (and so the cell) they come from.
//
// Rule for an address bound by more than one record (e.g. one file server registered in two
// cells): every binding is kept, in bind order. The peer's *primary* record is the oldest binding
// still present; a later record never steals the peer, and when the primary unbinds the next in
// line takes over. Why: the physical server holds one set of callback promises for this client,
// whichever cell record obtained them, so the CM service must break callbacks in every record
// bound to the peer (`lookupAll`), and calls that carry a server UUID (InitCallBackState3) must be
// matched by UUID (`lookupByUuid`), never applied to the primary by default. A record only ever
// removes its own binding, so one cell's teardown or address change cannot disturb the other's.
// An unbound address yields nothing and the CM service must answer without touching any record.

import type { PeerBinder } from './ops.js';

export interface PeerBound {
  readonly uuid: string;
}

export class PeerMap<S extends PeerBound = PeerBound> implements PeerBinder<S> {
  private readonly bindings = new Map<string, S[]>();

  bind(addr: string, server: S): void {
    const list = this.bindings.get(addr);
    if (!list) this.bindings.set(addr, [server]);
    else if (!list.includes(server)) list.push(server);
  }

  unbind(addr: string, server: S): void {
    const list = this.bindings.get(addr);
    if (!list) return;
    const i = list.indexOf(server);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.bindings.delete(addr);
  }

  /** The primary record for calls from this peer, or undefined (answer safely, touch nothing). */
  lookup(addr: string): S | undefined {
    return this.bindings.get(addr)?.[0];
  }

  /** Every record bound to this peer, oldest first. */
  lookupAll(addr: string): readonly S[] {
    return this.bindings.get(addr)?.slice() ?? [];
  }

  /** The record bound to this peer that has this UUID (for InitCallBackState3). */
  lookupByUuid(addr: string, uuid: string): S | undefined {
    return this.bindings.get(addr)?.find((s) => s.uuid === uuid);
  }

  get size(): number {
    return this.bindings.size;
  }

  /** Snapshot of all bindings (addr → records), for inspection and checks. */
  entries(): [string, readonly S[]][] {
    return [...this.bindings].map(([a, l]) => [a, l.slice()]);
  }
}
