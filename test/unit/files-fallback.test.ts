// The paths only a simulated server shows: FetchData64/StoreData64 answered with RXGEN_OPCODE fall
// back to the 32-bit calls, which never carry an offset at or beyond 2^31 (OpenAFS reads them as
// signed); StoreACL 164 answered with RXGEN_OPCODE falls back to OldStoreACL 134.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemClock } from '../../src/afs/clock.js';
import { FileService } from '../../src/afs/fs-operation.js';
import { fetchData, fetchRange, storeData } from '../../src/afs/fsclient.js';
import type { RpcTarget } from '../../src/rpc/client.js';
import { storeStatus } from '../../src/rpc/types.js';
import { RxEndpoint } from '../../src/rx/endpoint.js';
import { FakeFileServer, type FakeFileServerOptions } from '../helpers/fake-fileserver.js';

let ep: RxEndpoint;
const servers: FakeFileServer[] = [];

before(async () => {
  ep = await RxEndpoint.open({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  for (const s of servers) await s.close();
  await ep.close();
});

async function server(o: FakeFileServerOptions = {}): Promise<FakeFileServer> {
  const s = await FakeFileServer.start(o);
  servers.push(s);
  return s;
}

const fid = { volume: 536870918, vnode: 2, unique: 3 };
const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255));

test('a server with the 64-bit RPCs gets them and nothing else', async () => {
  const s = await server();
  const t: RpcTarget = s.target;
  const data = bytes(5000, 1);
  await storeData(ep, t, fid, storeStatus({}), 0, data, data.length, data.length);
  const got: Buffer[] = [];
  await fetchData(ep, t, fid, 0, 5000, (c) => void got.push(c));
  assert.ok(Buffer.concat(got).equals(data));
  assert.deepEqual(s.calls, ['FS.StoreData64', 'FS.FetchData64']);
});

test('RXGEN_OPCODE to StoreData64/FetchData64: the same bytes go by StoreData/FetchData', async () => {
  const s = await server({ no64: true });
  const t: RpcTarget = s.target;
  const data = bytes(3 * 1412 * 32 + 5, 2);
  const r = await storeData(ep, t, fid, storeStatus({}), 0, data, data.length, data.length);
  assert.equal(r.status.length, data.length);
  assert.ok(s.files.get('536870918.2.3')?.equals(data), 'the server holds the bytes');
  const got: Buffer[] = [];
  const f = await fetchRange(ep, t, fid, 0, data.length, (c) => void got.push(c), { chunkSize: 40_000 });
  assert.equal(f.total, data.length);
  assert.ok(Buffer.concat(got).equals(data));
  // StoreData64 was tried once; after that the server is known to lack the 64-bit calls, so
  // FetchData64 is never sent to it.
  assert.equal(s.calls.filter((c) => c === 'FS.StoreData64').length, 1);
  assert.equal(s.calls.filter((c) => c === 'FS.FetchData64').length, 0);
  assert.ok(s.calls.filter((c) => c === 'FS.FetchData').length >= 2);
  assert.deepEqual(s.calls.slice(0, 2), ['FS.StoreData64', 'FS.StoreData']);
});

test('a read first: FetchData64 refused once, then FetchData; then StoreData directly', async () => {
  const s = await server({ no64: true });
  const t: RpcTarget = s.target;
  s.files.set('536870918.2.3', bytes(100, 3));
  const got: Buffer[] = [];
  await fetchData(ep, t, fid, 10, 50, (c) => void got.push(c));
  assert.ok(Buffer.concat(got).equals(bytes(100, 3).subarray(10, 60)));
  await storeData(ep, t, fid, storeStatus({}), 100, bytes(5, 4), 5, 105);
  assert.deepEqual(s.calls, ['FS.FetchData64', 'FS.FetchData', 'FS.StoreData']);
  assert.ok(s.files.get('536870918.2.3')?.subarray(100).equals(bytes(5, 4)));
});

test('the 32-bit fallback never sends an offset or length at or beyond 2^31', async () => {
  const s = await server({ no64: true });
  const t: RpcTarget = s.target;
  await storeData(ep, t, fid, storeStatus({}), 0, Buffer.from('x'), 1, 1); // learn: no 64-bit
  const far = 2 ** 31;
  await assert.rejects(storeData(ep, t, fid, storeStatus({}), far, Buffer.from('y'), 1, far + 1), {
    code: 'EFBIG',
  });
  await assert.rejects(storeData(ep, t, fid, storeStatus({}), far - 1, Buffer.from('yz'), 2, far + 1), {
    code: 'EFBIG',
  });
  await assert.rejects(storeData(ep, t, fid, storeStatus({}), 0, Buffer.alloc(0), 0, far), { code: 'EFBIG' });
  await assert.rejects(
    fetchData(ep, t, fid, far, 10, () => {}),
    { code: 'EFBIG' },
  );
  // A read that starts below 2^31 and would cross it is cut at 2^31 - 1.
  await fetchData(ep, t, fid, far - 10, 100, () => {});
  for (const a of s.dataArgs.filter((x) => !x.rpc.endsWith('64'))) {
    assert.ok(a.pos + a.length <= 0x7fffffff, `${a.rpc} pos ${a.pos} length ${a.length}`);
    if (a.fileLength !== undefined) assert.ok(a.fileLength <= 0x7fffffff);
  }
  assert.ok(s.dataArgs.some((a) => a.rpc === 'FS.FetchData' && a.pos === far - 10 && a.length === 9));
});

test('StoreACL 164 refused with RXGEN_OPCODE: the ACL is stored with OldStoreACL 134', async () => {
  for (const noStoreAcl164 of [false, true]) {
    const s = await server({ noStoreAcl164 });
    const files = new FileService(ep, () => undefined);
    const acl = Buffer.from('1\n0\nsystem:anyuser 9\n\0');
    // FileService.call rotates over a volume's servers; storeAcl's fallback is what is tested here,
    // so give it a one-server "cell" whose volume lookup yields the fake.
    const cell = fakeCell(s.target);
    await files.storeAcl(cell as never, fid, acl);
    assert.ok(s.acls.get('536870918.2.3')?.equals(acl));
    assert.deepEqual(s.calls, noStoreAcl164 ? ['FS.StoreACL', 'FS.OldStoreACL'] : ['FS.StoreACL']);
  }
});

/** Just enough of a Cell for withVolume + rotate: one volume on one server at the fake's address. */
function fakeCell(t: RpcTarget) {
  const server = {
    uuid: 'fake',
    addrs: [`${t.host}:${t.port}`],
    checkRecord: async () => {},
    beginCall: () => ({ end() {} }),
    noteMayHaveCallbacks() {},
    health: { state: 'responsive', rttOf: () => null, probedAt: null, addresses: () => [] },
    noteCallAnswered() {},
    noteCallFailed() {},
    probeNow: async () => {},
  };
  const volume = {
    name: 'fake.vol',
    volumeId: fid.volume,
    cell: { net: { clock: systemClock, options: { clientUuid: '' } } },
    servers: { entries: [{ server }] },
    ensureCurrent: async () => {},
    noteAbort() {},
    unuseVolume() {},
  };
  return { name: 'fake.test', lookupVolume: async () => volume };
}
