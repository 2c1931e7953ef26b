// Scripted, deterministic schedules over the real record code. Each scenario throws (assert) on
// failure; scenarios.test.ts runs them as they are, faults-bite.test.ts with kAFS faults switched on.

import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { PROBE_FAST_MS, PROBE_SLOW_MS } from '../../src/afs/fs-probe.js';
import { formatSnapshot } from '../../src/afs/inspect.js';
import { NetClosedError, RecordLeakError, ServerCreateError } from '../../src/afs/record-errors.js';
import { orderSites } from '../../src/afs/rotate.js';
import type { Server } from '../../src/afs/server.js';
import { TRACE_CHANNELS, type TraceEvent } from '../../src/afs/trace.js';
import { mulberry32 } from './rng.js';
import { World } from './world.js';

const VL = ['127.0.0.1:7003'];
const A1 = '127.0.0.11:7000';
const A2 = '127.0.0.12:7000';
const B1 = '127.0.0.21:7000';
const U1 = '00000000-0000-0000-0000-000000000001';
const U2 = '00000000-0000-0000-0000-000000000002';
const U3 = '00000000-0000-0000-0000-000000000003';

function captureServerTrace(): { events: TraceEvent[]; stop(): void } {
  const events: TraceEvent[] = [];
  const fn = (m: unknown) => events.push(m as TraceEvent);
  diagnosticsChannel.subscribe(TRACE_CHANNELS.server, fn);
  return { events, stop: () => diagnosticsChannel.unsubscribe(TRACE_CHANNELS.server, fn) };
}

function noViolations(w: World): void {
  assert.deepEqual(w.checker.violations, [], 'invariant violations');
}

async function scenario(body: (w: World) => Promise<void>, opts?: ConstructorParameters<typeof World>[0]) {
  const w = new World(opts);
  try {
    await body(w);
    noViolations(w);
  } finally {
    w.dispose();
  }
}

/** The cell is garbage-collected while its servers are still held (by a volume, by a call). */
export function cellRemovedBeforeServers(): Promise<void> {
  return scenario(async (w) => {
    w.addServer('a.test', U1, [A1]);
    w.addServer('a.test', U2, [A2]);
    w.addVolume('a.test', 'root.cell', 100, [U1, U2]);
    const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL }));
    const vol = await w.run(cell.lookupVolume('root.cell'));
    const [s1, s2] = vol.servers.entries.map((e) => e.server) as [Server, Server];
    w.checker.checkReturned(s1);
    w.checker.checkReturned(s2);
    s1.noteMayHaveCallbacks();
    const call = s1.beginCall();
    vol.unuseVolume('unuse_user');
    cell.unuseCell('unuse_lookup');
    await w.advance(10_000 + 50); // cell GC delay: the cell goes first
    assert.equal(cell.state, 'DEAD');
    assert.equal(w.net.cells.has('a.test'), false);
    assert.ok(vol.freed, 'purge drops the idle volume at once');
    assert.ok(s2.freed, 'the inactive server goes with the purge, without waiting for its timer');
    assert.ok(!s1.freed && !s1.flags.has('EXPIRED'), 'a server in use survives the purge');
    assert.ok(!cell.freed, 'the cell record lives while a server holds it');
    call.end(); // the server becomes inactive only after its cell was purged
    await w.advance(100);
    assert.ok(s1.freed, 'last user gone in a dying cell → destroyed at once');
    assert.equal(w.ops.count('fsGiveUpAllCallBacks', U1), 1);
    assert.equal(w.ops.count('fsGiveUpAllCallBacks', U2), 0);
    assert.ok(cell.freed, 'the cell is freed after its last server');
    w.checker.checkEmpty('after purge');
    await w.closeClean();
  });
}

/**
 * A server that dies and comes back, seen only by its probes on the fake clock: every 5 min while
 * it answers, every 30 s (each bounded by the probe timeout) while it does not, responsive again
 * at the first probe after it returns; rotation meanwhile puts it after the live site.
 */
