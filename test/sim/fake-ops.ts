// An in-memory VLDB and file servers behind the injected AfsRecordOps, with scripted delays,
// failures and peers that never answer. Every reply is delivered through the fake clock.

import type {
  AfsRecordOps,
  CellInfo,
  FsProbeResult,
  ServerInfo,
  VlAddrs,
  VlEntry,
  VlServerAnswer,
  VlSite,
} from '../../src/afs/ops.js';
import type { FakeClock } from './fake-clock.js';

export class FakeNetError extends Error {
  readonly code = 'ERR_FAKE_NET';
}

export class FakeNoVolumeError extends Error {
  readonly code = 'ERR_FAKE_NOVOL';
}

export interface FakeServer {
  addrs: string[];
  uniquifier: number;
}

export interface FakeVolume {
  name: string;
  volumeId: number;
  sites: VlSite[];
}

export interface FakeCellDb {
  servers: Map<string, FakeServer>;
  volumes: Map<string, FakeVolume>;
}

export type OpName = 'vlGetEntry' | 'vlGetAddrs' | 'fsProbe' | 'fsGiveUpAllCallBacks' | 'resolveVlServers';

export interface OpLog {
  op: OpName;
  cell: string;
  key: string;
  at: number;
  outcome?: 'ok' | 'error' | 'aborted';
}

export class FakeOps implements AfsRecordOps {
  readonly cells = new Map<string, FakeCellDb>();
  /** Reply delay per op, or a function for random delays. */
  delay: (op: OpName, key: string) => number = () => 5;
  /** uuid → number of next vlGetAddrs calls that fail. */
  readonly failAddrs = new Map<string, number>();
  /** uuid → number of next fsProbe calls that fail locally. */
  readonly failProbe = new Map<string, number>();
  /** Addresses that never answer. */
  readonly blackhole = new Set<string>();
  /** A broken transport: calls to a blackhole ignore abort too (for leak reports). */
  ignoreAbort = false;
  /** DNS answers per cell name (for resolveVlServers). */
  readonly dns = new Map<string, VlServerAnswer | Error>();
  readonly log: OpLog[] = [];
  inFlight = 0;
  resolveVlServers?: (cellName: string, signal: AbortSignal) => Promise<VlServerAnswer>;

  constructor(private readonly clock: FakeClock) {}

  enableDns(): void {
    this.resolveVlServers = (cellName, signal) =>
      this.reply('resolveVlServers', cellName, cellName, signal, () => {
        const a = this.dns.get(cellName);
        if (!a) throw new FakeNetError(`no DNS answer for ${cellName}`);
        if (a instanceof Error) throw a;
        return { servers: [...a.servers], ttlSeconds: a.ttlSeconds };
      });
  }

  db(cell: string): FakeCellDb {
    let d = this.cells.get(cell);
    if (!d) {
      d = { servers: new Map(), volumes: new Map() };
      this.cells.set(cell, d);
    }
    return d;
  }

  count(op: OpName, key?: string): number {
    return this.log.filter((l) => l.op === op && (key === undefined || l.key === key)).length;
  }

  vlGetEntry(cell: CellInfo, nameOrId: string, signal: AbortSignal): Promise<VlEntry> {
    return this.reply('vlGetEntry', cell.name, nameOrId, signal, () => {
      const db = this.db(cell.name);
      const v = /^\d+$/.test(nameOrId)
        ? [...db.volumes.values()].find((x) => x.volumeId === Number(nameOrId))
        : db.volumes.get(nameOrId);
      if (!v) throw new FakeNoVolumeError(`no volume ${nameOrId}`);
      return {
        name: v.name,
        volumeId: v.volumeId,
        sites: v.sites.map((s) => ({ ...s, uniquifier: db.servers.get(s.uuid)?.uniquifier ?? s.uniquifier })),
      };
    });
  }

  vlGetAddrs(cell: CellInfo, uuid: string, signal: AbortSignal): Promise<VlAddrs> {
    return this.reply('vlGetAddrs', cell.name, uuid, signal, () => {
      const n = this.failAddrs.get(uuid) ?? 0;
      if (n > 0) {
        this.failAddrs.set(uuid, n - 1);
        throw new FakeNetError(`VL unreachable for ${uuid}`);
      }
      const s = this.db(cell.name).servers.get(uuid);
      return s ? { addrs: [...s.addrs], uniquifier: s.uniquifier } : { addrs: [], uniquifier: 0 };
    });
  }

  fsProbe(server: ServerInfo, addrs: readonly string[], signal: AbortSignal): Promise<FsProbeResult> {
    const never = addrs.length > 0 && addrs.every((a) => this.blackhole.has(a));
    return this.reply(
      'fsProbe',
      server.cellName,
      server.uuid,
      signal,
      () => {
        const n = this.failProbe.get(server.uuid) ?? 0;
        if (n > 0) {
          this.failProbe.set(server.uuid, n - 1);
          throw new FakeNetError(`probe of ${server.uuid} failed locally`);
        }
        return { capabilities: 1, responded: true };
      },
      never,
    );
  }

  fsGiveUpAllCallBacks(server: ServerInfo, addr: string, signal: AbortSignal): Promise<void> {
    return this.reply(
      'fsGiveUpAllCallBacks',
      server.cellName,
      server.uuid,
      signal,
      () => {},
      this.blackhole.has(addr),
    );
  }

  private reply<T>(
    op: OpName,
    cell: string,
    key: string,
    signal: AbortSignal,
    produce: () => T,
    never = false,
  ): Promise<T> {
    const entry: OpLog = { op, cell, key, at: this.clock.now() };
    this.log.push(entry);
    return new Promise<T>((resolve, reject) => {
      const done = (outcome: OpLog['outcome']) => {
        entry.outcome = outcome;
        this.inFlight--;
      };
      this.inFlight++;
      if (signal.aborted && !(never && this.ignoreAbort)) {
        done('aborted');
        return reject(signal.reason);
      }
      const h = never
        ? undefined
        : this.clock.setTimer(
            () => {
              signal.removeEventListener('abort', onAbort);
              try {
                const v = produce();
                done('ok');
                resolve(v);
              } catch (e) {
                done('error');
                reject(e);
              }
            },
            this.delay(op, key),
          );
      const onAbort = () => {
        h?.cancel();
        done('aborted');
        reject(signal.reason);
      };
      if (!(never && this.ignoreAbort)) signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
