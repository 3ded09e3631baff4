// A member's id is derived from its address, so a member removed and added again at the same
// address (the lost-data remedy: remove it, start it again with join and an empty data directory)
// gets the same id as its earlier incarnation. An acknowledgement the earlier incarnation sent
// (an appendResp naming the index its log held) may still be on its way, delayed or duplicated by
// the network as Raft allows, when the leader has made fresh progress for the new one. Taken for
// the new incarnation's answer, it set the match index to entries the new member never received:
// the leader took the new member's rejections of appends past its empty log for stale ones and
// never sent it those entries (an append/rejection storm before the probe learnt to wait for the
// next heartbeat; after it, a member that never caught up). Reachable where an earlier
// incarnation's answer can arrive late, over a network that delays messages. Now every progress
// has its own epoch, which the leader's messages carry and the answers echo: an answer with another
// epoch is ignored (found by an audit of incarnation mix-ups). Not covered: an old process still
// running at the address when the member is added again answers the new progress's messages with
// its new epoch (README, Known limitations).
// Run for node 2 as well as node 3: node 2's is the first progress the leader made, and an epoch
// numbering that starts at 0 (the value older senders' answers are taken with) gave it none (from a
// mutation review of the epoch: with a post-increment, only node 3 was covered and passed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage, type Message } from '../../src/core/index.js';
import { Harness, enc, voters } from '../support/raft-harness.js';

for (const id of [2, 3]) {
  test(`a member (node ${id}) removed and added again at its address, on an empty log, catches up although an acknowledgement of its earlier incarnation arrives late`, () => {
    const h = new Harness(voters(1, 2, 3), { preVote: true, checkQuorum: true });
    h.elect(1);
    const one = h.node(1).raft;
    for (let i = 0; i < 5; i++) assert.ok(one.propose(enc(`w${i}`)).ok);
    h.deliverAll();
    // The earlier incarnation's last acknowledgement; the network keeps a copy of it (delayed).
    const acks = h.sentOf('appendResp', { from: id, to: 1 }).filter((m) => !m.reject);
    const stale: Message = { ...acks.at(-1)! };
    assert.is(stale.type === 'appendResp' && stale.index, one.log.lastIndex(), `node ${id} acknowledged the whole log`);

    // The node loses its data: removed, then added again with an empty log (a new incarnation).
    const removal = one.proposeConfChange({ type: 'remove', id });
    assert.ok(removal.ok, JSON.stringify(removal));
    h.nodes.delete(id);
    assert.is(h.runSettled(2), undefined);
    assert.ok(one.log.committed >= (removal.ok ? removal.index : 0), 'the removal committed');
    h.add(id, new MemoryStorage());
    const add = one.proposeConfChange({ type: 'addVoter', id, context: `n${id}` });
    assert.ok(add.ok, JSON.stringify(add));
    h.process();
    assert.ok(one.progressOf(id), 'the leader made progress for the new incarnation');
    assert.is(one.progressOf(id)!.match, 0, 'fresh progress: nothing known of the new incarnation');

    // The earlier incarnation's acknowledgement arrives now, before the new one's first answer.
    h.deliver(stale);
    h.process();
    const storm = h.runSettled(30);

    const readded = h.node(id).raft;
    const pr = one.progressOf(id);
    assert.is(storm, undefined, `delivery settles (node ${id} holds ${readded.log.lastIndex()} entries; the leader's progress for it: ${pr?.state}, match ${pr?.match}, next ${pr?.next})`);
    assert.is(
      readded.log.lastIndex(),
      one.log.lastIndex(),
      `the new incarnation holds ${readded.log.lastIndex()} entries of the leader's ${one.log.lastIndex()}; the leader counts it as holding up to ${one.progressOf(id)?.match} (taken from its earlier incarnation's acknowledgement)`,
    );
  });
}

test.run();
