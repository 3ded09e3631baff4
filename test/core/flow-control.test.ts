/**
 * Flow control of appends to a follower (etcd's progress states and inflight window; Ongaro's
 * thesis §10.2.1 on pipelining): what takes a slot of the window, and when a probing follower
 * goes back to pipelined replication.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, enc, voters } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false, maxInflightMessages: 2 } as const;

test('flow control: an append without entries (a commit notice) takes no slot of the window', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(1);
  const leader = h.node(1);
  h.cut.add('3->1'); // node 3's answers are lost: nothing frees a slot of its window (2)
  leader.raft.propose(enc('b')); // one slot; node 2's answer commits it, and node 3 gets a commit notice
  h.deliverAll();
  const notices = h.sentOf('append', { from: 1, to: 3 }).filter((m) => m.entries.length === 0);
  assert.ok(notices.length >= 1, 'a commit notice went to node 3');
  leader.raft.propose(enc('c'));
  h.process();
  const sent = h.take('append').filter((m) => m.to === 3);
  assert.equal(
    sent.map((m) => m.entries.length),
    [1],
    'the new entry takes the second slot (with the notice counted, the window was full and it waited)',
  );
});

test('flow control: a probe accepted at the match index puts the follower back to replicating, and a new entry goes out at once', () => {
  // A follower that took a snapshot of the leader's whole log is probed at its match index,
  // which is the leader's last index: the probe has no entries, and the follower accepts it at
  // the match index. (Built by hand before, with a rejection of an index past the leader's log,
  // which the leader now ignores: no follower of its can send one.)
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.partition([3], [1, 2]);
  h.elect(1);
  const leader = h.node(1);
  for (let i = 0; i < 3; i++) leader.raft.propose(enc(`v${i}`));
  h.deliverAll();
  h.tick(1);
  h.deliverAll();
  const index = leader.raft.log.lastIndex();
  assert.is(leader.raft.log.applied, index);
  const data = enc('SNAPSHOT');
  leader.snapshotBytes.set(index, data);
  const meta = leader.raft.snapshotMetaAt(index, data.length);
  leader.storage.compact(meta);
  leader.raft.compacted(meta);
  h.heal();
  h.tick(1);
  h.deliverAll();
  assert.is(leader.raft.progressOf(3)!.match, index, 'node 3 took the snapshot');
  const probes = h.sentOf('append', { from: 1, to: 3 }).filter((m) => m.prevIndex === index && m.entries.length === 0);
  assert.ok(probes.length >= 1, 'an empty probe at the match index went out');
  assert.is(leader.raft.progressOf(3)!.state, 'replicate', 'the accepted probe ends probing');
  h.take();
  leader.raft.propose(enc('b'));
  h.process();
  const sent = h.take('append').filter((m) => m.to === 3);
  assert.equal(sent.map((m) => m.entries.length), [1], 'the new entry goes out without waiting for a heartbeat answer');
});

test.run();