export function serverDiesAndReturns(): Promise<void> {
  return scenario(async (w) => {
    w.addServer('a.test', U1, [A1]);
    w.addServer('a.test', U2, [A2]);
    w.addVolume('a.test', 'rep.readonly', 300, [U1, U2]);
    const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL }));
    const vol = await w.run(cell.lookupVolume('rep.readonly'));
    const s1 = vol.servers.entries.find((e) => e.server.uuid === U1)!.server;
    const probes = () => w.ops.count('fsProbe', U1);
    assert.equal(probes(), 1, 'probed at creation');
    assert.equal(s1.health.state, 'responsive');
    const t0 = w.clock.now();
    w.ops.blackhole.add(A1);
    await w.advance(PROBE_SLOW_MS + 10_000 + 50);
    assert.equal(probes(), 2, 'the 5-minute probe');
    assert.equal(s1.health.state, 'unresponsive', 'a probe with no answer, ended by its timeout');
    assert.ok(!s1.flags.has('RESPONDING'));
    assert.equal(orderSites(vol.servers.entries, '')[0]!.uuid, U2, 'the live site first');
    await w.advance(PROBE_FAST_MS + 10_000);
    assert.equal(probes(), 3, 'every 30 s while unresponsive');
    w.ops.blackhole.delete(A1);
    await w.advance(PROBE_FAST_MS + 100);
    assert.equal(probes(), 4);
    assert.equal(s1.health.state, 'responsive', 'back at the first probe after it returned');
    assert.ok(s1.health.nextProbeAt! >= w.clock.now() + PROBE_SLOW_MS - 200);
    assert.ok(w.clock.now() - t0 < PROBE_SLOW_MS + 2 * (PROBE_FAST_MS + 10_000) + 1000);
    vol.unuseVolume('unuse_user');
    cell.unuseCell('unuse_lookup');
    await w.closeClean();
  });
}

/** Two concurrent creations of one UUID; the first (the creator) fails. */
export function concurrentCreationFirstFails(): Promise<void> {
  return scenario(async (w) => {
    w.addServer('a.test', U1, [A1]);
    w.ops.failAddrs.set(U1, 1);
    const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL }));
    const tr = captureServerTrace();
    try {
      const both = Promise.allSettled([cell.lookupServer(U1), cell.lookupServer(U1)]);
      const [r1, r2] = await w.run(both);
      assert.equal(r1.status, 'rejected', 'creator sees the failure');
      assert.equal(r2.status, 'rejected', 'the waiter sees the failure, not a half-made record');
      assert.ok((r1 as PromiseRejectedResult).reason instanceof ServerCreateError);
      assert.ok((r2 as PromiseRejectedResult).reason instanceof ServerCreateError);
      const created = tr.events.filter((e) => e.reason === 'create_start');
      assert.equal(created.length, 1, 'creation is single-flight');
      const winnerId = created[0]!.debugId;
      const failEv = tr.events.find((e) => e.reason === 'create_fail');
      assert.equal(failEv?.note, 'waiters=1');
      assert.ok(tr.events.some((e) => e.reason === 'unuse_wait_fail' && e.debugId === winnerId));
      const loser = tr.events.find((e) => e.reason === 'put_candidate');
      assert.ok(loser, 'a losing candidate was discarded');
      assert.notEqual(loser.debugId, winnerId, 'the loser discards its own candidate');
      assert.ok(
        tr.events.some((e) => e.reason === 'free' && e.debugId === loser.debugId),
        'loser candidate freed',
      );
      const winner = w.net.liveRecords().find((r) => r.debugId === winnerId) as Server | undefined;
      if (winner) {
        assert.equal(winner.use, 0, 'creator and waiter both gave back their use');
        assert.ok(winner.flags.has('UNCREATED'), 'a failed creation leaves the record UNCREATED');
      }
      assert.ok(w.net.stats.failedCreationWithWaiters >= 1);
      // The next looker-up tries again and succeeds.
      const s = await w.run(cell.lookupServer(U1));
      w.checker.checkReturned(s);
      assert.equal(w.ops.count('vlGetAddrs', U1), 2, 'failure did not mark the record created');
      assert.deepEqual(s.addrs, [A1]);
      s.unuseServer('unuse_lookup');
      cell.unuseCell('unuse_lookup');
      await w.advance(30_000);
      w.checker.checkEmpty('after idle');
      await w.closeClean();
    } finally {
      tr.stop();
    }
  });
}

