// A volume's list of file-server sites, built from one VLDB answer. The list holds a use on each
// of its servers, so volume lifetime decides server lifetime; replacing the list gives them back.

import type { VlEntry } from './ops.js';
import { RecordAccountingError, ServerNotFoundError, VolumeNoServersError } from './record-errors.js';
import { lookupServer, type Server, type ServerCellHost } from './server.js';

export interface ServerListEntry {
  readonly server: Server;
  readonly flags: number;
}

/** Canonical form of a VLDB answer's sites: what decides whether a list must be replaced. */
export function siteKey(entry: VlEntry): string {
  const seen = new Map<string, number>();
  for (const s of entry.sites) if (!seen.has(s.uuid)) seen.set(s.uuid, s.flags);
  return [...seen]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([u, f]) => `${u}:${f}`)
    .join(',');
}

export class ServerList {
  private released = false;

  private constructor(
    readonly entries: readonly ServerListEntry[],
    /** siteKey() of the VLDB answer this list was built from. */
    readonly key: string,
  ) {}

  /**
   * Looks up (creating as needed) every site's server, taking a use on each. A site the VLDB has
   * no addresses for is skipped; any other failure gives back the uses taken so far and throws.
   */
  static async build(cell: ServerCellHost, entry: VlEntry): Promise<ServerList> {
    const sites = new Map<string, { uniquifier: number; flags: number }>();
    for (const s of entry.sites) if (!sites.has(s.uuid)) sites.set(s.uuid, s);
    const uuids = [...sites.keys()].sort();
    const got: ServerListEntry[] = [];
    try {
      for (const uuid of uuids) {
        const site = sites.get(uuid)!;
        try {
          got.push({ server: await lookupServer(cell, uuid, site.uniquifier), flags: site.flags });
        } catch (e) {
          if (!(e instanceof ServerNotFoundError)) throw e;
        }
      }
    } catch (e) {
      for (const g of got) g.server.unuseServer('unuse_slist_fail');
      throw e;
    }
    if (got.length === 0) throw new VolumeNoServersError(entry.name);
    return new ServerList(got, siteKey(entry));
  }

  /** True when this VLDB answer has the same sites and flags as the one the list was built from. */
  matches(entry: VlEntry): boolean {
    return siteKey(entry) === this.key;
  }

  /** Gives back the use on every server. Exactly once. */
  release(): void {
    if (this.released) throw new RecordAccountingError('server list released twice');
    this.released = true;
    for (const e of this.entries) e.server.unuseServer('unuse_slist');
  }

  get isReleased(): boolean {
    return this.released;
  }
}
