import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerMap } from '../../src/afs/peer-map.js';

const a = { uuid: 'a' };
const b = { uuid: 'b' };

test('the oldest binding is the primary; later ones never steal the peer', () => {
  const m = new PeerMap();
  m.bind('127.0.0.1:7000', a);
  m.bind('127.0.0.1:7000', b);
  m.bind('127.0.0.1:7000', a); // re-bind keeps the order
  assert.equal(m.lookup('127.0.0.1:7000'), a);
  assert.deepEqual(m.lookupAll('127.0.0.1:7000'), [a, b]);
  assert.equal(m.lookupByUuid('127.0.0.1:7000', 'b'), b);
  assert.equal(m.lookupByUuid('127.0.0.1:7000', 'c'), undefined);
});

test('a record removes only its own binding; the next takes over', () => {
  const m = new PeerMap();
  m.bind('x', a);
  m.bind('x', b);
  m.unbind('x', b);
  assert.equal(m.lookup('x'), a);
  m.bind('x', b);
  m.unbind('x', a);
  assert.equal(m.lookup('x'), b);
  m.unbind('x', a); // not bound: no effect
  assert.equal(m.lookup('x'), b);
  m.unbind('x', b);
  assert.equal(m.lookup('x'), undefined, 'unmapped peer yields nothing');
  assert.equal(m.size, 0);
});
