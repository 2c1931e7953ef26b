// Rotation over a volume's sites (issue 14): one test per row of the error → action rules, the
// site order (health, RTT, client UUID), the short silence when another site can serve, and the
// lone unresponsive server failing fast with a message naming address and volume. The record
// layer is real (Net, cell, volume, servers); the RPC is a stub that fails as each test says.
// Also the probe rhythm on the fake clock: creation, 5 min while responsive, 30 s while not,
// on demand when a call gets no answer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Clock } from '../../src/afs/clock.js';
import { PROBE_FAST_MS, PROBE_SLOW_MS } from '../../src/afs/fs-probe.js';
import { Net } from '../../src/afs/net.js';
import type { AfsRecordOps, FsProbeResult } from '../../src/afs/ops.js';
import {
  type Attempt,
  ROTATION_TABLE,
  type RotateOptions,
  rotate,
  SHORT_DEAD_MAX_MS,
  withVolume,
} from '../../src/afs/rotate.js';
import type { Volume } from '../../src/afs/volume.js';
import {
  AfsError,
  abortToError,
  RX_CALL_DEAD,
  RX_RESTARTING,
  RXGEN_OPCODE,
  UAE_BASE,
  VBUSY,
  VMOVED,
  VNOVOL,
  VOFFLINE,
  VSALVAGE,
  VSALVAGING,
} from '../../src/rpc/errors.js';
import { VLSF_ROVOL } from '../../src/rpc/vl.js';
import { FakeClock, settle } from '../sim/fake-clock.js';

const UAEACCES = UAE_BASE + 12;

// The record layer's timers are unref()ed (a client's socket keeps the process up); no socket here.
let keepAlive: NodeJS.Timeout;
before(() => {
  keepAlive = setInterval(() => {}, 1000);
});
after(() => clearInterval(keepAlive));

interface FakeSite {
  uuid: string;
  addrs: string[];
  rttMs: number;
  up: boolean;
}

async function world(sites: FakeSite[], o: { clock?: Clock; clientUuid?: string } = {}) {
  const counts = { vlGetEntry: 0, fsProbe: 0 };
  const byUuid = new Map(sites.map((s) => [s.uuid, s]));
  const ops: AfsRecordOps = {
    vlGetEntry: async () => {
      counts.vlGetEntry++;
      return {
        name: 'v.readonly',
        volumeId: 7,
        sites: sites.map((s) => ({ uuid: s.uuid, uniquifier: 1, flags: VLSF_ROVOL })),
      };
    },
    vlGetAddrs: async (_c, uuid) => ({ addrs: byUuid.get(uuid)!.addrs, uniquifier: 1 }),
    fsProbe: async (server, addrs): Promise<FsProbeResult> => {
      counts.fsProbe++;
      const s = byUuid.get(server.uuid)!;
      return {
        capabilities: 0,
        responded: s.up,
        addrs: addrs.map((addr) => ({
          addr,
          rttMs: s.up ? s.rttMs : null,
          error: s.up ? undefined : 'RX_CALL_DEAD',
        })),
      };
    },
    fsGiveUpAllCallBacks: async () => {},
  };
  const net = new Net({ ops, clock: o.clock, clientUuid: o.clientUuid ?? 'client-1', serverGcDelayMs: 0 });
  const cell = await net.lookupCell('r.test', { vlServers: ['127.0.0.1:7003'], noGc: true });
  return {
    net,
    cell,
    counts,
    close: async () => {
      cell.unuseCell('unuse_lookup');
      await net.close({ timeout: 5000 });
    },
  };
}

const A: FakeSite = { uuid: 'a', addrs: ['127.0.0.1:7101', '127.0.0.2:7101'], rttMs: 1, up: true };
const B: FakeSite = { uuid: 'b', addrs: ['127.0.0.1:7102'], rttMs: 10, up: true };
const sitesAB = () => [{ ...A }, { ...B }];

/** Runs one rotation; `fail(attempt, n)` returns the error for the n-th attempt, or undefined. */
async function run(
  w: Awaited<ReturnType<typeof world>>,
  fail: (a: Attempt, n: number) => unknown,
  o: RotateOptions = {},
) {
  const tried: string[] = [];
  const timeouts: (number | undefined)[] = [];
  let result: unknown;
  let error: unknown;
  try {
    result = await withVolume(w.cell, 7, (v) =>
      rotate(
        v,
        async (a) => {
          tried.push(`${a.server.uuid}@${a.target.host}`);
          timeouts.push(a.timeouts.deadTime);
          const e = fail(a, tried.length);
          if (e) throw e;
          return 'ok';
        },
        { busyBackoffMs: 5, readOnly: true, ...o },
      ),
    );
  } catch (e) {
    error = e;
  }
  return { tried, timeouts, result, error };
}

