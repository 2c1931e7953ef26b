import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assembleTicket,
  decodeTicket,
  lifeToTime,
  makeTicket,
  TicketError,
  timeToLife,
} from '../../src/auth/ticket.js';
import { DesKey, desPcbcEncrypt } from '../../src/rx/crypto/des.js';
import { RXKADBADTICKET, RXKADEXPIRED, RXKADNOAUTH, RxkadError } from '../../src/rx/security/rxkad-errors.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const KEY = hex('4c2c1a5b7f3e0b9d');
const SK = hex('a48c7fc1b0dc1679');
const base = {
  name: 'admin',
  instance: '',
  cell: '',
  host: 0,
  sessionKey: SK,
  start: 0,
  end: 0xffffffff,
  serviceName: 'afs',
  serviceInstance: '',
};

test('assembled record follows the Kerberos 4 layout field by field', () => {
  const r = assembleTicket({
    ...base,
    instance: 'x',
    cell: 'c',
    host: 0x7f010001,
    start: 0x01020304,
    end: 0x01020304 + 600,
  });
  const expected = Buffer.concat([
    hex('00'), // flags: big-endian
    Buffer.from('admin\0x\0c\0'),
    hex('7f010001'),
    SK,
    hex('02'), // 600 s = two 5-minute units
    hex('01020304'),
    Buffer.from('afs\0\0'),
  ]);
  assert.deepEqual(r, expected);
});

test('makeTicket seals with DES-PCBC under the server key (key as IV), padded to 8', () => {
  const t = makeTicket(base, KEY);
  const rec = assembleTicket(base);
  assert.equal(t.length, (rec.length + 7) & ~7);
  assert.deepEqual(t, desPcbcEncrypt(new DesKey(KEY), KEY, rec));
  const d = decodeTicket(t, KEY);
  assert.deepEqual(
    { ...d, sessionKey: d.sessionKey.toString('hex') },
    { ...base, sessionKey: SK.toString('hex') },
  );
});

test('decode: wrong key, corruption and bad lengths are RXKADBADTICKET', () => {
  const t = makeTicket({ ...base, name: 'alice', instance: 'admin' }, KEY);
  const isBad = (e: unknown) => e instanceof RxkadError && e.code === RXKADBADTICKET;
  assert.throws(() => decodeTicket(t, hex('0123456789abcdef')), isBad);
  const c = Buffer.from(t);
  c[0] ^= 1;
  assert.throws(() => decodeTicket(c, KEY), isBad);
  assert.throws(() => decodeTicket(t.subarray(0, t.length - 8), KEY), isBad);
  assert.throws(() => decodeTicket(Buffer.alloc(20), KEY), isBad);
  assert.throws(() => makeTicket({ ...base, name: '' }, KEY), TicketError);
  assert.throws(() => makeTicket({ ...base, name: 'n'.repeat(64) }, KEY), TicketError);
  assert.throws(() => makeTicket({ ...base, start: 100, end: 100 }, KEY), TicketError);
});

test('decode applies the server time checks', () => {
  const now = 1_700_000_000;
  const expired = makeTicket({ ...base, start: now - 3 * 86400, end: now - 2 * 86400 }, KEY);
  assert.throws(
    () => decodeTicket(expired, KEY, now),
    (e: unknown) => e instanceof RxkadError && e.code === RXKADEXPIRED,
  );
  const future = makeTicket({ ...base, start: now + 3600, end: now + 7200 }, KEY);
  assert.throws(
    () => decodeTicket(future, KEY, now),
    (e: unknown) => e instanceof RxkadError && e.code === RXKADNOAUTH,
  );
  const ok = decodeTicket(makeTicket({ ...base, start: now - 60, end: now + 36000 }, KEY), KEY, now);
  assert.equal(ok.end, now - 60 + 121 * 300); // 36060 s rounds up to 121 five-minute units
  const long = decodeTicket(makeTicket({ ...base, start: now, end: now + 40000 }, KEY), KEY, now);
  assert.equal(long.end, now + 41055); // rounds up to the second table lifetime
  assert.equal(decodeTicket(expired, KEY, null).start, now - 3 * 86400); // checks can be skipped
});

test('lifetime byte encoding', () => {
  assert.equal(timeToLife(0, 0xffffffff), 0xff);
  assert.equal(timeToLife(1000, 1300), 1);
  assert.equal(timeToLife(1000, 1301), 2);
  assert.equal(timeToLife(0, 38399), 128); // < first table entry: 5-minute units, rounded up
  assert.equal(timeToLife(0, 38400), 0x80);
  assert.equal(timeToLife(0, 38401), 0x81);
  assert.equal(timeToLife(0, 30 * 86400), 0xbf);
  assert.equal(timeToLife(0, 30 * 86400 + 1), 0);
  assert.equal(timeToLife(5, 5), 0);
  assert.equal(lifeToTime(10, 0xff), 0xffffffff);
  assert.equal(lifeToTime(10, 3), 910);
  assert.equal(lifeToTime(0, 0x80), 38400);
  assert.equal(lifeToTime(0, 0xbf), 2592000);
  assert.equal(lifeToTime(0, 0xc5), 2592000);
  for (let life = 0x80; life <= 0xbf; life++) assert.equal(timeToLife(0, lifeToTime(0, life)), life);
});
