import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordAccountingError } from '../../src/afs/record-errors.js';
import { RwLock } from '../../src/afs/rwlock.js';

const tick = () => new Promise((r) => setImmediate(r));

test('readers share, a writer excludes', async () => {
  const l = new RwLock();
  const r1 = await l.read();
  const r2 = await l.read();
  assert.deepEqual(l.state, { readers: 2, writer: false, waiting: 0 });
  let wrote = false;
  const w = l.write().then((rel) => {
    wrote = true;
    return rel;
  });
  await tick();
  assert.equal(wrote, false, 'writer waits for readers');
  r1();
  await tick();
  assert.equal(wrote, false);
  r2();
  const rel = await w;
  assert.equal(wrote, true);
  assert.equal(l.state.writer, true);
  rel();
  assert.deepEqual(l.state, { readers: 0, writer: false, waiting: 0 });
});

test('writer-fair: a waiting writer blocks later readers', async () => {
  const l = new RwLock();
  const order: string[] = [];
  const r1 = await l.read();
  const w = l.write().then((rel) => {
    order.push('w');
    rel();
  });
  const r2 = l.read().then((rel) => {
    order.push('r2');
    rel();
  });
  await tick();
  assert.deepEqual(order, [], 'r2 does not jump the queued writer');
  r1();
  await Promise.all([w, r2]);
  assert.deepEqual(order, ['w', 'r2']);
});

test('consecutive queued readers are granted together after a writer', async () => {
  const l = new RwLock();
  const w = await l.write();
  const got: number[] = [];
  const rs = [1, 2, 3].map((i) =>
    l.read().then((rel) => {
      got.push(i);
      return rel;
    }),
  );
  w();
  const rels = await Promise.all(rs);
  assert.deepEqual(got, [1, 2, 3]);
  assert.equal(l.state.readers, 3);
  for (const r of rels) r();
});

test('withWrite releases on throw; double release is an accounting error', async () => {
  const l = new RwLock();
  await assert.rejects(
    l.withWrite(() => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(l.state.writer, false);
  const rel = await l.read();
  rel();
  assert.throws(rel, RecordAccountingError);
});
