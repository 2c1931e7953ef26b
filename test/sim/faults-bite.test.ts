// The tests must bite: each kAFS fault (kafs-design.md §2.8 and issue 5), switched back on, is
// caught by at least one scripted schedule and by the random-schedule property.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { __faults, type RecordFaults, resetFaults } from '../../src/afs/faults.js';
import { checkProperty } from './property.js';
import { scenarios } from './scenarios.js';

after(resetFaults);

const faults = Object.keys(__faults) as (keyof RecordFaults)[];

test('all fault switches are off by default', () => {
  for (const f of faults) assert.equal(__faults[f], false, f);
});

for (const fault of faults) {
  test(`fault "${fault}" is detected`, { timeout: 5 * 60_000 }, async () => {
    resetFaults();
    __faults[fault] = true;
    try {
      const caught: string[] = [];
      for (const [name, run] of Object.entries(scenarios)) {
        try {
          await run();
        } catch {
          caught.push(name);
        }
      }
      const prop = await checkProperty(3000, 7);
      console.log(
        `${fault}: scripted schedules failing: ${caught.join(', ') || 'none'}; ` +
          `property failed after ${prop.runs} schedule(s)`,
      );
      assert.ok(caught.length > 0, `no scripted schedule detects ${fault}`);
      assert.ok(prop.failed, `the property did not detect ${fault} in ${prop.runs} schedules`);
    } finally {
      resetFaults();
    }
  });
}
