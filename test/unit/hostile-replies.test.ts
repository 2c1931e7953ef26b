// Issue 9 item 5: every RPC's reply is bounded by its definition. A hostile server that pads a
// reply, never ends it, or claims absurd counts and lengths gets a typed error (RXGEN_CC_UNMARSHAL,
// as rxgen's stubs answer an undecodable reply) as soon as the reply outgrows its definition, and
// the client holds no more than that meanwhile. FetchData's raw bytes are bounded by the length asked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AfsClient } from '../../src/client.js';
import { CB } from '../../src/rpc/cb.js';
import { callRpc, fetchRpc } from '../../src/rpc/client.js';
import type { AnyRpcDef } from '../../src/rpc/define.js';
import { FS } from '../../src/rpc/fs.js';
import { addrsByUuid, VL } from '../../src/rpc/vl.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { XdrWriter } from '../../src/xdr/codec.js';
import { FakeCell } from '../helpers/fake-fileserver.js';

let cell: FakeCell;
let ep: RxEndpoint;
before(async () => {
  cell = await FakeCell.start();
  ep = await RxEndpoint.open({ host: '127.0.0.1' });
});
after(async () => {
  await ep.close();
  await cell.close();
});

/** Run fn while sampling heap + buffer memory; resolves to the largest growth seen (bytes). */
async function peakGrowth(fn: () => Promise<unknown>): Promise<number> {
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = used();
  let peak = 0;
  const t = setInterval(() => {
    peak = Math.max(peak, used() - base);
  }, 2);
  try {
    await fn();
  } finally {
    clearInterval(t);
  }
  return Math.max(peak, used() - base);
}

/** Words as a reply payload. */
function words(...ws: number[]): Buffer {
  const w = new XdrWriter(4 * ws.length);
  for (const x of ws) w.u32(x);
  return w.finish();
}

test('every RPC definition bounds its reply (no undeclared array, string or opaque maximum)', () => {
  const defs: AnyRpcDef[] = [...Object.values(FS), ...Object.values(VL), ...Object.values(CB)];
  for (const d of defs) {
    assert.ok(d.result.maxSize <= 16 << 10, `${d.name} reply may reach ${d.result.maxSize} bytes`);
    assert.ok(d.result.maxSize >= d.result.minSize, d.name);
  }
  // 21-word status, callback, volSync: the whole of a FetchStatus reply.
  assert.equal(FS.FetchStatus.result.maxSize, 84 + 12 + 24);
  // 50 statuses and 50 callbacks with their counts, and the volSync.
  assert.equal(FS.InlineBulkStatus.result.maxSize, 4 + 50 * 84 + 4 + 50 * 12 + 24);
});

test('a FetchStatus reply padded by 400 MiB is refused after its 120 bytes, holding almost nothing', async () => {
  const fid = cell.fs.writeFile(cell.root, 'pad', 'x');
  cell.fs.script('FS.FetchStatus', { pad: 400 << 20 });
  const inBefore = ep.stats.bytesIn;
  const t0 = Date.now();
  let err: unknown;
  const growth = await peakGrowth(async () => {
    err = await callRpc(ep, cell.fs.target, FS.FetchStatus, { fid }).catch((e) => e);
  });
  const ms = Date.now() - t0;
  assert.equal((err as { afsName?: string }).afsName, 'RXGEN_CC_UNMARSHAL');
  assert.equal(((err as Error).cause as { code?: string }).code, 'XDR_TOO_LONG');
  const received = ep.stats.bytesIn - inBefore;
  assert.ok(received < 2 << 20, `took in ${received} bytes of the 400 MiB`);
  assert.ok(growth < 32 << 20, `memory grew by ${growth} bytes`);
  assert.ok(ms < 10_000, `refused after ${ms} ms`);
  cell.fs.unscript();
});

test('an endless VL reply: the client gives up at once with a typed error', async () => {
  cell.scriptVl('VL.GetEntryByNameU', { pad: Number.POSITIVE_INFINITY, times: 1 });
  const client = new AfsClient({ ...cell.clientOptions(), cacheSize: false });
  try {
    const growth = await peakGrowth(() =>
      assert.rejects(client.fs.stat(cell.path()), (e: { afsName?: string; code?: string }) => {
        assert.equal(e.afsName, 'RXGEN_CC_UNMARSHAL');
        return true;
      }),
    );
    assert.ok(growth < 32 << 20, `memory grew by ${growth} bytes`);
  } finally {
    await client.close();
  }
});

