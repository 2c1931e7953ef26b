import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkProperty } from './property.js';

const full = Boolean(process.env.CI || process.env.TSAFS_FULL);
const RUNS = Number(process.env.TSAFS_SCHEDULES ?? (full ? 10_000 : 500));

test(`record lifecycle holds over ${RUNS} random schedules`, { timeout: 10 * 60_000 }, async () => {
  const seed = Number(process.env.TSAFS_SEED ?? 0x5eed);
  const t0 = performance.now();
  const r = await checkProperty(RUNS, seed);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `property: ${r.runs} schedules in ${secs}s (seed ${seed}); rare states reached: ` +
      `failed creation with waiters in ${r.rare.runsWithFailedCreationWithWaiters} schedules ` +
      `(${r.rare.failedCreationWithWaiters} times), purge with active servers in ${r.rare.runsWithPurgeWithActive} ` +
      `(${r.rare.purgeWithActiveServers}), close mid-destroy in ${r.rare.runsWithCloseMidDestroy} (${r.rare.closeMidDestroy}), ` +
      `destroyer raced by a re-use in ${r.rare.runsWithDestroyerRaced} (${r.rare.destroyerRaced})`,
  );
  assert.equal(r.failed, false, r.counterexample ?? '');
  assert.equal(r.runs, RUNS);
  // The generator must actually reach the rare states, or the property proves little.
  assert.ok(r.rare.runsWithFailedCreationWithWaiters > 0, 'no schedule failed a creation with waiters');
  assert.ok(r.rare.runsWithPurgeWithActive > 0, 'no schedule purged a cell with active servers');
  assert.ok(r.rare.runsWithCloseMidDestroy > 0, 'no schedule closed mid-destroy');
});
