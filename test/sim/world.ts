// One simulated client: fake clock, in-memory VLDB/file servers, a PeerMap, the REAL Net, and the
// invariant checker run after every clock step.

import { Net } from '../../src/afs/net.js';
import { PeerMap } from '../../src/afs/peer-map.js';
import type { Server } from '../../src/afs/server.js';
import { Checker } from './checker.js';
import { FakeClock, settle } from './fake-clock.js';
import { FakeOps } from './fake-ops.js';

export interface WorldOptions {
  serverGcDelayMs?: number;
  cellGcDelayMs?: number;
  volumeGcDelayMs?: number;
  giveUpTimeoutMs?: number;
  volumeRefreshMs?: number;
  boundMs?: number;
}

export class World {
  readonly clock = new FakeClock();
  readonly ops = new FakeOps(this.clock);
  readonly peers = new PeerMap<Server>();
  readonly net: Net;
  readonly checker: Checker;
  transportClosed = 0;

  constructor(o: WorldOptions = {}) {
    this.net = new Net({
      ops: this.ops,
      peers: this.peers,
      clock: this.clock,
      serverGcDelayMs: o.serverGcDelayMs ?? 10_000,
      cellGcDelayMs: o.cellGcDelayMs ?? 10_000,
      volumeGcDelayMs: o.volumeGcDelayMs ?? 60_000,
      giveUpTimeoutMs: o.giveUpTimeoutMs ?? 5_000,
      volumeRefreshMs: o.volumeRefreshMs ?? 3600_000,
      closeTransport: () => {
        this.transportClosed++;
      },
    });
    this.checker = new Checker(this.net, this.peers, { boundMs: o.boundMs ?? 100 });
  }

  addServer(cell: string, uuid: string, addrs: string[], uniquifier = 1): void {
    this.ops.db(cell).servers.set(uuid, { addrs, uniquifier });
  }

  addVolume(cell: string, name: string, volumeId: number, uuids: string[]): void {
    this.ops.db(cell).volumes.set(name, {
      name,
      volumeId,
      sites: uuids.map((uuid) => ({ uuid, uniquifier: 0, flags: 4 })),
    });
  }

  /** Runs the clock until every due event up to now+ms ran, checking structure after each. */
  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    await settle();
    while (await this.clock.step(until)) this.checker.checkStructure();
    await this.clock.advanceTo(until);
    this.checker.checkStructure();
  }

  /** Steps the clock until p settles; returns its value or throws its error. */
  async run<T>(p: Promise<T>, maxMs = 3600_000): Promise<T> {
    let done = false;
    let ok = false;
    let value: T | undefined;
    let error: unknown;
    p.then(
      (v) => {
        done = true;
        ok = true;
        value = v;
      },
      (e) => {
        done = true;
        error = e;
      },
    );
    const limit = this.clock.now() + maxMs;
    const { clock } = this;
    await settle();
    for (;;) {
      if (done) break;
      if (!(await clock.step(limit))) break;
      this.checker.checkStructure();
    }
    if (!done) throw new Error(`promise did not settle within ${maxMs}ms of fake time`);
    if (!ok) throw error;
    return value as T;
  }

  /** Closes the client and checks nothing is left and no timer is pending. */
  async closeClean(timeout = 30_000): Promise<void> {
    await this.run(this.net.close({ timeout }));
    this.checker.checkEmpty('after close');
    if (this.clock.pending !== 0) this.checker.fail(`${this.clock.pending} timer(s) pending after close`);
  }

  dispose(): void {
    this.checker.dispose();
  }
}
