// A plain-data snapshot of the record layer (cells, servers, volumes, server lists): what
// /proc/net/afs shows for kAFS, and what `tsafs debug records` prints.

import type { HealthSnapshot } from './fs-probe.js';
import type { CountedRecord } from './record.js';

export interface ServerSnapshot {
  cell: string;
  uuid: string;
  debugId: number;
  addrs: string[];
  uniquifier: number | null;
  ref: number;
  use: number;
  flags: string[];
  timerDue: number | null;
  inMap: boolean;
  /** Probe state: responsive/unresponsive, best RTT, per-address results, next probe. */
  health: HealthSnapshot;
}

export interface VolumeSnapshot {
  cell: string;
  id: number;
  name: string;
  debugId: number;
  ref: number;
  use: number;
  flags: string[];
  timerDue: number | null;
  updateAt: number;
  /** The server list: UUIDs and VLSF flags, sorted by UUID. */
  servers: { uuid: string; flags: number }[];
}

export interface CellSnapshot {
  name: string;
  debugId: number;
  state: string;
  ref: number;
  use: number;
  flags: string[];
  timerDue: number | null;
  vlServers: string[];
  inMap: boolean;
}

export interface NetSnapshot {
  live: boolean;
  now: number;
  cells: CellSnapshot[];
  servers: ServerSnapshot[];
  volumes: VolumeSnapshot[];
}

interface NetLike {
  live: boolean;
  clock: { now(): number };
  cells: Map<string, unknown>;
}

// Structural views so this file needs no runtime import of the record classes.
interface CellView {
  name: string;
  state: string;
  timerDue: number | null;
  vlServers: readonly string[];
}
interface ServerView {
  cell: { name: string; fsServers: Map<string, unknown> };
  uuid: string;
  addrs: string[];
  uniquifier: number | undefined;
  timerDue: number | null;
  health: { snapshot(addrs: readonly string[]): HealthSnapshot };
}
interface VolumeView {
  cell: { name: string };
  volumeId: number;
  name: string;
  timerDue: number | null;
  updateAt: number;
  servers: { entries: readonly { server: { uuid: string }; flags: number }[] };
}

export function inspectNet(net: NetLike, records: CountedRecord[]): NetSnapshot {
  const snap: NetSnapshot = { live: net.live, now: net.clock.now(), cells: [], servers: [], volumes: [] };
  for (const r of records) {
    const base = { debugId: r.debugId, ref: r.ref, use: r.use, flags: r.flagList() };
    if (r.kind === 'cell') {
      const c = r as unknown as CellView;
      snap.cells.push({
        name: c.name,
        state: c.state,
        timerDue: c.timerDue,
        vlServers: [...c.vlServers],
        inMap: net.cells.get(c.name) === r,
        ...base,
      });
    } else if (r.kind === 'server') {
      const s = r as unknown as ServerView;
      snap.servers.push({
        cell: s.cell.name,
        uuid: s.uuid,
        addrs: [...s.addrs],
        uniquifier: s.uniquifier ?? null,
        timerDue: s.timerDue,
        inMap: s.cell.fsServers.get(s.uuid) === r,
        health: s.health.snapshot(s.addrs),
        ...base,
      });
    } else if (r.kind === 'volume') {
      const v = r as unknown as VolumeView;
      snap.volumes.push({
        cell: v.cell.name,
        id: v.volumeId,
        name: v.name,
        timerDue: v.timerDue,
        updateAt: v.updateAt,
        servers: v.servers.entries.map((e) => ({ uuid: e.server.uuid, flags: e.flags })),
        ...base,
      });
    }
  }
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  snap.cells.sort(byName);
  snap.servers.sort((a, b) => (a.cell + a.uuid < b.cell + b.uuid ? -1 : 1));
  snap.volumes.sort((a, b) => (a.cell === b.cell ? a.id - b.id : a.cell < b.cell ? -1 : 1));
  return snap;
}

export const rtt = (ms: number | null) =>
  ms === null ? '-' : `${ms < 10 ? ms.toFixed(2) : Math.round(ms)}ms`;

const due = (at: number | null, now: number) =>
  at === null ? '-' : `${Math.max(0, Math.round(at - now))}ms`;

/** Text tables in the spirit of /proc/net/afs/{cells,servers,volumes} (for `tsafs debug records`). */
export function formatSnapshot(s: NetSnapshot): string {
  const out: string[] = [
    `net ${s.live ? 'live' : 'closed'}`,
    '',
    'CELL             STATE       REF USE TIMER    VLSERVERS',
  ];
  for (const c of s.cells) {
    out.push(
      `${c.name.padEnd(16)} ${c.state.padEnd(11)} ${String(c.ref).padStart(3)} ${String(c.use).padStart(3)} ` +
        `${due(c.timerDue, s.now).padEnd(8)} ${c.vlServers.join(',')}${c.inMap ? '' : ' (removed)'}`,
    );
  }
  out.push(
    '',
    'SERVER                               CELL             REF USE TIMER    HEALTH       RTT      FLAGS / ADDRESSES',
  );
  for (const v of s.servers) {
    out.push(
      `${v.uuid.padEnd(36)} ${v.cell.padEnd(16)} ${String(v.ref).padStart(3)} ${String(v.use).padStart(3)} ` +
        `${due(v.timerDue, s.now).padEnd(8)} ${v.health.state.padEnd(12)} ${rtt(v.health.rttMs).padEnd(8)} ` +
        `${v.flags.join(',') || '-'} ${v.health.addrs.map((a) => `${a.addr}(${a.state}${a.rttMs === null ? '' : ` ${rtt(a.rttMs)}`})`).join(',')}`,
    );
  }
  out.push('', 'VOLUME       CELL             NAME             REF USE TIMER    SERVERS');
  for (const v of s.volumes) {
    out.push(
      `${String(v.id).padEnd(12)} ${v.cell.padEnd(16)} ${v.name.padEnd(16)} ${String(v.ref).padStart(3)} ` +
        `${String(v.use).padStart(3)} ${due(v.timerDue, s.now).padEnd(8)} ${v.servers.map((e) => e.uuid).join(',')}`,
    );
  }
  return `${out.join('\n')}\n`;
}
