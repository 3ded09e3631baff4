/**
 * Edges of the lost-log check (Raft.lostLog, see test/core/lost-log.test.ts): a heartbeat names a
 * commit index of at most what this member acknowledged, with the leader's term there, and a
 * member whose log ends before it, or holds another term there, lost entries it acknowledged.
 * Pinned here:
 * - a non-voting member (a learner) is checked like a voter: its acknowledgements count for the
 *   leader's view of it too, and a copy of its storage restored from before is found out;
 * - a member removed and added again that kept its storage is no such member, even when a heartbeat
 *   the leader queued for it before the removal arrives after it was added again;
 * - a heartbeat of an earlier term is dropped by the term check before anything in it is believed;
 * - a commit index its log was compacted past (a snapshot) is not checked: this member committed
 *   it, and cannot know the term there.
 * (A NotMember notice older than this node's newest, uncommitted configuration is pinned in
 * test/core/removed-member.test.ts: "a deposed leader whose own configuration lies past ..." and
 * "an older configuration from a peer that committed past our newest one ...".)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage, type Message } from '../../src/core/index.js';
import { Harness, clusterWithWrites, copyOfStorage, enc, isolated, msg, storageWithLog, voters } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;

/** Runs `ticks` rounds: every node ticks, then everything is delivered. */
function run(h: Harness, ticks: number): void {
  for (let i = 0; i < ticks; i++) {
    h.tickAll();
    h.deliverAll();
  }
}

/** Takes the queued heartbeat to `to` out of the network (held back), leaving the others queued. */
function holdHeartbeatTo(h: Harness, to: number): Extract<Message, { type: 'heartbeat' }> {
  const heartbeats = h.take('heartbeat');
  const held = heartbeats.filter((m) => m.to === to);
  if (held.length !== 1) throw new Error(`expected one heartbeat to ${to}, got ${held.length}`);
  h.queue.push(...heartbeats.filter((m) => m.to !== to));
  return held[0]!;
}

test('lost log: a non-voting member (learner) restored from an older, shorter copy of its storage is found out by the next heartbeat', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(1);
  const added = h.node(1).raft.proposeConfChange({ type: 'addLearner', id: 4, context: 'n4' });
  assert.ok(added.ok);
  h.add(4, new MemoryStorage());
  run(h, 2);
  const learner = h.node(4);
  assert.is(learner.raft.membership.current().find((m) => m.id === 4)?.role, 'learner');
  const olderCopy = copyOfStorage(learner.storage); // a backup taken now: it holds the learner's addition
  const copyLast = olderCopy.lastIndex();
  const copyCommit = olderCopy.hardState.commit;
  assert.ok(copyLast >= added.index, 'the copy holds its own addition (a member, not a joiner)');

  for (let i = 0; i < 5; i++) h.node(1).raft.propose(enc(`w${i}`));
  run(h, 1);
  const leader = h.node(1).raft;
  const committed = leader.log.committed;
  assert.is(leader.progressOf(4)!.match, committed, 'the learner acknowledged every entry');
  assert.ok(committed > copyLast, 'the copy is shorter than what it acknowledged');

  const restored = h.add(4, olderCopy); // the learner restored from the older copy
  assert.is(restored.raft.lostLog(), undefined);
  h.tick(1); // a heartbeat round
  h.deliverAll();
  assert.equal(restored.raft.lostLog(), { leader: 1, term: leader.term, commit: committed, lastIndex: copyLast });
  assert.is(restored.raft.log.committed, copyCommit, 'it committed nothing on that heartbeat');
  assert.ok(restored.applied.every((e) => e.index <= copyCommit), 'nor applied anything');
});

test('lost log: a member removed and added again that kept its storage is not taken for one that lost entries when a heartbeat queued before its removal arrives', () => {
  const h = clusterWithWrites(3, PLAIN);
  const leader = h.node(1);
  const three = h.node(3);
  // Node 3 stores and acknowledges new entries but never hears that they committed.
  for (let i = 0; i < 3; i++) leader.raft.propose(enc(`w${i}`));
  h.deliverAllExcept((m) => m.type === 'append' && m.from === 1 && m.to === 3 && m.entries.length === 0);
  assert.is(leader.raft.progressOf(3)!.match, leader.raft.log.committed);
  // A heartbeat round; the one to 3 (commit: everything 3 acknowledged) is held in the network.
  h.tick(1);
  const stale = holdHeartbeatTo(h, 3);
  h.deliverAll();
  assert.ok(stale.commit > three.raft.log.committed, 'the held heartbeat names a commit 3 does not know of');
  assert.ok(stale.commit <= three.raft.log.lastIndex(), 'within the log 3 kept');

  // 3 is removed (and told), then added again, keeping its storage.
  const removal = leader.raft.proposeConfChange({ type: 'remove', id: 3 });
  assert.ok(removal.ok);
  h.deliverAll();
  assert.is(three.raft.removedAt(), removal.index, 'it learnt its removal');
  const readded = leader.raft.proposeConfChange({ type: 'addVoter', id: 3, context: 'n3' });
  assert.ok(readded.ok);
  h.process();

  // The heartbeat queued before the removal arrives first, in the same term.
  assert.is(stale.term, three.raft.term);
  three.raft.step(stale);
  h.process();
  assert.is(three.raft.lostLog(), undefined, 'not taken for one that lost entries');
  assert.is(three.raft.log.committed, stale.commit, 'it took the commit index (it holds those entries)');

  run(h, 5);
  assert.is(three.raft.lostLog(), undefined);
  assert.is(three.raft.log.committed, leader.raft.log.committed, 'and caught up');
  assert.is(three.raft.membership.current().find((m) => m.id === 3)?.role, 'voter', 'a voter again');
});