/** Uses and unuses around the moment the GC timer fires, incl. end-of-call and a blocked destroyer. */
export function useUnuseStormAroundExpiry(): Promise<void> {
  return scenario(
    async (w) => {
      const G = 10_000;
      w.addServer('a.test', U1, [A1]);
      const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL, noGc: true }));
      let s = await w.run(cell.lookupServer(U1));
      // The end of an RPC is an unuse like any other: it must arm the timer.
      const call = s.beginCall();
      s.unuseServer('unuse_lookup');
      await w.advance(500);
      call.end();
      assert.equal(s.timerDue, w.clock.now() + G, 'end of call arms the GC timer');
      // Re-use just before expiry: the timer is cancelled and re-armed from the new unuse.
      await w.advance(G - 1);
      s = await w.run(cell.lookupServer(U1));
      assert.equal(s.timerDue, null, 'a use cancels the timer');
      s.unuseServer('unuse_lookup');
      const due = s.timerDue!;
      assert.equal(due, w.clock.now() + G);
      // A reader holds the cell's map across the expiry, so the destroyer waits for the write lock;
      // meanwhile an incoming CM call takes and drops a use (no timer change on take).
      await w.advance(due - w.clock.now() - 5);
      const release = await cell.fsLock.read();
      await w.advance(5); // timer fires, destroyer queued behind the reader
      const cm = w.peers.lookup(A1);
      assert.equal(cm, s);
      cm!.beginCall('use_cm_call').end();
      const lastUnuse = w.clock.now();
      release();
      await w.advance(1);
      assert.ok(!s.flags.has('EXPIRED'), 'in use again since the timer fired → destroyer does nothing');
      await w.advance(lastUnuse + G - w.clock.now() - 2);
      assert.ok(!s.freed, 'not before the GC delay after the last unuse');
      await w.advance(50);
      assert.ok(s.freed, 'destroyed once idle for the GC delay');
      cell.unuseCell('unuse_lookup');
      await w.closeClean();
    },
    { cellGcDelayMs: 600_000 },
  );
}

/** A seeded storm of lookups, calls and CM calls landing within a few ms of each timer expiry. */
export function seededStormAroundExpiry(seed = 42): Promise<void> {
  return scenario(
    async (w) => {
      const G = 1000;
      const rnd = mulberry32(seed);
      w.addServer('a.test', U1, [A1]);
      const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL, noGc: true }));
      let s = await w.run(cell.lookupServer(U1));
      s.unuseServer('unuse_lookup');
      const open: { end(): void }[] = [];
      for (let round = 0; round < 60; round++) {
        const due = s.timerDue;
        if (due === null && open.length === 0) break;
        // Jump to within ±3 ms of the expiry (or a little on while calls are open).
        const target =
          due === null ? w.clock.now() + 1 + Math.floor(rnd() * 5) : due - 3 + Math.floor(rnd() * 7);
        if (target > w.clock.now()) await w.advance(target - w.clock.now());
        if (s.freed) {
          assert.equal(open.length, 0, 'never destroyed while a call is open');
          s = await w.run(cell.lookupServer(U1)); // a fresh record
          s.unuseServer('unuse_lookup');
          continue;
        }
        const r = rnd();
        if (r < 0.3) {
          const again = await w.run(cell.lookupServer(U1));
          assert.equal(again, s, 'a record not yet expired is found again, never duplicated');
          again.unuseServer('unuse_lookup');
        } else if (r < 0.55) {
          const p = w.peers.lookup(A1);
          if (p) open.push(p.beginCall('use_cm_call'));
        } else if (r < 0.8 && s.use > 0) {
          open.push(s.beginCall());
        } else if (open.length > 0) {
          open.splice(Math.floor(rnd() * open.length), 1)[0]!.end();
        }
      }
      for (const c of open.splice(0)) c.end();
      const last = s.unuseTime;
      await w.advance(last + G - w.clock.now() - 1);
      assert.ok(!s.freed, 'not before the GC delay after the last unuse');
      await w.advance(10);
      assert.ok(s.freed, 'collected once idle for the GC delay');
      cell.unuseCell('unuse_lookup');
      await w.closeClean();
    },
    { serverGcDelayMs: 1000, boundMs: 20 },
  );
}

