// The tests must bite: each kAFS fault (kafs-design.md §2.8 and issue 5), switched back on, is
// caught by at least one scripted schedule and by the random-schedule property.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { __faults, type RecordFaults, resetFaults } from '../../src/afs/faults.js';
import { checkProperty } from './property.js';
import { scenarios } from './scenarios.js';

after(resetFaults);

const faults = Object.keys(__faults) as (keyof RecordFaults)[];

/**
 * What each fault must show up as: the checker's named violation, or the scripted schedule's own
 * assertion about that very rule. A schedule that merely throws (an unrelated crash, a timeout)
 * does not count as detecting it.
 */
const EXPECTED: Record<keyof RecordFaults, RegExp> = {
  // A waiter that gives back only its ref leaves a use behind: the server never goes.
  waiterDropsOnlyRef:
    /unuse_wait_fail|still alive ref=\d+ use=[1-9]|idle \d+ms past its GC delay|counts ref=/,
  // UNCREATED cleared after a failed creation: lookups hand out a record nobody created.
  failureMarksCreated:
    /the waiter sees the failure, not a half-made record|lookup returned an uncreated server/,
  // The loser of the insertion race drops the winner's ref: the winner is freed while in use.
  loserFreesWinner: /the loser discards its own candidate|freed with use=|in cell map but freed|counts ref=/,
  // The last unuse by a call never arms the GC timer: the idle server outlives its delay.
  unuseWithoutTimer:
    /end of call arms the GC timer|collected once idle for the GC delay|collected within the GC delay|idle \d+ms past its GC delay/,
  // Expiry decided the wrong way round: destroyed before its grace, or while in use.
  invertedExpiry:
    /in use again since the timer fired → destroyer does nothing|destroyed after \d+ms idle < GC delay|expired while in use/,
  // An address the record dropped still maps to it.
  stalePeerMapping: /dropped address unbound|stale peer/,
};

const text = (e: unknown) => (e instanceof Error ? `${e.message}\n${String(e.cause ?? '')}` : String(e));

test('all fault switches are off by default', () => {
  for (const f of faults) assert.equal(__faults[f], false, f);
});

for (const fault of faults) {
  test(`fault "${fault}" is detected`, { timeout: 5 * 60_000 }, async () => {
    resetFaults();
    __faults[fault] = true;
    try {
      const caught: string[] = [];
      const otherwise: string[] = [];
      for (const [name, run] of Object.entries(scenarios)) {
        try {
          await run();
        } catch (e) {
          if (EXPECTED[fault].test(text(e))) caught.push(name);
          else otherwise.push(`${name}: ${text(e).split('\n').slice(0, 6).join(' ')}`);
        }
      }
      const prop = await checkProperty(3000, 7);
      console.log(
        `${fault}: scripted schedules showing its violation: ${caught.join(', ') || 'none'}; ` +
          `failing otherwise: ${otherwise.length}; property failed after ${prop.runs} schedule(s)`,
      );
      for (const o of otherwise) console.log(`  ${o.slice(0, 400)}`);
      assert.ok(caught.length > 0, `no scripted schedule shows ${EXPECTED[fault]} for ${fault}`);
      assert.ok(prop.failed, `the property did not detect ${fault} in ${prop.runs} schedules`);
      assert.match(prop.counterexample ?? '', EXPECTED[fault], 'the property failed for another reason');
    } finally {
      resetFaults();
    }
  });
}
