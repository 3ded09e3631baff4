/**
 * Seeds that once failed, each named after the bug it found. They replay exact schedules, so any
 * change to the simulation's random draws changes what they exercise: keep the targeted core
 * scenario tests (test/core) as the durable guard and these as a second line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSimulation, type SimOptions } from './simulation.js';

/**
 * Each case replays its seed with these options unless it gives its own (linkFaults: false
 * replays a schedule from before single-link cuts and the long delay tail were added).
 */
const CLASSIC: Omit<SimOptions, 'seed'> = { profile: 'classic', pipelined: false };

const cases: Array<[number, string, Omit<SimOptions, 'seed'>?]> = [
  [20, 'a joining node learns the founding configuration from log entry 1 (it once thought itself the sole voter and led a term alone)'],
  [988, 'a follower whose appends were lost in replicate state is caught up (it once stalled forever)'],
  [152, 'a follower whose appends were lost in replicate state is caught up (second schedule)'],
  [1645, 'a leader that stepped down before committing its own removal lets the cluster elect again (it once deadlocked)'],
  [9207232, 'the checker records a commit made by the step that ends the leadership (a leader committing its own removal); without it a stale leader of an earlier term was blamed for lacking that entry', { linkFaults: false }],
  [9214036, 'a light Ready hands out no committed entries while a received snapshot awaits installation (a follower once applied entry 19 right after 7)', { linkFaults: false }],
  [9332413, 'the driver takes no light Ready while a Ready with snapshot work waits to be applied after its write (a follower once applied 87 right after 85: the light Ready handed out entries after those of the Ready still on disk)', { linkFaults: false }],
  [9331522, 'the driver takes no light Ready while a Ready with snapshot work waits to be applied after its write (second schedule)', { linkFaults: false }],
  [9428888, 'the driver takes no light Ready while a Ready with snapshot work waits to be applied after its write (third schedule)', { linkFaults: false }],
  [2100795, 'a removed voter whose newest configuration was a deposed leader\'s entry at the index of its removal learns it from the members\' notices (it once ignored them as older than its own and campaigned forever)', { linkFaults: false }],
  [2654295, 'a removed member that learnt its removal from a notice, never from its log, tells a removed voter that asks it (the voter, whose only fellow voters were such members, once campaigned forever)', { linkFaults: false }],
  [2879511, 'a removed member whose newest configuration is not known committed tells a removed voter that asks it from its newest committed configuration (a voter whose only fellow voter was such a member once campaigned forever; also the fix of seed 2692197)', { profile: 'members', walFaithful: true }],
  [2900898, 'a deposed leader whose own configuration lies past the cluster\'s commit index believes the members\' notice once its vote request shows its log ends in an older term than their committed entry (in an idle cluster it once campaigned forever)', { profile: 'lease', walFaithful: true }],
  [58000522, 'a voter-to-be that finished a catch-up round in time is not promoted while a voter lacks committed entries (a promotion once left entry 9 on two of four voters, the commit-durability check)', { profile: 'members', walFaithful: true, announce: true }],
  [9902637, 'the checker counts a leadership once the leader\'s term is durable: a sole voter that elected itself and crashed before that write landed led nothing, and rightly voted for another node in the same term after restarting (it was once reported as two leaders of one term)', { profile: 'members', linkFaults: false }],
];

for (const [seed, rule, options = CLASSIC] of cases) {
  test(`seed ${seed}: ${rule}`, () => {
    // These schedules predate the WAL-faithful storage and the announcements: off unless a case asks.
    const r = runSimulation({ walFaithful: false, announce: false, ...options, seed });
    assert.ok(r.ok, r.error);
  });
}

test.run();
