// The cache's promise rules without a server: a break during a fetch voids the callback its reply
// carries; volume and server breaks void every promise they cover; expiry counts from the send;
// data is an LRU bounded in bytes and keyed by data version.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VnodeCache } from '../../src/afs/vcache.js';
import type { AFSFetchStatus } from '../../src/rpc/types.js';

const fid = { volume: 7, vnode: 2, unique: 3 };
const other = { volume: 7, vnode: 4, unique: 5 };
const elsewhere = { volume: 8, vnode: 2, unique: 3 };
const cb = (seconds: number) => ({ version: 1, expirationTime: seconds, type: 2 });
const status = (dv: bigint): AFSFetchStatus =>
  ({ fileType: 1, length: 10, dataVersion: dv, mode: 0o644, errorCode: 0 }) as unknown as AFSFetchStatus;

function clocked() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('a promise holds until it expires, counted from when the request was sent', () => {
  const clk = clocked();
  const c = new VnodeCache(1 << 20, clk.now);
  const snap = c.snapshot('cell', fid, 'cell/s1');
  clk.advance(5000); // the reply took 5 s
  c.install('cell', fid, status(1n), cb(60), snap);
  assert.ok(c.validStatus('cell', fid));
  clk.advance(54_000);
  assert.ok(c.validStatus('cell', fid), '59 s after the send');
  clk.advance(2000);
  assert.equal(c.validStatus('cell', fid), undefined, '61 s after the send: expired');
});

test('a break that arrives while the fetch is in flight voids the callback its reply carries', () => {
  const c = new VnodeCache();
  const snap = c.snapshot('cell', fid, 'cell/s1');
  c.breakFid('cell', fid);
  c.install('cell', fid, status(1n), cb(3600), snap);
  assert.equal(c.validStatus('cell', fid), undefined);
  assert.equal(c.stats.voidedCallbacks, 1);
  // The next fetch, after the break, is trusted.
  c.install('cell', fid, status(2n), cb(3600), c.snapshot('cell', fid, 'cell/s1'));
  assert.equal(c.validStatus('cell', fid)?.dataVersion, 2n);
});

test("a volume break voids every promise in that volume only; a server reset only that server's", () => {
  const c = new VnodeCache();
  for (const [f, s] of [
    [fid, 'cell/s1'],
    [other, 'cell/s2'],
    [elsewhere, 'cell/s1'],
  ] as const) {
    c.install('cell', f, status(1n), cb(3600), c.snapshot('cell', f, s));
  }
  c.breakVolume('cell', 7);
  assert.equal(c.validStatus('cell', fid), undefined);
  assert.equal(c.validStatus('cell', other), undefined);
  assert.ok(c.validStatus('cell', elsewhere), 'volume 8 untouched');
  // A volume break during a fetch voids that reply's callback too.
  const snap = c.snapshot('cell', fid, 'cell/s1');
  c.breakVolume('cell', 7);
  c.install('cell', fid, status(2n), cb(3600), snap);
  assert.equal(c.validStatus('cell', fid), undefined);
  // Server reset: s1's promises go, s2's stay.
  c.install('cell', other, status(1n), cb(3600), c.snapshot('cell', other, 'cell/s2'));
  c.breakServer('cell/s1');
  assert.equal(c.validStatus('cell', elsewhere), undefined);
  assert.ok(c.validStatus('cell', other));
});

test('listeners hear breaks; a DROPPED callback is no promise; our own write keeps the promise with the new status', () => {
  const c = new VnodeCache();
  const heard: string[] = [];
  const off = c.onBreak('cell', fid, (ev) => heard.push(ev.reason));
  c.install('cell', fid, status(1n), cb(3600), c.snapshot('cell', fid, 'cell/s1'));
  c.update('cell', fid, status(2n));
  assert.equal(c.validStatus('cell', fid)?.dataVersion, 2n);
  c.breakFid('cell', fid);
  c.breakVolume('cell', 7);
  off();
  c.breakFid('cell', fid);
  assert.deepEqual(heard, ['fid', 'volume']);
  c.install(
    'cell',
    fid,
    status(3n),
    { version: 1, expirationTime: 3600, type: 3 },
    c.snapshot('cell', fid, 'cell/s1'),
  );
  assert.equal(c.validStatus('cell', fid), undefined);
});

test('data chunks are keyed by data version and the LRU stays within its byte bound', () => {
  const c = new VnodeCache(3000);
  c.putChunk('cell', fid, 1n, 0, Buffer.alloc(1000, 1));
  c.putChunk('cell', fid, 2n, 0, Buffer.alloc(1000, 2));
  assert.equal(c.getChunk('cell', fid, 1n, 0)?.[0], 1);
  assert.equal(c.getChunk('cell', fid, 3n, 0), undefined);
  c.putChunk('cell', other, 1n, 0, Buffer.alloc(1000, 3));
  c.putChunk('cell', other, 1n, 1, Buffer.alloc(1000, 4)); // evicts the least recently used: fid@2
  assert.ok(c.stats.dataBytes <= 3000);
  assert.equal(c.getChunk('cell', fid, 2n, 0), undefined);
  assert.equal(c.getChunk('cell', fid, 1n, 0)?.[0], 1, 'recently used stays');
});