/** The last user of a server is a call (kAFS unuse_notime): it must still be collected. */
export function lastUserIsACall(): Promise<void> {
  return scenario(async (w) => {
    w.addServer('a.test', U1, [A1]);
    const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL, noGc: true }));
    const s = await w.run(cell.lookupServer(U1));
    const call = s.beginCall();
    s.unuseServer('unuse_lookup');
    await w.advance(100);
    call.end();
    await w.advance(10_000 + 50);
    assert.ok(s.freed, 'collected within the GC delay after the call ended');
    cell.unuseCell('unuse_lookup');
    await w.closeClean();
  });
}

/** The VLDB reports new addresses for a server while calls on the old address are in flight. */
export function addressChangeWithCallsInFlight(): Promise<void> {
  return scenario(async (w) => {
    w.addServer('a.test', U1, [A1, A2]);
    w.addVolume('a.test', 'vol', 200, [U1]);
    const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL }));
    const vol = await w.run(cell.lookupVolume('vol'));
    const s = vol.servers.entries[0]!.server;
    assert.equal(w.peers.lookup(A1), s);
    const c1 = s.beginCall(); // in flight to A1
    w.addServer('a.test', U1, [A2, B1], 2);
    vol.noteAbort('VMOVED');
    await w.run(vol.ensureCurrent());
    assert.ok(s.flags.has('NEEDS_UPDATE'), 'a changed uniquifier marks the record for update');
    const c2 = s.beginCall();
    await w.run(s.checkRecord());
    assert.deepEqual(s.addrs, [A2, B1]);
    assert.equal(w.peers.lookup(B1), s, 'new address bound');
    assert.equal(w.peers.lookup(A2), s, 'kept address still bound');
    assert.equal(w.peers.lookup(A1), undefined, 'dropped address unbound');
    c1.end();
    c2.end();
    assert.equal(s.use, 1, 'only the server list holds it now');
    vol.unuseVolume('unuse_user');
    cell.unuseCell('unuse_lookup');
    await w.advance(60_000 + 10_000 + 10_000 + 500);
    w.checker.checkEmpty('after idle');
    await w.closeClean();
  });
}

/** close() while a server record is being created. */
export function closeDuringCreation(): Promise<void> {
  return scenario(async (w) => {
    w.addServer('a.test', U1, [A1]);
    w.ops.delay = (op) => (op === 'vlGetAddrs' ? 1000 : 5);
    const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL }));
    const lookup = cell.lookupServer(U1).finally(() => cell.unuseCell('unuse_lookup'));
    const outcome = lookup.then(
      () => 'resolved',
      (e) => e,
    );
    await w.advance(10);
    await w.closeClean();
    const e = await outcome;
    assert.ok(e instanceof ServerCreateError, `lookup rejected (${e})`);
    assert.ok(e.cause instanceof NetClosedError, 'with the clear close error as cause');
    assert.equal(w.transportClosed, 1);
    await assert.rejects(w.net.lookupCell('a.test'), NetClosedError);
  });
}

