/**
 * Seeds that once failed, each named after the bug it found. They replay exact schedules, so any
 * change to the simulation's random draws changes what they exercise: keep the targeted core
 * scenario tests (test/core) as the durable guard and these as a second line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSimulation } from './simulation.js';

const cases: Array<[number, string]> = [
  [20, 'a joining node learns the founding configuration from log entry 1 (it once thought itself the sole voter and led a term alone)'],
  [988, 'a follower whose appends were lost in replicate state is caught up (it once stalled forever)'],
  [152, 'a follower whose appends were lost in replicate state is caught up (second schedule)'],
  [1645, 'a leader that stepped down before committing its own removal lets the cluster elect again (it once deadlocked)'],
];

for (const [seed, rule] of cases) {
  test(`seed ${seed}: ${rule}`, () => {
    const r = runSimulation({ seed, profile: 'classic', pipelined: false });
    assert.ok(r.ok, r.error);
  });
}

test.run();