test('lost log: a heartbeat of an earlier term arriving late raises no alarm, naming a commit past the log end or another term there (the term check drops it)', () => {
  // Node 3 is in term 3 and holds entries of terms [1, 1, 2, 2]; only the bootstrap entry is committed.
  const alarming = [
    { name: 'a commit past its log end', commit: 6, commitTerm: 2 },
    { name: 'another term at the commit index', commit: 4, commitTerm: 1 },
  ];
  for (const { name, commit, commitTerm } of alarming) {
    // Default options (CheckQuorum, PreVote): a stale leader is told the newer term.
    const { h, n } = isolated(voters(1, 2, 3), 3, {}, storageWithLog(voters(1, 2, 3), [1, 1, 2, 2], { term: 3 }));
    const before = n.raft.log.committed;
    n.raft.step({ ...msg.heartbeat(1, 3, 2, commit), commitTerm });
    h.process();
    assert.is(n.raft.lostLog(), undefined, `${name}: no alarm`);
    assert.is(n.raft.log.committed, before, `${name}: nothing committed`);
    assert.is(n.raft.term, 3);
    const answers = h.take();
    assert.equal(
      answers.map((m) => [m.type, m.term, m.type === 'appendResp' && m.reject]),
      [['appendResp', 3, true]],
      `${name}: answered only with the newer term (a rejection)`,
    );
    // The same heartbeat in the current term does raise it: the check above was not vacuous.
    n.raft.step({ ...msg.heartbeat(1, 3, 3, commit), commitTerm });
    assert.ok(n.raft.lostLog() !== undefined, `${name}: in the current term it is an alarm`);
  }
});

test('lost log: a follower whose log was compacted past the heartbeat’s commit index raises no alarm, even with a commit term it cannot check', () => {
  const h = clusterWithWrites(2, PLAIN);
  const leader = h.node(1);
  const three = h.node(3);
  // A heartbeat round whose message to 3 is held in the network.
  h.tick(1);
  const held = holdHeartbeatTo(h, 3);
  h.deliverAll();
  // The cluster moves on; 3 commits and applies past the held commit, then compacts its log.
  for (let i = 0; i < 4; i++) leader.raft.propose(enc(`w${i}`));
  run(h, 1);
  const applied = three.raft.log.applied;
  assert.ok(applied > held.commit + 1);
  const meta = three.raft.snapshotMetaAt(applied, 0);
  three.storage.compact(meta);
  three.raft.compacted(meta);
  assert.ok(three.raft.log.firstIndex() > held.commit + 1, 'compacted past the held commit');
  assert.is(three.raft.log.term(held.commit), undefined, 'its term there is unknown');
  const committed = three.raft.log.committed;

  three.raft.step(held); // the leader's own heartbeat, late
  three.raft.step({ ...held, commitTerm: held.commitTerm! + 7 }); // and one whose term there differs
  h.process();
  assert.is(three.raft.lostLog(), undefined, 'no alarm');
  assert.is(three.raft.log.committed, committed);

  // Restarted over that storage with a hard state whose commit lags the snapshot (a driver applies
  // committed entries before their hard state is durable, and may snapshot them): its commit index
  // is the snapshot's, and a commit between the two is not checked either.
  three.storage.hardState = { ...three.storage.hardState, commit: held.commit - 1 };
  const restarted = h.restart(3);
  assert.is(restarted.raft.log.committed, meta.index);
  restarted.raft.step({ ...held, commitTerm: held.commitTerm! + 7 });
  h.process();
  assert.is(restarted.raft.lostLog(), undefined, 'no alarm after a restart');
  assert.is(restarted.raft.log.committed, meta.index);
  h.tick(1);
  h.deliverAll();
  assert.is(restarted.raft.lostLog(), undefined, 'nor at the next real heartbeat');
  assert.is(restarted.raft.log.committed, leader.raft.log.committed);
});

test.run();