test('absurd counts and lengths are refused before anything is allocated for them', async () => {
  const fid = cell.fs.writeFile(cell.root, 'absurd', 'x');
  const cases: [AnyRpcDef, object, Buffer][] = [
    // 4 billion statuses
    [FS.InlineBulkStatus, { fids: [fid] }, words(0xffff_ffff, 0, 0)],
    // 51 statuses (AFSCBMAX is 50), each present
    [FS.InlineBulkStatus, { fids: [fid] }, Buffer.concat([words(51), Buffer.alloc(51 * 84)])],
    // a 2 GiB ACL
    [FS.FetchACL, { fid }, words(0x8000_0000)],
    // a volume name of 1 GiB
    [FS.GetVolumeStatus, { volumeId: 1 }, Buffer.concat([Buffer.alloc(48), words(0x4000_0000)])],
    [FS.GetCapabilities, {}, words(1_000_000_000)],
    [VL.GetAddrsU, addrsByUuid(Buffer.alloc(16)), Buffer.concat([Buffer.alloc(52), words(501)])],
  ];
  for (const [def, args, reply] of cases) {
    (def.name.startsWith('VL.') ? cell.scriptVl.bind(cell) : cell.fs.script.bind(cell.fs))(def.name, {
      reply,
      times: 1,
    });
    const target = def.name.startsWith('VL.')
      ? { host: cell.host, port: 7003, serviceId: 52 }
      : cell.fs.target;
    const growth = await peakGrowth(() =>
      assert.rejects(callRpc(ep, target, def, args), (e: { afsName?: string; cause?: { code?: string } }) => {
        assert.equal(e.afsName, 'RXGEN_CC_UNMARSHAL', def.name);
        assert.match(String(e.cause?.code), /^XDR_(TOO_LONG|SHORT)$/, def.name);
        return true;
      }),
    );
    assert.ok(growth < 8 << 20, `${def.name}: memory grew by ${growth}`);
  }
});

test('FetchData: an announced length beyond the length asked is refused before any byte is read', async () => {
  const fid = cell.fs.writeFile(cell.root, 'data', Buffer.alloc(5000, 7));
  for (const [def, announce] of [
    [FS.FetchData64, 2 ** 40],
    [FS.FetchData64, 1001],
    [FS.FetchData, 0xffff_ffff],
  ] as const) {
    cell.fs.script(def.name, { announce, send: 0, times: 1 });
    let sunk = 0;
    await assert.rejects(
      fetchRpc(
        ep,
        cell.fs.target,
        def,
        { fid, pos: 0, length: 1000 },
        (c) => {
          sunk += c.length;
        },
        {
          maxLength: 1000,
        },
      ),
      { code: 'EPROTO', afsName: 'RX_PROTOCOL_ERROR' },
    );
    assert.equal(sunk, 0, `${def.name} announcing ${announce}: no byte passed on`);
  }
});

test('FetchData: more bytes than announced run into the result and make the reply too long', async () => {
  const fid = cell.fs.writeFile(cell.root, 'data2', Buffer.alloc(5000, 7));
  // Announces 100, streams 1 MiB: the 100 go to the sink, the rest is an over-long result.
  cell.fs.script('FS.FetchData64', { announce: 100, send: 1 << 20, times: 1 });
  let sunk = 0;
  await assert.rejects(
    fetchRpc(
      ep,
      cell.fs.target,
      FS.FetchData64,
      { fid, pos: 0, length: 1000 },
      (c) => {
        sunk += c.length;
      },
      {
        maxLength: 1000,
      },
    ),
    { code: 'EPROTO', afsName: 'RXGEN_CC_UNMARSHAL' },
  );
  assert.equal(sunk, 100);
  // Announces 1000, sends 10: the result is read from what should have been data and ends short.
  cell.fs.script('FS.FetchData64', { announce: 1000, send: 10, times: 1 });
  await assert.rejects(
    fetchRpc(ep, cell.fs.target, FS.FetchData64, { fid, pos: 0, length: 1000 }, () => {}, {
      maxLength: 1000,
    }),
    { code: 'EPROTO' },
  );
});

test('a read through the client never returns bytes a lying FetchData64 adds', async () => {
  cell.fs.writeFile(cell.root, 'liar', Buffer.alloc(3000, 1));
  const client = new AfsClient({ ...cell.clientOptions(), cacheSize: false });
  try {
    assert.equal((await client.fs.readFile(cell.path('liar'))).length, 3000);
    cell.fs.script('FS.FetchData64', { announce: 1 << 30 });
    await assert.rejects(client.fs.readFile(cell.path('liar')), { code: 'EPROTO' });
  } finally {
    cell.fs.unscript();
    await client.close();
  }
});