const abort = (code: number) => abortToError(code, { rpc: 'FS.FetchStatus' });
const onA = (code: number) => (a: Attempt) => (a.server.uuid === 'a' ? abort(code) : undefined);
const firstOnly = (code: number) => (_a: Attempt, n: number) => (n === 1 ? abort(code) : undefined);

test('the table has a row for every policy, and each row says where to go', () => {
  assert.deepEqual(Object.keys(ROTATION_TABLE).sort(), [
    'busy',
    'downgrade',
    'fail',
    'next-address',
    'next-server',
    'refresh-vldb',
  ]);
});

for (const [name, code] of [
  ['VBUSY', VBUSY],
  ['VRESTARTING', RX_RESTARTING],
] as const) {
  test(`${name}: the other site, and when every site is busy, wait and retry`, async () => {
    const w = await world(sitesAB());
    try {
      const r = await run(w, (_a, n) => (n <= 2 ? abort(code) : undefined));
      assert.equal(r.result, 'ok');
      assert.deepEqual(r.tried, ['a@127.0.0.1', 'b@127.0.0.1', 'a@127.0.0.1']);
    } finally {
      await w.close();
    }
  });
}

test('all sites busy past the busy limit: the error names the volume and each try', async () => {
  const w = await world(sitesAB());
  try {
    const r = await run(w, () => abort(VBUSY), { busyLimitMs: 50 });
    assert.ok(r.error instanceof AfsError);
    assert.equal(r.error.afsCode, VBUSY);
    assert.match(
      r.error.message,
      /volume v\.readonly \(7\); tried 127\.0\.0\.1:7101 VBUSY, 127\.0\.0\.1:7102 VBUSY/,
    );
    assert.ok(r.tried.length >= 4, 'retried after backing off');
  } finally {
    await w.close();
  }
});

for (const [name, code] of [
  ['VOFFLINE', VOFFLINE],
  ['VSALVAGE', VSALVAGE],
  ['VSALVAGING', VSALVAGING],
] as const) {
  test(`${name}: next site`, async () => {
    const w = await world(sitesAB());
    try {
      const r = await run(w, onA(code));
      assert.equal(r.result, 'ok');
      assert.deepEqual(r.tried, ['a@127.0.0.1', 'b@127.0.0.1']);
      assert.equal(w.counts.vlGetEntry, 1, 'no VLDB re-read');
    } finally {
      await w.close();
    }
  });
}

for (const [name, code] of [
  ['VNOVOL', VNOVOL],
  ['VMOVED', VMOVED],
] as const) {
  test(`${name}: the VLDB is read again, once`, async () => {
    const w = await world(sitesAB());
    try {
      const once = await run(w, firstOnly(code));
      assert.equal(once.result, 'ok');
      assert.equal(w.counts.vlGetEntry, 2, 're-read once');
      // Answered every time: one re-read, then the other site, then the error.
      const always = await run(w, () => abort(code));
      assert.ok(always.error instanceof AfsError && always.error.afsCode === code);
      assert.equal(w.counts.vlGetEntry, 3, 'only one more re-read for the second operation');
    } finally {
      await w.close();
    }
  });
}

test("RX_CALL_DEAD: the server's next address, then the next server; a short silence while another can serve", async () => {
  const sites = sitesAB();
  const w = await world(sites);
  try {
    assert.deepEqual((await run(w, () => undefined)).tried, ['a@127.0.0.1'], 'lower RTT first');
    sites[0]!.up = false; // the probe the failed call starts finds it dead too
    const r = await run(w, (a) => (a.server.uuid === 'a' ? abort(RX_CALL_DEAD) : undefined));
    assert.equal(r.result, 'ok');
    assert.deepEqual(r.tried, ['a@127.0.0.1', 'a@127.0.0.2', 'b@127.0.0.1']);
    assert.ok(r.timeouts[0]! <= SHORT_DEAD_MAX_MS && r.timeouts[1]! <= SHORT_DEAD_MAX_MS);
    assert.equal(r.timeouts[2], 30_000, 'the last site keeps the long dead time');
    // The failure is remembered: the next operation goes to b first.
    await settle();
    const next = await run(w, () => undefined);
    assert.deepEqual(next.tried, ['b@127.0.0.1']);
  } finally {
    await w.close();
  }
});

