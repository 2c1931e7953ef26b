// A replicated volume's file server dies in the middle of a read (issue 14): two in-process file
// servers hold the same RO volume; the one serving the read goes silent part-way (its relay drops
// every packet, as a SIGKILLed or SIGSTOPped server looks from the client). The read must go on at
// the other site from the first byte not yet delivered, bit-exact, and never mix data versions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FileService } from '../../src/afs/fs-operation.js';
import { DataVersionChangedError } from '../../src/afs/fsclient.js';
import { Net } from '../../src/afs/net.js';
import type { AfsRecordOps } from '../../src/afs/ops.js';
import { VnodeCache } from '../../src/afs/vcache.js';
import { VLSF_ROVOL } from '../../src/rpc/vl.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { FakeFileServer } from '../helpers/fake-fileserver.js';
import { UdpRelay } from '../helpers/relay.js';

const fid = { volume: 536870919, vnode: 6, unique: 7 };
const SIZE = 12 << 20;
const content = (seed: number) => {
  const b = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i += 4) b.writeUInt32BE((i * 2654435761 + seed) >>> 0, i);
  return b;
};
const V1 = content(1);
const DEAD_MS = 1500;

let ep: RxEndpoint;
before(async () => {
  ep = await RxEndpoint.open({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await ep.close();
});

interface Site {
  server: FakeFileServer;
  relay: UdpRelay;
  /** Make the site go silent in both directions. */
  kill(): void;
}

async function site(data: Buffer, dv = 1n): Promise<Site> {
  const server = await FakeFileServer.start();
  server.files.set(`${fid.volume}.${fid.vnode}.${fid.unique}`, data);
  server.dataVersion = dv;
  const relay = await UdpRelay.start(server.target);
  return {
    server,
    relay,
    kill: () => {
      relay.faults = { drop: 1 };
    },
  };
}

/** A Net whose one RO volume has a site on each fake server. */
async function world(sites: Site[], cache?: VnodeCache) {
  const addrs = new Map(sites.map((s, i) => [`u${i}`, `${s.relay.address.host}:${s.relay.address.port}`]));
  const ops: AfsRecordOps = {
    vlGetEntry: async () => ({
      name: 'rep.readonly',
      volumeId: fid.volume,
      sites: [...addrs.keys()].map((uuid) => ({ uuid, uniquifier: 1, flags: VLSF_ROVOL })),
    }),
    vlGetAddrs: async (_c, uuid) => ({ addrs: [addrs.get(uuid)!], uniquifier: 1 }),
    fsProbe: async () => ({ responded: true, capabilities: 0 }),
    fsGiveUpAllCallBacks: async () => {},
  };
  const net = new Net({ ops, serverGcDelayMs: 0, volumeGcDelayMs: 0, cellGcDelayMs: 0 });
  const cell = await net.lookupCell('fake.test', { vlServers: ['127.0.0.1:7003'], noGc: true });
  const files = new FileService(ep, () => undefined, net.signal, cache, undefined, { deadTime: DEAD_MS });
  return {
    cell,
    files,
    close: async () => {
      cell.unuseCell('unuse_lookup');
      await net.close({ timeout: 5000 });
      for (const s of sites) {
        await s.relay.close();
        await s.server.close();
      }
    },
  };
}

/** Kill whichever site first sends `after` bytes of file data (over all its calls). */
function killServingSiteAfter(sites: Site[], after: number): { killed: () => Site | undefined } {
  let killed: Site | undefined;
  for (const s of sites) {
    let total = 0;
    let last = 0;
    s.server.onFetchProgress = (sent) => {
      total += sent > last ? sent - last : sent;
      last = sent;
      if (!killed && total >= after) {
        killed = s;
        s.kill();
      }
    };
  }
  return { killed: () => killed };
}

async function read(w: Awaited<ReturnType<typeof world>>, parallel?: number) {
  const parts: Buffer[] = [];
  const t0 = performance.now();
  const r = await w.files.fetchData(w.cell, fid, 0, Number.MAX_SAFE_INTEGER, (c) => void parts.push(c), {
    parallel,
  });
  return { data: Buffer.concat(parts), total: r.total, ms: performance.now() - t0 };
}

for (const parallel of [1, 4]) {
  test(`a site dying mid-read: the other site resumes at the next byte, bit-exact (parallel ${parallel})`, async () => {
    const sites = [await site(V1), await site(V1)];
    const w = await world(sites);
    try {
      const base = await read(w, parallel);
      assert.ok(base.data.equals(V1));
      for (const s of sites) s.server.dataArgs.length = 0;
      // Past the first call (4 MiB), whose bytes are delivered once its reply is in.
      const k = killServingSiteAfter(sites, 6 << 20);
      const r = await read(w, parallel);
      const dead = k.killed();
      assert.ok(dead, 'a site was killed during the read');
      assert.equal(r.data.length, SIZE);
      assert.equal(r.total, SIZE);
      assert.ok(r.data.equals(V1), 'bytes equal the file');
      // The survivor was asked only for what had not been delivered, never the range's start again.
      const other = sites.find((s) => s !== dead)!;
      const asked = other.server.dataArgs.map((a) => [a.pos, a.pos + a.length] as const);
      assert.ok(asked.length > 0);
      const covered = asked.reduce((n, [a, b]) => n + (Math.min(b, SIZE) - a), 0);
      assert.ok(covered < SIZE, `survivor sent ${covered} bytes, less than the whole file`);
      console.log(
        `failover (parallel ${parallel}): ${r.ms.toFixed(0)} ms vs ${base.ms.toFixed(0)} ms baseline, ` +
          `added ${(r.ms - base.ms).toFixed(0)} ms (dead time ${DEAD_MS} ms)`,
      );
    } finally {
      await w.close();
    }
  });
}

test('the other site has another data version: typed error, only the first version delivered', async () => {
  const v2 = content(2);
  const sites = [await site(V1, 1n), await site(v2, 2n)];
  const w = await world(sites);
  try {
    // Only the V1 site serves first: make sure it is the one that dies, whatever the site order.
    const k = killServingSiteAfter([sites[0]!], 6 << 20);
    sites[1]!.server.onFetchProgress = undefined;
    const parts: Buffer[] = [];
    const err = await w.files
      .fetchData(w.cell, fid, 0, SIZE, (c) => void parts.push(c), { parallel: 1, path: '/afs/x/f' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    if (!k.killed()) {
      // Site order put the v2 site first: the read came whole from it and must be exactly v2.
      assert.equal(err, undefined);
      assert.ok(Buffer.concat(parts).equals(v2));
      return;
    }
    assert.ok(err instanceof DataVersionChangedError, `got ${String(err)}`);
    assert.equal(err.code, 'ESTALE');
    assert.equal(err.expected, 1n);
    assert.equal(err.got, 2n);
    assert.match(err.message, /data version 1, then 2/);
    const got = Buffer.concat(parts);
    assert.ok(got.length > 0 && got.length < SIZE);
    assert.ok(got.equals(V1.subarray(0, got.length)), 'what was delivered is a prefix of version 1');
  } finally {
    await w.close();
  }
});

test('a site dying before anything was delivered: the read starts cleanly at the other version', async () => {
  const v2 = content(3);
  const sites = [await site(V1, 1n), await site(v2, 2n)];
  const w = await world(sites);
  try {
    // Killed inside the first call, whose bytes are held until its reply: nothing was delivered.
    const k = killServingSiteAfter([sites[0]!], 1 << 20);
    const r = await read(w, 4);
    if (k.killed()) assert.ok(r.data.equals(v2), 'all of version 2');
    else assert.ok(r.data.equals(v2) || r.data.equals(V1));
    assert.equal(r.total, SIZE);
  } finally {
    await w.close();
  }
});

test('a file that changes between the parallel calls of one read is never delivered mixed', async () => {
  const sites = [await site(V1, 1n)];
  const w = await world(sites);
  try {
    const s = sites[0]!.server;
    const key = `${fid.volume}.${fid.vnode}.${fid.unique}`;
    let calls = 0;
    // After the first call has been answered, the file becomes version 2.
    s.onFetchProgress = (sent) => {
      if (sent === 4 << 20 && ++calls === 1) {
        setImmediate(() => {
          s.files.set(key, content(4));
          s.dataVersion = 2n;
        });
      }
    };
    const parts: Buffer[] = [];
    const err = await w.files
      .fetchData(w.cell, fid, 0, SIZE, (c) => void parts.push(c), { parallel: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof DataVersionChangedError, `got ${String(err)}`);
    const got = Buffer.concat(parts);
    assert.ok(got.equals(V1.subarray(0, got.length)), 'only version 1 bytes delivered');
    assert.ok(got.length < SIZE);
  } finally {
    await w.close();
  }
});

test('with the cache on, a failed-over read caches exactly the file and re-reads it from the cache', async () => {
  const sites = [await site(V1), await site(V1)];
  const cache = new VnodeCache(64 << 20, Date.now, 1000);
  const w = await world(sites, cache);
  try {
    const k = killServingSiteAfter(sites, 3 << 20);
    const r = await read(w, 4);
    assert.ok(k.killed());
    assert.ok(r.data.equals(V1));
    const calls = sites.map((s) => s.server.calls.length);
    const again = await read(w, 4);
    assert.ok(again.data.equals(V1));
    assert.deepEqual(
      sites.map((s) => s.server.calls.length),
      calls,
      'second read served by the cache',
    );
  } finally {
    await w.close();
  }
});