/** close() while a destroyer waits for FS.GiveUpAllCallBacks. */
export function closeDuringGiveUp(): Promise<void> {
  return scenario(
    async (w) => {
      w.addServer('a.test', U1, [A1]);
      w.ops.delay = (op) => (op === 'fsGiveUpAllCallBacks' ? 3000 : 5);
      const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL }));
      const s = await w.run(cell.lookupServer(U1));
      s.noteMayHaveCallbacks();
      s.unuseServer('unuse_lookup');
      cell.unuseCell('unuse_lookup');
      await w.advance(10_000 + 100);
      assert.ok(s.flags.has('EXPIRED') && !s.freed, 'destroyer is inside GiveUpAllCallBacks');
      assert.equal(w.ops.inFlight, 1);
      await w.closeClean();
      assert.equal(w.net.stats.closeMidDestroy, 1);
      assert.equal(w.ops.log.find((l) => l.op === 'fsGiveUpAllCallBacks')?.outcome, 'aborted');
    },
    { cellGcDelayMs: 600_000 },
  );
}

/** A peer that never answers GiveUpAllCallBacks: bounded by its timeout, or diagnosed by close. */
export function peerThatNeverAnswers(): Promise<void> {
  return scenario(
    async (w) => {
      w.addServer('a.test', U1, [A1]);
      w.addServer('a.test', U2, [A2]);
      const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL, noGc: true }));
      // (1) A well-behaved transport: the call times out and the destroyer finishes.
      const s1 = await w.run(cell.lookupServer(U1));
      w.ops.blackhole.add(A1);
      s1.noteMayHaveCallbacks();
      s1.unuseServer('unuse_lookup');
      await w.advance(10_000 + 5_000 + 50);
      assert.ok(s1.freed, 'GiveUpAllCallBacks is bounded by its timeout');
      // (2) A transport that ignores abort: close() times out with a leak report.
      const s2 = await w.run(cell.lookupServer(U2));
      w.ops.blackhole.add(A2);
      w.ops.ignoreAbort = true;
      s2.noteMayHaveCallbacks();
      s2.unuseServer('unuse_lookup');
      cell.unuseCell('unuse_lookup');
      await w.advance(10_000 + 50);
      assert.ok(s2.flags.has('EXPIRED') && !s2.freed);
      let err: unknown;
      try {
        await w.run(w.net.close({ timeout: 2000 }));
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof RecordLeakError, `close rejects with RecordLeakError (${err})`);
      assert.equal(err.code, 'ERR_TSAFS_RECORD_LEAK');
      const srv = err.records.find((r) => r.kind === 'server');
      assert.equal(srv?.id, U2);
      assert.equal(srv?.use, 1, 'the GiveUpAllCallBacks call holds the last use');
      assert.ok(srv!.ref >= 2);
      assert.ok(
        srv!.history.some((h) => h.reason === 'give_up_cb'),
        'recent trace names the stuck step',
      );
      assert.ok(err.records.some((r) => r.kind === 'cell' && r.id === 'a.test' && r.ref >= 1));
      assert.equal(w.clock.pending, 0, 'every timer released anyway');
      assert.equal(w.transportClosed, 1, 'the endpoint is closed anyway');
    },
    { boundMs: 60_000 },
  );
}

/** Two cells' records share a file-server address. */
export function sharedAddressAcrossCells(): Promise<void> {
  return scenario(async (w) => {
    w.addServer('a.test', U1, [A1]);
    w.addServer('b.test', U3, [A1, B1]);
    const ca = await w.run(w.net.lookupCell('a.test', { vlServers: VL }));
    const cb = await w.run(w.net.lookupCell('b.test', { vlServers: ['127.0.0.2:7003'] }));
    const sa = await w.run(ca.lookupServer(U1));
    const sb = await w.run(cb.lookupServer(U3));
    assert.equal(w.peers.lookup(A1), sa, 'the oldest binding is the primary');
    assert.deepEqual(w.peers.lookupAll(A1), [sa, sb]);
    assert.equal(w.peers.lookupByUuid(A1, U3), sb);
    assert.equal(w.peers.lookup(B1), sb);
    const cm = w.peers.lookup(A1)!.beginCall('use_cm_call');
    assert.equal(sa.use, 2);
    assert.equal(sb.use, 1, 'a call mapped to one record never touches the other');
    cm.end();
    sa.unuseServer('unuse_lookup');
    ca.unuseCell('unuse_lookup');
    await w.run(w.net.removeCell('a.test'));
    await w.advance(100);
    assert.ok(sa.freed);
    assert.equal(w.peers.lookup(A1), sb, 'the next binding takes over, intact');
    assert.deepEqual(sb.addrs, [A1, B1]);
    sb.unuseServer('unuse_lookup');
    cb.unuseCell('unuse_lookup');
    await w.closeClean();
  });
}

