// §9.6 (pre-vote): granting a pre-vote does not reset the election timer, so it never delays this
// follower's own campaign; granting a real vote does (§5.2). A test named for the timer checked
// term and vote only (a test audit: a pre-vote resetting the timer passed it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, lastOf, msg, voters } from '../support/raft-harness.js';

const ET = 10;

test('a granted pre-vote leaves the election timer running: the follower campaigns at the tick it would have without it', () => {
  const h = new Harness(voters(1, 2, 3));
  h.leaveQuietPeriod();
  const n = h.node(1);
  h.pinElectionTimeout(1, ET + 5);
  const T = n.raft.term;
  for (let i = 0; i < ET; i++) n.raft.tick();
  n.raft.step(msg.vote(2, 1, T + 1, { ...lastOf(n), preVote: true }));
  h.process();
  assert.equal(h.take('voteResp').map((m) => [m.to, m.preVote, m.reject]), [[2, true, false]], 'the pre-vote was granted');
  let ticks = ET;
  while (n.raft.role === 'follower' && ticks < 4 * ET) {
    n.raft.tick();
    ticks++;
  }
  assert.is.not(n.raft.role, 'follower', 'it campaigned');
  assert.is(ticks, ET + 5, `campaigned after ${ticks} ticks, not at its timeout of ${ET + 5}: the pre-vote reset its timer`);
});

test('a granted real vote does reset the election timer (the contrast: the check above can see a reset)', () => {
  const h = new Harness(voters(1, 2, 3));
  h.leaveQuietPeriod();
  const n = h.node(1);
  h.pinElectionTimeout(1, ET + 5);
  const T = n.raft.term;
  for (let i = 0; i < ET; i++) n.raft.tick();
  n.raft.step(msg.vote(2, 1, T + 1, { ...lastOf(n) }));
  h.process();
  assert.equal(h.take('voteResp').map((m) => [m.to, m.preVote, m.reject]), [[2, false, false]], 'the vote was granted');
  h.pinElectionTimeout(1, ET + 5);
  let ticks = 0;
  while (n.raft.role === 'follower' && ticks < 4 * ET) {
    n.raft.tick();
    ticks++;
  }
  assert.is(ticks, ET + 5, `campaigned ${ticks} ticks after granting its vote`);
});

test.run();
