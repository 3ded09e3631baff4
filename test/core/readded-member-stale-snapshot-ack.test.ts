// The sequel of readded-member-stale-ack for a member that was sent a snapshot. A follower's
// acknowledgement of an installed snapshot is sent when the driver reports its check
// (Raft.snapshotChecked), not in answer to a leader's message: it carries the epoch of the last
// append, heartbeat or snapshot chunk the follower received. So every one of those must set it
// and carry it, or the acknowledgement of an earlier incarnation goes out with epoch 0 ("not
// known", taken from any progress): arriving late, after the member was removed and added again
// at its address on an empty log, it set the new progress's match to the snapshot's index, the
// leader took the new member's rejections for stale ones and never sent it anything, as in
// readded-member-stale-ack. Two orders: the check reported at once after the last chunk, and a
// heartbeat arriving while the check runs. Also: a late snapshotResp of the earlier incarnation
// is ignored, not taken as the new one's request for another chunk. (From a mutation review of
// the epoch: with the epoch dropped from the heartbeat or the snapshot chunk, or not taken from
// either, these failed and nothing else did.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage, type Message, type SnapshotMeta } from '../../src/core/index.js';
import { Harness, enc, laggingFollower } from '../support/raft-harness.js';

const SNAPSHOT = enc('SNAPSHOT:0123456789abcdef'); // 25 bytes
const CHUNK = 4;

/** Removes node 3 and adds it again on an empty log; returns once the leader made its new progress. */
function removeAndAddAgain(h: Harness): void {
  const one = h.node(1).raft;
  const removal = one.proposeConfChange({ type: 'remove', id: 3 });
  assert.ok(removal.ok, JSON.stringify(removal));
  h.nodes.delete(3);
  assert.is(h.runSettled(2), undefined);
  assert.ok(one.log.committed >= (removal.ok ? removal.index : 0), 'the removal committed');
  h.add(3, new MemoryStorage());
  const add = one.proposeConfChange({ type: 'addVoter', id: 3, context: 'n3' });
  assert.ok(add.ok, JSON.stringify(add));
  h.process();
  assert.is(one.progressOf(3)?.match, 0, 'fresh progress: nothing known of the new incarnation');
}

function catchesUp(h: Harness): void {
  const one = h.node(1).raft;
  const storm = h.runSettled(40);
  const three = h.node(3).raft;
  const pr = one.progressOf(3);
  assert.is(storm, undefined, 'delivery settles');
  assert.is(
    three.log.lastIndex(),
    one.log.lastIndex(),
    `the new incarnation holds ${three.log.lastIndex()} entries of the leader's ${one.log.lastIndex()}; the leader's progress for it: ${pr?.state}, match ${pr?.match}, next ${pr?.next}`,
  );
}

for (const heartbeatWhileChecking of [false, true]) {
  test(`a member removed and added again on an empty log catches up although its earlier incarnation's snapshot acknowledgement arrives late (${heartbeatWhileChecking ? 'a heartbeat arrived while the snapshot was checked' : 'checked at once'})`, () => {
    const { h, leader, follower, index } = laggingFollower(SNAPSHOT, CHUNK);
    let checking: SnapshotMeta | undefined;
    follower.checkSnapshot = (meta) => {
      checking = meta;
      return 'later';
    };
    h.tick(1);
    h.deliverAll();
    assert.is(checking?.index, index, 'node 3 received the whole snapshot and checks it');
    if (heartbeatWhileChecking) {
      for (let i = 0; i < 10 && !h.queue.some((m) => m.type === 'heartbeat' && m.to === 3); i++) h.tick(1);
      // Only the heartbeat arrives before the check ends (its answer, and the chunk the leader
      // sends again on it, are still on their way).
      const heartbeats = h.queue.filter((m) => m.type === 'heartbeat' && m.to === 3);
      assert.ok(heartbeats.length > 0, 'the leader sent a heartbeat');
      h.queue = h.queue.filter((m) => !heartbeats.includes(m));
      for (const m of heartbeats) h.deliver(m);
      h.process();
    }
    follower.raft.snapshotChecked(checking!, true);
    h.process();
    // The earlier incarnation's acknowledgement of the snapshot; the network keeps a copy (delayed).
    const acks = h.sentOf('appendResp', { from: 3, to: 1 }).filter((m) => !m.reject && m.index === index);
    assert.is(acks.length, 1, 'node 3 acknowledged the snapshot');
    const stale: Message = { ...acks[0]! };
    h.deliverAll();
    assert.ok(leader.raft.progressOf(3)!.match >= index, 'the leader counts node 3 as holding the snapshot');

    removeAndAddAgain(h);
    h.deliver(stale);
    h.process();
    catchesUp(h);
  });
}

test("a late snapshotResp of a member's earlier incarnation does not move the new incarnation's snapshot transfer", () => {
  const { h, leader, index } = laggingFollower(SNAPSHOT, CHUNK);
  h.tick(1);
  h.deliverAll();
  const asks = h.sentOf('snapshotResp', { from: 3, to: 1 }).filter((m) => m.snapshotIndex === index && m.nextOffset > 0);
  assert.ok(asks.length >= 3, 'node 3 asked for chunk after chunk');
  const stale: Message = { ...asks.at(-2)! };

  removeAndAddAgain(h);
  // The new incarnation's transfer: hold its messages until the leader is sending it the snapshot.
  for (let i = 0; i < 20 && leader.raft.progressOf(3)?.state !== 'snapshot'; i++) {
    h.tickAll();
    h.deliverAllExcept((m) => m.type === 'snapshot' && m.to === 3);
  }
  const pr = leader.raft.progressOf(3)!;
  assert.is(pr.state, 'snapshot', 'the leader sends the new incarnation the snapshot');
  const offset = pr.snapshotOffset;
  const chunks = h.sentOf('snapshot', { from: 1, to: 3 }).length;
  h.deliver(stale);
  h.process();
  assert.is(leader.raft.progressOf(3)!.snapshotOffset, offset, `the transfer stays at offset ${offset} (the stale answer asked for ${stale.type === 'snapshotResp' && stale.nextOffset})`);
  assert.is(h.sentOf('snapshot', { from: 1, to: 3 }).length, chunks, 'no chunk sent in answer to it');
  catchesUp(h);
});

test.run();
