/**
 * §4.2.2 / §4.2.3, from a mutation review of membership.ts (MembershipHistory.everIncludes): a
 * member that joined through the log (not in its first configuration: every joiner) and later led
 * the cluster knows, when it commits its own removal, that it was removed — it reports it and never
 * campaigns again, exactly like a founding member, even when every NotMember notice to it is lost.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage, type Message } from '../../src/core/index.js';
import { Harness, voters } from '../support/raft-harness.js';

const ET = 10;

/** Ticks and delivers; `lost` messages are dropped. */
function run(h: Harness, ticks: number, lost: (m: Message) => boolean = () => false): void {
  for (let i = 0; i < ticks; i++) {
    h.tickAll();
    h.deliverAllExcept(lost);
  }
}

/** Every NotMember notice to node 4 is lost: it can learn its removal only from its own log. */
const noticeTo4 = (m: Message) => m.type === 'notMember' && m.to === 4;

test('§4.2.2: a leader that joined through the log and commits its own removal knows it was removed (no notice needed) and never campaigns again', () => {
  const h = new Harness(voters(1, 2, 3), { preVote: true, checkQuorum: true });
  h.elect(1);
  const one = h.node(1).raft;
  const add = one.proposeConfChange({ type: 'addVoter', id: 4, context: 'n4' });
  assert.ok(add.ok, JSON.stringify(add));
  h.add(4, new MemoryStorage()); // an empty joiner: every configuration it knows comes from the log
  run(h, 4);
  assert.ok(one.progressOf(4), 'node 4 was added');
  // Node 4 is promoted once caught up; then it takes over the leadership.
  for (let i = 0; i < 6 && h.node(4).raft.log.lastIndex() < one.log.lastIndex(); i++) run(h, 1);
  run(h, 2);
  assert.ok(one.transferLeader(4).ok, 'a transfer to voter 4');
  h.deliverAll();
  run(h, 1);
  const four = h.node(4).raft;
  assert.is(four.role, 'leader', 'node 4 leads');
  run(h, 1);
  const removal = four.proposeConfChange({ type: 'remove', id: 4 });
  assert.ok(removal.ok, JSON.stringify(removal));
  h.deliverAllExcept(noticeTo4);
  run(h, 1, noticeTo4);
  assert.is(four.role, 'follower', 'node 4 stepped down at its removal');
  assert.is(four.removedAt(), removal.index, 'node 4 knows from its own log that it was removed');
  assert.is(four.softState().removedAt, removal.index, 'and tells the driver');
  run(h, 4 * ET, noticeTo4);
  const sentBefore = h.sent.length;
  run(h, 10 * ET, noticeTo4);
  assert.equal(h.sent.slice(sentBefore).filter((m) => m.from === 4 && m.type === 'vote'), [], 'node 4 never campaigns again');
  const leader = h.leader();
  assert.ok(leader && leader.id !== 4, 'the others lead');
});

test.run();
