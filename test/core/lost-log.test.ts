/**
 * A member that lost entries it acknowledged (its data directory wiped, replaced or restored from
 * an older copy) is found out by the leader's heartbeat: a leader sends each follower a commit
 * index of at most that follower's match index, which only the follower's acknowledgements of
 * durable entries raise, so a commit past the follower's log end means the follower lost them
 * (etcd's raft stops at the same point: "tocommit is out of range"). The core records it
 * (Raft.lostLog) and carries on; the driver stops such a node (test/node/lost-data.test.ts,
 * test/server/wiped-voter-rejoin.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage } from '../../src/core/index.js';
import { Harness, clusterWithWrites, copyOfStorage, enc, isolated, laggingFollower, msg, storageWithLog, voters } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;

test('lost log: a follower whose log lost entries it acknowledged learns it from the next heartbeat (commit past its log end)', () => {
  const h = clusterWithWrites(5, PLAIN);
  const leader = h.node(1).raft;
  const committed = leader.log.committed;
  assert.is(leader.progressOf(3)!.match, committed, 'follower 3 acknowledged every entry');
  // Follower 3's data is lost: it restarts on a fresh storage, a founding member again.
  const wiped = h.add(3, new MemoryStorage(voters(1, 2, 3)));
  assert.is(wiped.raft.lostLog(), undefined);
  const lastIndex = wiped.raft.log.lastIndex(); // the founding configuration only
  assert.ok(lastIndex < committed);
  h.tick(1); // a heartbeat round
  h.deliverAll();
  assert.equal(wiped.raft.lostLog(), { leader: 1, term: leader.term, commit: committed, lastIndex });
});

test('lost log: not said of a node holding no log at all (a joiner): a heartbeat queued for the member before it was removed and added again reaches it first', () => {
  const h = clusterWithWrites(5, PLAIN);
  const committed = h.node(1).raft.log.committed;
  // Node 3 starts over as a joiner, with an empty storage; a heartbeat of its earlier
  // incarnation, naming the entries that one acknowledged, arrives.
  const joiner = h.add(3, new MemoryStorage());
  assert.is(joiner.raft.log.lastIndex(), 0);
  joiner.raft.step(msg.heartbeat(1, 3, h.node(1).raft.term, committed));
  assert.is(joiner.raft.lostLog(), undefined);
});

test('lost log: a follower merely behind (it never acknowledged the entries) is not taken for one that lost them', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(1);
  h.partition([3], [1, 2]);
  for (let i = 0; i < 5; i++) h.node(1).raft.propose(enc(`w${i}`));
  h.deliverAll();
  const behind = h.node(3).raft.log.lastIndex();
  assert.ok(behind < h.node(1).raft.log.committed, 'follower 3 is behind');
  h.heal();
  h.tick(1);
  h.deliverAll();
  assert.is(h.node(3).raft.lostLog(), undefined);
  assert.is(h.node(3).raft.log.lastIndex(), h.node(1).raft.log.lastIndex(), 'and it caught up');
});

test('lost log: a follower that crashed and restarted over its own storage lost nothing it acknowledged', () => {
  const h = clusterWithWrites(5, PLAIN);
  const restarted = h.restart(3);
  for (let i = 0; i < 3; i++) h.node(1).raft.propose(enc(`after${i}`));
  h.tick(1);
  h.deliverAll();
  assert.is(restarted.raft.lostLog(), undefined);
  assert.is(restarted.raft.log.committed, h.node(1).raft.log.committed);
});

test('lost log: a follower that took the leader’s snapshot in place of its log is not taken for one that lost entries', () => {
  const { h, leader, follower, index } = laggingFollower(enc('SNAPSHOT:0123456789abcdef'), 8);
  for (let round = 0; round < 8; round++) {
    h.tick(leader.id);
    h.deliverAll();
  }
  assert.ok(follower.raft.log.lastIndex() >= index, 'the follower holds the snapshot');
  assert.is(follower.raft.log.committed, leader.raft.log.committed);
  assert.is(follower.raft.lostLog(), undefined);
});

test('lost log: a follower restored from an older copy whose stale tail reaches past the commit index is found out by the term at the commit index, and commits none of that tail', () => {
  // Found in review: only a log ending before the commit index was caught; a longer stale log had
  // the heartbeat commit (and the node apply) entries of an older term that never committed.
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(3); // term 2; its no-op commits everywhere
  h.partition([3], [1, 2]);
  for (let i = 0; i < 10; i++) h.node(3).raft.propose(enc(`stale${i}`)); // term-2 entries only 3 holds
  h.deliverAll();
  const staleLast = h.node(3).raft.log.lastIndex();
  const olderCopy = copyOfStorage(h.node(3).storage); // a backup of node 3 taken now
  h.node(1).raft.campaign(); // term 3, with node 2
  h.deliverAll();
  assert.is(h.node(1).raft.role, 'leader');
  for (let i = 0; i < 4; i++) h.node(1).raft.propose(enc(`real${i}`));
  h.deliverAll();
  h.heal();
  h.tick(1);
  h.deliverAll();
  const leader = h.node(1).raft;
  const committed = leader.log.committed;
  assert.is(leader.progressOf(3)!.match, committed, 'node 3 acknowledged every committed entry of term 3');
  assert.ok(committed < staleLast, 'the stale tail reaches past the commit index');

  const restored = h.add(3, olderCopy); // node 3 restored from the older copy
  const committedBefore = restored.raft.log.committed;
  h.tick(1); // a heartbeat round: commit = min(match, committed), with the term there
  h.deliverAll();
  assert.equal(restored.raft.lostLog(), {
    leader: 1,
    term: leader.term,
    commit: committed,
    lastIndex: staleLast,
    termsAtCommit: [leader.log.term(committed)!, 2],
  });
  assert.is(restored.raft.log.committed, committedBefore, 'nothing of the stale tail was committed');
  assert.ok(restored.applied.every((e) => e.index <= committedBefore), 'nor applied');
});

test('lost log: the term at the commit index decides, when the heartbeat carries it (absent from older senders: commits as before)', () => {
  const cases: Array<[string, number | undefined, boolean]> = [
    ['no commitTerm (an older sender)', undefined, false],
    ['commitTerm 0 (the leader did not know it)', 0, false],
    ['the same term there', 2, false],
    ['another term there', 3, true],
  ];
  for (const [name, commitTerm, lost] of cases) {
    const { n } = isolated(voters(1, 2, 3), 3, PLAIN, storageWithLog(voters(1, 2, 3), [1, 1, 2, 2], { term: 3 }));
    const before = n.raft.log.committed;
    assert.ok(before < 4);
    const heartbeat = msg.heartbeat(1, 3, 3, 4);
    n.raft.step(commitTerm === undefined ? heartbeat : { ...heartbeat, commitTerm });
    assert.is(n.raft.lostLog() !== undefined, lost, name);
    assert.is(n.raft.log.committed, lost ? before : 4, `${name}: committed`);
  }
});

test('lost log: a commit at or below its own is not checked (its log may be compacted there)', () => {
  const h = clusterWithWrites(5, PLAIN);
  const follower = h.node(3).raft;
  const committed = follower.log.committed;
  follower.step({ ...msg.heartbeat(1, 3, h.node(1).raft.term, committed), commitTerm: 99 });
  assert.is(follower.lostLog(), undefined);
  assert.is(follower.log.committed, committed);
});

test.run();