/** Volume refresh: hourly and on VNOVOL; the list is replaced only when the VLDB answer changes. */
export function volumeRefreshReplacesListOnlyOnChange(): Promise<void> {
  return scenario(async (w) => {
    for (const [u, a] of [
      [U1, A1],
      [U2, A2],
      [U3, B1],
    ] as const)
      w.addServer('a.test', u, [a]);
    w.addVolume('a.test', 'vol', 300, [U1, U2]);
    const cell = await w.run(w.net.lookupCell('a.test', { vlServers: VL }));
    const vol = await w.run(cell.lookupVolume('vol'));
    const list1 = vol.servers;
    const [s1, s2] = list1.entries.map((e) => e.server) as [Server, Server];
    await w.run(vol.ensureCurrent());
    assert.equal(w.ops.count('vlGetEntry'), 1, 'not due: no VLDB query');
    await w.advance(3600_000);
    await w.run(vol.ensureCurrent());
    assert.equal(w.ops.count('vlGetEntry'), 2, 'hourly refresh queries the VLDB');
    assert.equal(vol.servers, list1, 'unchanged answer keeps the list');
    w.addVolume('a.test', 'vol', 300, [U2, U3]);
    vol.noteAbort('VNOVOL');
    await w.run(vol.ensureCurrent());
    assert.notEqual(vol.servers, list1, 'changed answer replaces the list');
    assert.ok(list1.isReleased);
    assert.equal(s2.use, 1, 'a server on both lists keeps exactly one use');
    assert.equal(s1.use, 0, 'the dropped server got its use back');
    await w.advance(10_000 + 50);
    assert.ok(s1.freed, 'and is collected after its GC delay');
    vol.unuseVolume('unuse_user');
    cell.unuseCell('unuse_lookup');
    await w.closeClean();
  });
}

/** DNS-discovered VL servers: TTL clamped to [10 min, 24 h], failures retried after 10 s. */
export function cellDnsRefresh(): Promise<void> {
  return scenario(async (w) => {
    w.ops.enableDns();
    w.ops.delay = () => 0;
    w.ops.dns.set('dns.test', { servers: ['127.0.0.9:7003'], ttlSeconds: 5 });
    const cell = await w.run(w.net.lookupCell('dns.test'));
    assert.deepEqual(cell.vlServers, ['127.0.0.9:7003']);
    assert.equal(cell.vlExpiry, w.clock.now() + 10 * 60_000, 'short TTL clamped up to 10 min');
    w.ops.dns.set('dns.test', new Error('SERVFAIL'));
    await w.advance(10 * 60_000);
    assert.deepEqual(cell.vlServers, ['127.0.0.9:7003'], 'a failed refresh keeps the list');
    assert.equal(cell.vlExpiry, w.clock.now() + 10_000, 'and retries in 10 s');
    w.ops.dns.set('dns.test', { servers: ['127.0.0.10:7003'], ttlSeconds: 10 * 86400 });
    await w.advance(10_000);
    assert.deepEqual(cell.vlServers, ['127.0.0.10:7003']);
    assert.equal(cell.vlExpiry, w.clock.now() + 24 * 3600_000, 'long TTL clamped down to 24 h');
    cell.unuseCell('unuse_lookup');
    await w.advance(10_000 + 50);
    assert.equal(cell.state, 'DEAD', 'unused cell collected after its GC delay');
    await w.closeClean();
  });
}

