// Random interleavings of lookups, uses, unuses, cell removals, VLDB changes, creation failures,
// address changes, incoming CM calls, lock-holding readers and close, run on the real record code
// under the fake clock, with every invariant checked after every step and at the end.

import diagnosticsChannel from 'node:diagnostics_channel';
import fc from 'fast-check';
import type { Cell } from '../../src/afs/cell.js';
import type { NetStats } from '../../src/afs/net.js';
import { TRACE_CHANNELS, type TraceEvent } from '../../src/afs/trace.js';
import { mulberry32 } from './rng.js';
import { World } from './world.js';

const CELLS = ['a.test', 'b.test'];
const ADDRS = [1, 2, 3, 4, 5, 6].map((i) => `127.0.0.${i}:7000`);
const uuidOf = (cell: number, i: number) => `0000000${cell}-0000-0000-0000-00000000000${i}`;
const volName = (i: number) => `vol.${i}`;

export type Action =
  | { t: 'volume'; at: number; cell: number; vol: number; hold: number; calls: Call[] }
  | { t: 'server'; at: number; cell: number; uuid: number; hold: number; copies: number }
  | { t: 'failCreate'; at: number; cell: number; uuid: number; n: number; kind: 'vl' | 'probe' }
  | { t: 'vldb'; at: number; cell: number; vol: number; sites: number[] }
  | { t: 'addr'; at: number; cell: number; uuid: number; addrs: number[] }
  | { t: 'cm'; at: number; addr: number; dur: number }
  | { t: 'walk'; at: number; cell: number; dur: number; cmAt: number | null; acrossExpiry: boolean }
  | { t: 'remove'; at: number; cell: number };

export interface Call {
  server: number;
  dur: number;
  cb: boolean;
  /** The call outlives the volume use (e.g. an async write-back): its end is the last unuse. */
  detach: boolean;
}

export interface Schedule {
  /** Creation failures armed before anything runs. */
  failures: { cell: number; uuid: number; n: number; kind: 'vl' | 'probe' }[];
  actions: Action[];
  closeAt: number | null;
  /** Instead of at closeAt, close at the first destroyer step seen after closeAt (close mid-destroy). */
  closeMidDestroy: boolean;
  seed: number;
}