for (const [name, code] of [
  ['RXGEN_OPCODE', RXGEN_OPCODE],
  ['UAEACCES (permission)', UAEACCES],
] as const) {
  test(`${name}: never rotates`, async () => {
    const w = await world(sitesAB());
    try {
      const r = await run(w, () => abort(code));
      assert.ok(r.error instanceof AfsError && r.error.afsCode === code);
      assert.deepEqual(r.tried, ['a@127.0.0.1']);
    } finally {
      await w.close();
    }
  });
}

test('a locked file stays pinned to its server, even when another site could answer', async () => {
  const w = await world(sitesAB());
  try {
    const r = await run(w, () => abort(VOFFLINE), { pinServer: 'b' });
    assert.ok(r.error instanceof AfsError && r.error.afsCode === VOFFLINE);
    assert.deepEqual(r.tried, ['b@127.0.0.1']);
  } finally {
    await w.close();
  }
});

test('sites by health, then RTT: an unresponsive server is skipped while another site exists', async () => {
  const sites = sitesAB();
  sites[0]!.rttMs = 40; // a is slower now
  const w = await world(sites);
  try {
    assert.deepEqual((await run(w, () => undefined)).tried, ['b@127.0.0.1'], 'lower RTT first');
    sites[1]!.up = false;
    for (const s of w.net.servers()) if (s.uuid === 'b') await s.probeNow('on_demand');
    assert.deepEqual((await run(w, () => undefined)).tried, ['a@127.0.0.1'], 'unresponsive last');
  } finally {
    await w.close();
  }
});

test('equal sites: clients spread over them by their UUID', async () => {
  const first = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const w = await world(
      [
        { ...A, rttMs: 2 },
        { ...B, rttMs: 2 },
      ],
      { clientUuid: `client-${i}` },
    );
    try {
      first.add((await run(w, () => undefined)).tried[0]!);
    } finally {
      await w.close();
    }
  }
  assert.deepEqual([...first].sort(), ['a@127.0.0.1', 'b@127.0.0.1']);
});

test('the only site is unresponsive: probed again, then a fast typed error naming address and volume', async () => {
  const w = await world([{ ...B, up: false }]);
  try {
    await withVolume(w.cell, 7, async () => {});
    const probes = w.counts.fsProbe;
    const r = await run(w, () => assert.fail('no call to a server known dead'));
    assert.ok(r.error instanceof AfsError);
    assert.equal(r.error.code, 'ETIMEDOUT');
    assert.match(
      r.error.message,
      /volume v\.readonly \(7\); tried 127\.0\.0\.1:7102 \(unresponsive: RX_CALL_DEAD\)/,
    );
    assert.deepEqual(r.tried, []);
    assert.equal(w.counts.fsProbe, probes, 'a probe younger than 5 s is trusted');
  } finally {
    await w.close();
  }
});

test('probe rhythm on the fake clock: 5 min while responsive, 30 s while not, at once after a dead call', async () => {
  const clock = new FakeClock();
  const sites = [{ ...B }];
  const w = await world(sites, { clock });
  let v: Volume | undefined;
  try {
    v = await w.cell.lookupVolume('7');
    const s = v.servers.entries[0]!.server;
    assert.equal(w.counts.fsProbe, 1, 'probed at creation');
    assert.equal(s.health.state, 'responsive');
    assert.equal(s.health.nextProbeAt, clock.now() + PROBE_SLOW_MS);
    await clock.advance(PROBE_SLOW_MS - 1);
    assert.equal(w.counts.fsProbe, 1);
    sites[0]!.up = false;
    await clock.advance(1);
    await settle();
    assert.equal(w.counts.fsProbe, 2, 'the 5-minute probe');
    assert.equal(s.health.state, 'unresponsive');
    await clock.advance(PROBE_FAST_MS);
    await settle();
    assert.equal(w.counts.fsProbe, 3, 'every 30 s while unresponsive');
    sites[0]!.up = true;
    await clock.advance(PROBE_FAST_MS);
    await settle();
    assert.equal(w.counts.fsProbe, 4);
    assert.equal(s.health.state, 'responsive', 'back within one probe period');
    assert.equal(s.health.nextProbeAt, clock.now() + PROBE_SLOW_MS);
    // A call that got no answer: probed now, not in 5 min.
    s.noteCallFailed(s.addrs[0]!, 'RX_CALL_DEAD');
    assert.equal(s.health.state, 'unresponsive');
    await settle();
    assert.equal(w.counts.fsProbe, 5, 'probed on demand');
    assert.equal(s.health.state, 'responsive');
  } finally {
    v?.unuseVolume('unuse_lookup');
    const closing = w.close();
    await clock.runUntil(() => false, clock.now() + 60_000).catch(() => {});
    await closing;
    assert.equal(clock.pending, 0, 'no timer left');
  }
});