/** inspect(): cells, servers (uuid, addresses, ref, use, flags, timer due), volumes, server lists. */
export function inspectSnapshot(): Promise<void> {
  return scenario(async (w) => {
    w.addServer('a.test', U1, [A1]);
    w.addServer('a.test', U2, [A2]);
    w.addVolume('a.test', 'vol', 400, [U2, U1]);
    const cell = await w.run(w.net.lookupCell('A.Test', { vlServers: VL }));
    const vol = await w.run(cell.lookupVolume('vol'));
    const extra = await w.run(cell.lookupServer(U1));
    extra.unuseServer('unuse_lookup');
    const snap = w.net.inspect();
    assert.equal(snap.live, true);
    assert.deepEqual(
      snap.cells.map((c) => [c.name, c.state, c.use, c.vlServers, c.inMap]),
      [['a.test', 'ACTIVE', 1, VL, true]],
    );
    assert.equal(snap.cells[0]!.timerDue, null, 'a cell in use has no GC timer');
    // cell refs: the net map's + one per server + the volume's + our use
    assert.equal(snap.cells[0]!.ref, 1 + 2 + 1 + 1);
    assert.deepEqual(
      snap.servers.map((s) => [s.uuid, s.addrs, s.ref, s.use, s.flags, s.inMap]),
      [
        [U1, [A1], 2, 1, ['RESPONDING'], true],
        [U2, [A2], 2, 1, ['RESPONDING'], true],
      ],
    );
    assert.equal(snap.servers[0]!.timerDue, null, 'in use: no timer');
    assert.deepEqual(snap.volumes, [
      {
        cell: 'a.test',
        id: 400,
        name: 'vol',
        debugId: vol.debugId,
        ref: 2,
        use: 1,
        flags: [],
        timerDue: null,
        updateAt: w.clock.now() + 3600_000,
        servers: [
          { uuid: U1, flags: 4 },
          { uuid: U2, flags: 4 },
        ],
      },
    ]);
    const text = formatSnapshot(snap);
    assert.match(text, /^a\.test +ACTIVE +5 +1 +- +127\.0\.0\.1:7003$/m);
    assert.match(
      text,
      new RegExp(`^${U1} +a\\.test +2 +1 +- +responsive +- +RESPONDING ${A1}\\(responsive\\)$`, 'm'),
    );
    assert.equal(snap.servers[0]!.health.state, 'responsive');
    assert.equal(snap.servers[0]!.health.probes, 1, 'probed once, at creation');
    assert.equal(snap.servers[0]!.health.nextProbeAt, snap.servers[0]!.health.probedAt! + 300_000);
    assert.match(text, new RegExp(`^400 +a\\.test +vol +2 +1 +- +${U1},${U2}$`, 'm'));
    vol.unuseVolume('unuse_user');
    assert.equal(
      w.net.inspect().volumes[0]!.timerDue,
      w.clock.now() + 60_000,
      'idle volume shows its GC due',
    );
    assert.match(formatSnapshot(w.net.inspect()), /^400 .* 60000ms /m);
    cell.unuseCell('unuse_lookup');
    await w.closeClean();
    assert.deepEqual(w.net.inspect(), {
      live: false,
      now: w.clock.now(),
      cells: [],
      servers: [],
      volumes: [],
    });
  });
}

export const scenarios = {
  inspectSnapshot,
  cellRemovedBeforeServers,
  concurrentCreationFirstFails,
  useUnuseStormAroundExpiry,
  seededStormAroundExpiry,
  lastUserIsACall,
  addressChangeWithCallsInFlight,
  closeDuringCreation,
  closeDuringGiveUp,
  peerThatNeverAnswers,
  serverDiesAndReturns,
  sharedAddressAcrossCells,
  volumeRefreshReplacesListOnlyOnChange,
  cellDnsRefresh,
};
