/**
 * Flow control of appends to a follower (etcd's progress states and inflight window; Ongaro's
 * thesis §10.2.1 on pipelining): what takes a slot of the window, and when a probing follower
 * goes back to pipelined replication.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, enc, msg, voters } from '../support/raft-harness.js';

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
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(1);
  const leader = h.node(1);
  const term = leader.raft.term;
  leader.raft.propose(enc('a'));
  h.deliverAll();
  const last = leader.raft.log.lastIndex();
  assert.is(leader.raft.progressOf(3)!.match, last, 'node 3 is in sync');
  // A rejection (as after lost appends) sends node 3 back to probing, at its match index: the
  // probe has no entries, and node 3 accepts it at the match index.
  leader.raft.step(msg.appendResp(3, 1, term, last + 1, { reject: true, conflictIndex: last + 1 }));
  assert.is(leader.raft.progressOf(3)!.state, 'probe');
  h.deliverAll();
  assert.is(leader.raft.progressOf(3)!.state, 'replicate', 'the accepted probe ends probing');
  leader.raft.propose(enc('b'));
  h.process();
  const sent = h.take('append').filter((m) => m.to === 3);
  assert.equal(sent.map((m) => m.entries.length), [1], 'the new entry goes out without waiting for a heartbeat answer');
});

test.run();
