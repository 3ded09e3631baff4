/**
 * Promotion of a voter-to-be (Raft thesis §4.2.1, catch-up rounds): the leader promotes a learner
 * added as a voter once it holds everything committed, or once it finishes a catch-up round — it
 * holds what the leader's log held when the round began — within an election timeout. Found in
 * review: with only the first rule, a learner a few milliseconds farther away than the voters was
 * never promoted while writes went on (its match always trailed the commit index). A round in time
 * promotes only while the committed entries stay on a majority of the voters with the learner
 * counted (the simulation's commit-durability check).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage, type Membership } from '../../src/core/index.js';
import { enc, isolated, msg, voters, winElection, type HarnessNode } from '../support/raft-harness.js';
import type { Harness } from '../support/raft-harness.js';

const ET = 10;
const LEARNER = 4;
const M: Membership = [...voters(1, 2, 3), { id: LEARNER, role: 'learner', promote: true, context: 'n4' }];

/** Node 1 leads voters 1–3 and learner 4 (to be promoted); its no-op is committed. */
function leaderWithVoterToBe(): { h: Harness; n: HarnessNode; term: number } {
  const { h, n } = isolated(M, 1, { preVote: false, checkQuorum: false, electionTicks: ET }, new MemoryStorage(M));
  const { term, noop } = winElection(h, n);
  n.raft.step(msg.appendResp(2, 1, term, noop));
  n.raft.step(msg.appendResp(3, 1, term, noop));
  h.process();
  assert.is(n.raft.log.committed, noop);
  return { h, n, term };
}

const isVoter = (n: HarnessNode, id: number): boolean => n.raft.membership.current().some((m) => m.id === id && m.role === 'voter');
const promotionAppended = (n: HarnessNode): boolean => n.raft.membership.current().some((m) => m.id === LEARNER && m.role === 'voter');

/**
 * One heartbeat interval under steady writes: a new entry, the voters in `voterAcks` acknowledge
 * the whole log (so it commits), the learner acknowledges `learnerAck(lastIndex before the write)`.
 */
function busyTick(h: Harness, n: HarnessNode, term: number, learnerAck: (previousLast: number) => number, voterAcks: readonly number[] = [2, 3]): void {
  const previousLast = n.raft.log.lastIndex();
  n.raft.propose(enc('w'));
  h.process();
  for (const v of voterAcks) n.raft.step(msg.appendResp(v, 1, term, n.raft.log.lastIndex()));
  n.raft.step(msg.appendResp(LEARNER, 1, term, learnerAck(previousLast)));
  h.process();
  h.tick(1);
}

test('catch-up rounds: a learner that trails the commit index by one heartbeat of writes is promoted while the writes go on', () => {
  const { h, n, term } = leaderWithVoterToBe();
  for (let i = 0; i < 5 && !promotionAppended(n); i++) {
    busyTick(h, n, term, (previousLast) => previousLast);
    assert.ok(n.raft.progressOf(LEARNER)!.match < n.raft.log.committed || promotionAppended(n), 'the learner never holds everything committed');
  }
  assert.ok(promotionAppended(n), 'promoted within a few heartbeats');
  n.raft.step(msg.appendResp(2, 1, term, n.raft.log.lastIndex()));
  n.raft.step(msg.appendResp(3, 1, term, n.raft.log.lastIndex()));
  h.process();
  assert.ok(isVoter(n, LEARNER));
});

test('catch-up rounds: a round that takes longer than an election timeout is not enough; the next, quicker one is', () => {
  const { h, n, term } = leaderWithVoterToBe();
  // The learner acknowledges nothing new for more than an election timeout: the first round
  // (whose target is the log's end when it began) ends too late.
  let frozenAt = n.raft.progressOf(LEARNER)!.match;
  busyTick(h, n, term, () => frozenAt); // the round begins
  const target = n.raft.log.lastIndex() - 1;
  for (let i = 0; i < ET + 1; i++) busyTick(h, n, term, () => frozenAt);
  frozenAt = target; // now it reaches the first round's target, too late
  busyTick(h, n, term, () => frozenAt);
  assert.not.ok(promotionAppended(n), 'a round that took more than an election timeout does not promote');
  // The next round goes quickly: it trails by one heartbeat of writes from now on.
  for (let i = 0; i < 5 && !promotionAppended(n); i++) busyTick(h, n, term, (previousLast) => previousLast);
  assert.ok(promotionAppended(n), 'the next round, within an election timeout, promotes');
});

test('catch-up rounds: a learner that holds everything committed is promoted at once, as before (an idle cluster)', () => {
  const { h, n, term } = leaderWithVoterToBe();
  n.raft.step(msg.appendResp(LEARNER, 1, term, n.raft.log.lastIndex()));
  h.process();
  h.tick(1);
  assert.ok(promotionAppended(n));
});

test('catch-up rounds: a round in time does not promote while a voter lacks committed entries (they would sit on two of four voters)', () => {
  const { h, n, term } = leaderWithVoterToBe();
  // Voter 3 falls silent: entries commit on 1 and 2 alone, a majority of three but not of four.
  for (let i = 0; i < 3 * ET; i++) busyTick(h, n, term, (previousLast) => previousLast, [2]);
  assert.not.ok(promotionAppended(n), 'not promoted while only 1 and 2 hold what is committed');
  // Voter 3 answers again: the next round promotes.
  for (let i = 0; i < 5 && !promotionAppended(n); i++) busyTick(h, n, term, (previousLast) => previousLast);
  assert.ok(promotionAppended(n));
});

test('catch-up rounds: a learner that makes no progress is never promoted', () => {
  const { h, n, term } = leaderWithVoterToBe();
  const stuck = n.raft.progressOf(LEARNER)!.match;
  for (let i = 0; i < 5 * ET; i++) busyTick(h, n, term, () => stuck);
  assert.not.ok(promotionAppended(n));
});

test.run();