// A coarse time grid makes same-instant races (concurrent creations, close vs timers) common.
const at = fc.integer({ min: 0, max: 16 }).map((x) => x * 250);
const cell = fc.integer({ min: 0, max: 1 });
const idx = fc.integer({ min: 0, max: 2 });
const hold = fc.integer({ min: 0, max: 15 }).map((x) => x * 200);

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('volume' as const),
      at,
      cell,
      vol: idx,
      hold,
      calls: fc.array(fc.record({ server: idx, dur: hold, cb: fc.boolean(), detach: fc.boolean() }), {
        maxLength: 4,
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('server' as const),
      at,
      cell,
      uuid: idx,
      hold,
      // Several lookers-up of one UUID at the same instant: the creation race.
      copies: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('failCreate' as const),
      at,
      cell,
      uuid: idx,
      n: fc.integer({ min: 1, max: 2 }),
      kind: fc.constantFrom('vl' as const, 'probe' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('vldb' as const),
      at,
      cell,
      vol: idx,
      sites: fc.subarray([0, 1, 2], { minLength: 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('addr' as const),
      at,
      cell,
      uuid: idx,
      addrs: fc.subarray([0, 1, 2, 3, 4, 5], { minLength: 1, maxLength: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('cm' as const),
      at,
      addr: fc.integer({ min: 0, max: 5 }),
      dur: fc.constantFrom(0, 0, 0, 100, 200, 400, 800),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('walk' as const),
      at,
      cell,
      dur: fc.integer({ min: 0, max: 10 }).map((x) => x * 100),
      // Incoming CM calls from every peer of the cell's servers while the reader holds the map.
      cmAt: fc.option(
        fc.integer({ min: 0, max: 10 }).map((x) => x * 100),
        { nil: null },
      ),
      // Adversarial timing: hold the map across the next server GC timer of the cell, with the
      // CM calls arriving right after it fired (the destroyer is then queued behind the reader).
      acrossExpiry: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('remove' as const), at, cell }) },
);

export const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  failures: fc.array(
    fc.record({
      cell,
      uuid: idx,
      n: fc.integer({ min: 1, max: 2 }),
      kind: fc.constantFrom('vl' as const, 'probe' as const),
    }),
    { maxLength: 2 },
  ),
  actions: fc.array(actionArb, { minLength: 1, maxLength: 12 }),
  // Up to twice the action window, so close also lands among the GC timers and destroyers.
  closeAt: fc.option(
    fc.integer({ min: 0, max: 32 }).map((x) => x * 250),
    { nil: null, freq: 3 },
  ),
  closeMidDestroy: fc.boolean(),
  seed: fc.integer(),
});

// The hourly VLDB refresh is compressed to 1.5 s so schedules see address and site changes.
const GC = {
  serverGcDelayMs: 1000,
  cellGcDelayMs: 2500,
  volumeGcDelayMs: 2000,
  giveUpTimeoutMs: 500,
  volumeRefreshMs: 1500,
};
// Longest a destroyer may wait behind one lock-holding reader (walk ≤ 1000 ms) plus op latency.
const BOUND = 1200;

const EXPECTED = new Set([
  'ERR_TSAFS_NET_CLOSED',
  'ERR_TSAFS_CELL_REMOVED',
  'ERR_TSAFS_SERVER_CREATE',
  'ERR_TSAFS_SERVER_NOT_FOUND',
  'ERR_TSAFS_VOLUME_NO_SERVERS',
  'ERR_FAKE_NET',
]);

export interface ScheduleResult {
  violations: string[];
  stats: NetStats;
}

/** Runs one schedule; returns the invariant violations (empty = the schedule passed). */
export async function runSchedule(sched: Schedule): Promise<ScheduleResult> {
  const w = new World({ ...GC, boundMs: BOUND });
  const rng = mulberry32(sched.seed);
  w.ops.delay = (op) => Math.floor(rng() * 4) * (op === 'fsGiveUpAllCallBacks' ? 300 : 50);
  const { net, clock, ops, checker } = w;
  for (let c = 0; c < CELLS.length; c++) {
    for (let i = 0; i < 3; i++) w.addServer(CELLS[c]!, uuidOf(c, i), [ADDRS[(i + c) % ADDRS.length]!]);
    for (let v = 0; v < 3; v++)
      w.addVolume(
        CELLS[c]!,
        volName(v),
        100 * (c + 1) + v,
        [0, 1, 2].filter((i) => i !== v).map((i) => uuidOf(c, i)),
      );
  }
  const vl = (c: number) => ({ vlServers: [`127.0.0.${100 + c}:7003`] });
  const unexpected = (what: string) => (e: unknown) => {
    const code = (e as { code?: string })?.code;
    if (!code || !EXPECTED.has(code)) checker.fail(`${what}: unexpected error ${String(e)}`);
  };
  const sleep = (ms: number) => clock.sleep(ms, net.signal);

  for (const f of sched.failures) {
    const m = f.kind === 'vl' ? ops.failAddrs : ops.failProbe;
    const u = uuidOf(f.cell, f.uuid);
    m.set(u, (m.get(u) ?? 0) + f.n);
  }
  const actors: Promise<void>[] = [];
  const act = async (a: Action): Promise<void> => {
    switch (a.t) {
      case 'volume': {
        const c = await net.lookupCell(CELLS[a.cell]!, vl(a.cell));
        try {
          const v = await c.lookupVolume(volName(a.vol));
          try {
            for (const e of v.servers.entries) checker.checkReturned(e.server);
            await v.ensureCurrent();
            for (const call of a.calls) {
              await v.ensureCurrent(); // as rotation does before each operation
              const list = v.servers.entries;
              const s = list[call.server % list.length]!.server;
              const rpc = s.beginCall();
              const body = async () => {
                try {
                  await s.checkRecord();
                  if (call.cb) s.noteMayHaveCallbacks();
                  await sleep(call.dur);
                } finally {
                  rpc.end();
                }
              };
              if (call.detach) actors.push(body().catch(unexpected('detached call')));
              else await body();
            }
            await sleep(a.hold);
          } finally {
            v.unuseVolume('unuse_user');
          }
        } finally {
          c.unuseCell('unuse_lookup');
        }
        return;
      }
      case 'server': {
        const c = await net.lookupCell(CELLS[a.cell]!, vl(a.cell));
        const one = async () => {
          const s = await c.lookupServer(uuidOf(a.cell, a.uuid));
          checker.checkReturned(s);
          try {
            await sleep(a.hold);
          } finally {
            s.unuseServer('unuse_lookup');
          }
        };
        try {
          const all = await Promise.allSettled(Array.from({ length: a.copies }, one));
          for (const r of all) if (r.status === 'rejected') unexpected('server')(r.reason);
        } finally {
          c.unuseCell('unuse_lookup');
        }
        return;
      }
      case 'failCreate': {
        const m = a.kind === 'vl' ? ops.failAddrs : ops.failProbe;
        const u = uuidOf(a.cell, a.uuid);
        m.set(u, (m.get(u) ?? 0) + a.n);
        return;
      }
      case 'vldb': {
        const v = ops.db(CELLS[a.cell]!).volumes.get(volName(a.vol))!;
        v.sites = a.sites.map((i) => ({ uuid: uuidOf(a.cell, i), uniquifier: 0, flags: 4 }));
        net.cells.get(CELLS[a.cell]!)?.volumeNames.get(volName(a.vol))?.noteAbort('VMOVED');
        return;
      }
      case 'addr': {
        const s = ops.db(CELLS[a.cell]!).servers.get(uuidOf(a.cell, a.uuid))!;
        s.addrs = a.addrs.map((i) => ADDRS[i]!);
        s.uniquifier++;
        return;
      }
      case 'cm': {
        // An incoming callback call from a peer: mapped to a server or answered touching nothing.
        const s = w.peers.lookup(ADDRS[a.addr]!);
        if (!s) return;
        const call = s.beginCall('use_cm_call');
        try {
          await sleep(a.dur);
        } finally {
          call.end();
        }
        return;
      }
      case 'walk': {
        const c: Cell | undefined = net.cells.get(CELLS[a.cell]!);
        if (!c) return;
        const release = await c.fsLock.read();
        const dues = [...c.fsServers.values()].map((x) => x.timerDue).filter((d): d is number => d !== null);
        if (a.acrossExpiry && dues.length > 0) {
          await clock.sleep(Math.min(...dues) - clock.now());
          for (const s of c.fsServers.values())
            for (const addr of s.addrs) w.peers.lookup(addr)?.beginCall('use_cm_call').end();
          await clock.sleep(a.dur);
        } else if (a.cmAt !== null && a.cmAt <= a.dur) {
          await clock.sleep(a.cmAt);
          for (const s of c.fsServers.values())
            for (const addr of s.addrs) w.peers.lookup(addr)?.beginCall('use_cm_call').end();
          await clock.sleep(a.dur - a.cmAt);
        } else {
          await clock.sleep(a.dur);
        }
        release();
        return;
      }
      case 'remove':
        void net.removeCell(CELLS[a.cell]!);
        return;
    }
  };

  for (const a of sched.actions) {
    actors.push(
      new Promise<void>((resolve) => {
        clock.setTimer(() => {
          act(a).catch(unexpected(a.t)).finally(resolve);
        }, a.at);
      }),
    );
  }
  let closing: Promise<unknown> | null = null;
  const startClose = () => {
    closing = net.close({ timeout: 60_000 }).catch((e) => checker.fail(`close rejected: ${String(e)}`));
  };
  const onDestroyerStep = (m: unknown) => {
    const e = m as TraceEvent;
    if (closing || !net.live || clock.now() < sched.closeAt! || !net.record(e.debugId)) return;
    if (e.reason === 'see_destroyer' || e.reason === 'give_up_cb')
      queueMicrotask(() => closing ?? startClose());
  };
  if (sched.closeAt !== null && sched.closeMidDestroy) {
    diagnosticsChannel.subscribe(TRACE_CHANNELS.server, onDestroyerStep);
  } else if (sched.closeAt !== null) {
    actors.push(
      new Promise<void>((resolve) => {
        clock.setTimer(() => {
          startClose();
          resolve();
        }, sched.closeAt!);
      }),
    );
  }
  try {
    // Detached calls join `actors` while the schedule runs: wait until no new one appeared.
    for (let n = -1; n !== actors.length; ) {
      n = actors.length;
      await w.run(Promise.all(actors), 600_000);
    }
    if (!closing) {
      // Everyone let go: within the GC delays (+ bound) every record must be gone by itself
      // (unless a destroyer step triggers the mid-destroy close on the way).
      await w.advance(
        GC.volumeGcDelayMs + GC.serverGcDelayMs + GC.cellGcDelayMs + GC.giveUpTimeoutMs + 3 * BOUND,
      );
      if (!closing) {
        checker.checkEmpty('after idle');
        startClose();
      }
    }
    await w.run(closing!, 120_000);
    checker.checkEmpty('after close');
    if (w.transportClosed !== 1) checker.fail(`transport closed ${w.transportClosed} times`);
    if (clock.pending !== 0) checker.fail(`${clock.pending} timer(s) pending at the end`);
  } catch (e) {
    checker.fail(`schedule threw: ${String(e)}`);
  } finally {
    diagnosticsChannel.unsubscribe(TRACE_CHANNELS.server, onDestroyerStep);
    w.dispose();
  }
  return { violations: checker.violations, stats: { ...net.stats } };
}

export interface PropertyReport {
  runs: number;
  failed: boolean;
  counterexample: string | null;
  rare: NetStats & {
    runsWithFailedCreationWithWaiters: number;
    runsWithPurgeWithActive: number;
    runsWithCloseMidDestroy: number;
    runsWithDestroyerRaced: number;
  };
}

/** fast-check over scheduleArb; does not shrink (counterexamples are printed as they are). */
export async function checkProperty(numRuns: number, seed: number): Promise<PropertyReport> {
  const rare = {
    failedCreationWithWaiters: 0,
    purgeWithActiveServers: 0,
    closeMidDestroy: 0,
    destroyerRaced: 0,
    runsWithDestroyerRaced: 0,
    runsWithFailedCreationWithWaiters: 0,
    runsWithPurgeWithActive: 0,
    runsWithCloseMidDestroy: 0,
  };
  let runs = 0;
  const out = await fc.check(
    fc.asyncProperty(scheduleArb, async (sched) => {
      runs++;
      const r = await runSchedule(sched);
      rare.failedCreationWithWaiters += r.stats.failedCreationWithWaiters;
      rare.purgeWithActiveServers += r.stats.purgeWithActiveServers;
      rare.closeMidDestroy += r.stats.closeMidDestroy;
      rare.destroyerRaced += r.stats.destroyerRaced;
      if (r.stats.destroyerRaced) rare.runsWithDestroyerRaced++;
      if (r.stats.failedCreationWithWaiters) rare.runsWithFailedCreationWithWaiters++;
      if (r.stats.purgeWithActiveServers) rare.runsWithPurgeWithActive++;
      if (r.stats.closeMidDestroy) rare.runsWithCloseMidDestroy++;
      if (r.violations.length > 0) throw new Error(r.violations.slice(0, 5).join('\n'));
    }),
    { numRuns, seed, endOnFailure: true },
  );
  return {
    runs,
    failed: out.failed,
    counterexample: out.failed ? `${JSON.stringify(out.counterexample)}\n${String(out.errorInstance)}` : null,
    rare,
  };
}
