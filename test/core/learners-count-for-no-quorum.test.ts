/**
 * Thesis §4.2.1: non-voting members (learners) receive the log but count toward no majority — not
 * for commitment, and not for the two other quorums a leader checks: the heartbeat round that
 * confirms a ReadIndex read, and CheckQuorum's "heard from a majority within an election timeout".
 * A leader cut off with only its learners must serve no read and step down. (Mutation testing
 * found that counting learners in either quorum survived every existing test and the simulation.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, voters } from '../support/raft-harness.js';
import { MemoryStorage, type ConfChange, type NodeId } from '../../src/core/index.js';

const ET = 10;

function change(h: Harness, leader: NodeId, cc: ConfChange): void {
  const r = h.node(leader).raft.proposeConfChange(cc);
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  h.deliverAll();
}

/** Voters 1, 2, 3 led by 1, learners 4 and 5 caught up; then 1 and its learners cut off from 2 and 3. */
function leaderWithOnlyLearners(): Harness {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  for (const id of [4, 5]) {
    change(h, 1, { type: 'addLearner', id, context: `n${id}` });
    h.add(id, new MemoryStorage());
    for (let i = 0; i < 3; i++) {
      h.tickAll();
      h.deliverAll();
    }
  }
  const members = h.node(1).raft.membership.current();
  assert.equal(members.map((m) => [m.id, m.role]), [[1, 'voter'], [2, 'voter'], [3, 'voter'], [4, 'learner'], [5, 'learner']]);
  h.partition([1, 4, 5], [2, 3]);
  return h;
}

test('thesis §4.2.1/§6.4: a ReadIndex heartbeat round acknowledged only by learners confirms no read', () => {
  const h = leaderWithOnlyLearners();
  const leader = h.node(1);
  leader.raft.readIndex('read-with-learners-only');
  for (let i = 0; i < 3; i++) {
    h.tick(1);
    h.deliverAll();
  }
  assert.equal(leader.readStates.map((r) => r.context), [], 'learners 4 and 5 answered its heartbeats; no voter did');
});

test('thesis §4.2.1/§6.2 (CheckQuorum): a leader that hears only from its learners steps down within an election timeout or two', () => {
  const h = leaderWithOnlyLearners();
  for (let i = 0; i < 3 * ET; i++) {
    h.tickAll();
    h.deliverAll();
  }
  assert.is.not(h.node(1).raft.role, 'leader', 'learners 4 and 5 kept answering it; no voter did');
});

test.run();
