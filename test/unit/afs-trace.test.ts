import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { systemClock } from '../../src/afs/clock.js';
import { TRACE_CHANNELS, type TraceEvent, TraceRing } from '../../src/afs/trace.js';

const ev = (i: number): TraceEvent => ({
  kind: 'server',
  id: 'u',
  debugId: 1,
  reason: 'alloc',
  ref: i,
  use: 0,
  at: i,
});

test('trace ring keeps the most recent events, oldest first', () => {
  const r = new TraceRing(3);
  for (let i = 1; i <= 5; i++) r.push(ev(i));
  assert.deepEqual(
    r.toArray().map((e) => e.ref),
    [3, 4, 5],
  );
  const small = new TraceRing(3);
  small.push(ev(1));
  assert.deepEqual(
    small.toArray().map((e) => e.ref),
    [1],
  );
});

test('channel names are the documented ones', () => {
  assert.deepEqual(TRACE_CHANNELS, {
    net: 'tsafs:net',
    cell: 'tsafs:cell',
    server: 'tsafs:server',
    volume: 'tsafs:volume',
  });
  assert.ok(diagnosticsChannel.channel('tsafs:server'));
});

test('the system clock is monotonic and its timers do not keep the process alive', async () => {
  const t0 = systemClock.now();
  let fired = false;
  const h = systemClock.setTimer(() => {
    fired = true;
  }, 5);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(fired);
  assert.ok(systemClock.now() >= t0 + 5);
  h.cancel(); // after firing: harmless
  // A pending unref()ed timer must not hold the event loop: a child exits promptly.
  const { execFileSync } = await import('node:child_process');
  const url = new URL('../../src/afs/clock.js', import.meta.url).href;
  const t = Date.now();
  execFileSync(process.execPath, [
    '--input-type=module',
    '-e',
    `import { systemClock } from '${url}'; systemClock.setTimer(() => {}, 60000);`,
  ]);
  assert.ok(Date.now() - t < 10_000, 'child exited without waiting for the timer');
});
