/**
 * A member removed from the configuration learns it and stops campaigning (thesis §4.2.3 leaves
 * removed servers to time out forever; the NotMember notice tells them), checked on the pure core.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, enc, msg, voters, type HarnessNode } from '../support/raft-harness.js';
import { EntryType, MemoryStorage, NONE, type ConfChange, type Entry, type NodeId } from '../../src/core/index.js';
import { encodeConfChange, isVoter } from '../../src/core/membership.js';

const ET = 10;

/** Proposes a membership change on the leader and returns its index. */
function change(h: Harness, leader: NodeId, cc: ConfChange): number {
  const r = h.node(leader).raft.proposeConfChange(cc);
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.index;
}

/** Runs `ticks` ticks delivering one message at a time; returns `probe()` after each delivery. */
function probeEachDelivery<T>(h: Harness, ticks: number, probe: () => T): T[] {
  const seen: T[] = [];
  for (let i = 0; i < ticks; i++) {
    h.tickAll();
    h.process();
    while (h.queue.length) {
      h.deliver(h.queue.shift()!);
      h.process();
      seen.push(probe());
    }
  }
  return seen;
}

function run(h: Harness, ticks: number): void {
  for (let i = 0; i < ticks; i++) {
    h.tickAll();
    h.deliverAll();
  }
}

/** Three voters led by 1, and node 4 added as a non-voting member that caught up; `added` is its entry. */
function withLearner4(): { h: Harness; added: number } {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const added = change(h, 1, { type: 'addLearner', id: 4, context: 'n4' });
  h.add(4, new MemoryStorage());
  run(h, 2);
  return { h, added };
}

/** Node 3 (restarted, any notice forgotten) asks node 1 for a pre-vote: who tells it it is no member. */
function tellersOf3(h: Harness): NodeId[] {
  const n1 = h.node(1).raft;
  const sentBefore = h.sent.length;
  n1.step(msg.vote(3, 1, n1.term + 1, { lastIndex: 0, lastTerm: 0, preVote: true }));
  h.process();
  return h.sent.slice(sentBefore).filter((m) => m.type === 'notMember' && m.to === 3).map((m) => m.from);
}

/** Three voters led by 1, with 3 cut off while 1 removes it and commits that with 2. */
function removedWhilePartitioned(): { h: Harness; removal: number } {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.partition([3], [1, 2]);
  const removal = change(h, 1, { type: 'remove', id: 3 });
  h.deliverAll();
  assert.ok(h.node(1).raft.log.committed >= removal, 'the removal committed without 3');
  assert.is(h.node(3).raft.removedAt(), 0, '3 has not heard of it');
  return { h, removal };
}

test('a voter removed while cut off learns its removal from the NotMember answer to its first campaign', () => {
  const { h, removal } = removedWhilePartitioned();
  h.heal();
  const sentBefore = h.sent.length;
  run(h, 3 * ET);
  const notices = h.sent.slice(sentBefore).filter((m) => m.type === 'notMember');
  assert.ok(notices.length > 0, 'members answered its campaign with NotMember');
  assert.ok(notices.every((m) => m.to === 3 && m.type === 'notMember' && m.configIndex === removal));
  assert.is(h.node(3).raft.removedAt(), removal);
  assert.is(h.node(3).raft.role, 'follower');
});

test('the leader tells the members it removed as soon as the removal commits, a non-voting member too (it never campaigns)', () => {
  const { h } = withLearner4();
  assert.is(h.node(4).raft.removedAt(), 0);
  const learnerRemoval = change(h, 1, { type: 'remove', id: 4 });
  h.deliverAll();
  assert.is(h.node(4).raft.removedAt(), learnerRemoval, 'told without a tick');
  const voterRemoval = change(h, 1, { type: 'remove', id: 3 });
  h.deliverAll();
  assert.is(h.node(3).raft.removedAt(), voterRemoval);
  assert.is(h.node(3).raft.lead, 0, 'it no longer takes 1 for its leader');
  const notices = h.sent.filter((m) => m.type === 'notMember');
  assert.equal(
    notices.map((m) => m.type === 'notMember' && [m.from, m.to, m.configIndex]),
    [
      [1, 4, learnerRemoval],
      [1, 3, voterRemoval],
    ],
    'one notice per removal, from the leader',
  );
});

test('a removed voter never campaigns again, and the members it asked keep their leader and term', () => {
  const { h } = removedWhilePartitioned();
  h.heal();
  run(h, 3 * ET);
  const term = h.node(1).raft.term;
  const sentBefore = h.sent.length;
  run(h, 20 * ET);
  assert.equal(h.sent.slice(sentBefore).filter((m) => m.from === 3 && m.type === 'vote'), [], 'no vote requests from the removed node');
  assert.is(h.node(1).raft.role, 'leader');
  assert.is(h.node(1).raft.term, term);
});

test('the removal is reported in the soft state, so the driver learns it from a Ready', () => {
  const { h, removal } = removedWhilePartitioned();
  h.heal();
  const n3 = h.node(3);
  const seen: number[] = [];
  for (let i = 0; i < 3 * ET && n3.raft.removedAt() === 0; i++) {
    h.tickAll();
    h.process();
    while (h.queue.length) {
      h.deliver(h.queue.shift()!);
      if (n3.raft.hasReady()) {
        const rd = n3.raft.ready();
        if (rd.softState) seen.push(rd.softState.removedAt);
        h.queue.push(...rd.earlyMessages, ...rd.messages);
        n3.storage.append(rd.entries);
        if (rd.hardState) n3.storage.hardState = rd.hardState;
        n3.raft.advance(rd);
      }
      h.process();
    }
  }
  assert.ok(seen.includes(removal), `a Ready carried removedAt ${removal} (saw ${seen.join(', ')})`);
});

test('a leader that commits its own removal steps down and never campaigns again (§4.2.2)', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const removal = change(h, 1, { type: 'remove', id: 1 });
  h.deliverAll();
  run(h, 1);
  assert.is(h.node(1).raft.role, 'follower');
  assert.is(h.node(1).raft.removedAt(), removal, 'it knows from its own log');
  run(h, 6 * ET);
  const leader = h.leader();
  assert.ok(leader && leader.id !== 1, 'the others elected a leader');
  const sentBefore = h.sent.length;
  run(h, 10 * ET);
  assert.equal(h.sent.slice(sentBefore).filter((m) => m.from === 1 && m.type === 'vote'), []);
});

test('a leader stepping down at its own removal tells the others the commit, and a caught-up voter takes over at once, without waiting out an election timeout', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const removal = change(h, 1, { type: 'remove', id: 1 });
  h.deliverAll(); // no tick: everything here comes from the step-down itself
  assert.is(h.node(1).raft.role, 'follower');
  for (const id of [2, 3]) assert.ok(h.node(id).raft.log.committed >= removal, `node ${id} learnt the removal committed`);
  const timeoutNow = h.sent.filter((m) => m.from === 1 && m.type === 'timeoutNow');
  assert.is(timeoutNow.length, 1, 'one voter is asked to campaign now');
  const leader = h.leader();
  assert.ok(leader && leader.id === timeoutNow[0]!.to, 'and leads, with no tick elapsed');
});

test('a non-voting member forgets a leader it has not heard from for an election timeout, without campaigning', () => {
  const { h } = withLearner4();
  assert.is(h.node(4).raft.softState().leader, 1, 'it follows leader 1');
  h.cut.add('1->4');
  const sentBefore = h.sent.length;
  run(h, 3 * ET);
  assert.is(h.node(4).raft.softState().leader, NONE, 'no leader named after an election timeout of silence');
  assert.equal(h.sent.slice(sentBefore).filter((m) => m.from === 4 && m.type === 'vote'), [], 'and it never campaigned');
  h.cut.delete('1->4');
  run(h, 2);
  assert.is(h.node(4).raft.softState().leader, 1, 'the leader is named again at its next heartbeat');
});

test('a notice about a configuration older than our own is ignored: a lagging peer does not know we were added', () => {
  const { h, added } = withLearner4();
  const n4 = h.node(4);
  assert.is(n4.raft.membership.currentIndex(), added, 'the joiner holds its addition');
  // A peer that still holds only the founding configuration (index 1) would answer so.
  n4.raft.step({ type: 'notMember', from: 3, to: 4, term: n4.raft.term, configIndex: 1, commit: added - 1 });
  assert.is(n4.raft.removedAt(), 0);
  // A committed configuration newer than its own, though, leaves it out.
  n4.raft.step({ type: 'notMember', from: 3, to: 4, term: n4.raft.term, configIndex: added + 1, commit: added + 1 });
  assert.is(n4.raft.removedAt(), added + 1);
});

/** Learner 4, cut off while leader 1 removes it: its log ends just before its removal. */
function removedWhileCutOff(): { h: Harness; added: number; removal: number; n4: HarnessNode } {
  const { h, added } = withLearner4();
  h.partition([4], [1, 2, 3]);
  const removal = change(h, 1, { type: 'remove', id: 4 });
  h.deliverAll();
  return { h, added, removal, n4: h.node(4) };
}

/**
 * A deposed leader (2, of a later term) reaches 4 alone with `fillers` plain entries from
 * `removal` on, then one promoting 4, that no leader will ever overwrite. Returns the promotion's index.
 */
function deposedLeaderPromotes(h: Harness, n4: HarnessNode, removal: number, fillers: number): number {
  const term = h.node(1).raft.term + 1;
  const prev = removal - 1;
  const entries: Entry[] = Array.from({ length: fillers }, (_, i) => ({ index: removal + i, term, type: EntryType.Normal, data: new Uint8Array() }));
  const promotion = removal + fillers;
  entries.push({ index: promotion, term, type: EntryType.ConfChange, data: encodeConfChange({ type: 'promote', id: 4 }) });
  n4.raft.step(msg.append(2, 4, term, prev, n4.raft.log.term(prev)!, entries, n4.raft.log.committed));
  h.process();
  return promotion;
}

test('a removed member whose newest configuration is a deposed leader\'s entry believes a notice of the configuration committed at that index or earlier, from a peer committed past it (seed 2100795)', () => {
  const { h, added, removal, n4 } = removedWhileCutOff();
  assert.is(n4.raft.log.lastIndex(), removal - 1, 'cut off before the removal');
  // Another entry at that very index: 4 is a voter in its own view.
  deposedLeaderPromotes(h, n4, removal, 0);
  assert.is(n4.raft.membership.currentIndex(), removal);
  assert.ok(isVoter(n4.raft.membership.current(), 4));
  const notice = { type: 'notMember' as const, from: 3, to: 4, term: h.node(3).raft.term, configIndex: added, commit: removal - 1 };
  // An older configuration from a peer that has not committed as far: it may not know of ours.
  n4.raft.step(notice);
  assert.is(n4.raft.removedAt(), 0);
  // The configuration committed at the same index as ours leaves 4 out: ours is another entry.
  n4.raft.step({ ...notice, configIndex: removal, commit: removal });
  assert.is(n4.raft.removedAt(), removal);
  assert.is(n4.raft.softState().leader, NONE);
  run(h, 10 * ET);
  assert.equal(h.sent.filter((m) => m.from === 4 && m.type === 'vote'), [], 'it no longer campaigns');
});

test('an older configuration from a peer that committed past our newest one is believed too', () => {
  const { h, added, removal, n4 } = removedWhileCutOff();
  // The deposed leader's configuration lands one entry past the removal's index.
  assert.is(deposedLeaderPromotes(h, n4, removal, 1), removal + 1);
  assert.is(n4.raft.membership.currentIndex(), removal + 1);
  const notice = { type: 'notMember' as const, from: 3, to: 4, term: h.node(3).raft.term, configIndex: removal, commit: removal };
  n4.raft.step(notice);
  assert.is(n4.raft.removedAt(), 0, 'committed only up to the removal: our entry after it may yet commit');
  n4.raft.step({ ...notice, commit: removal + 1 });
  assert.is(n4.raft.removedAt(), removal);
  assert.is(n4.raft.softState().leader, NONE);
  run(h, 10 * ET);
  assert.equal(h.sent.filter((m) => m.from === 4 && m.type === 'vote'), [], 'it no longer campaigns');
  assert.ok(added < removal);
});

test('notices are not compared with each other: one naming a snapshot\'s index does not hide a later one naming the configuration entry', () => {
  const { h, removal, n4 } = removedWhileCutOff();
  // A member whose snapshot is at S (past the removal) answers with S; 4 believes it.
  const snapshotAt = removal + 2;
  n4.raft.step({ type: 'notMember', from: 3, to: 4, term: h.node(3).raft.term, configIndex: snapshotAt, commit: snapshotAt });
  assert.is(n4.raft.removedAt(), snapshotAt);
  // A deposed leader then reaches it with entries through S + 1, the last promoting it.
  assert.is(deposedLeaderPromotes(h, n4, removal, 3), snapshotAt + 1);
  assert.is(n4.raft.removedAt(), 0, 'led, it is a member for now');
  // A member with its whole log answers with the removal's own index, having committed past 4's configuration.
  n4.raft.step({ type: 'notMember', from: 2, to: 4, term: h.node(2).raft.term, configIndex: removal, commit: removal + 3 });
  assert.ok(n4.raft.removedAt() > 0, 'believed');
  assert.is(n4.raft.softState().leader, NONE);
});

test('a joiner still catching up through configurations that predate it is not removed', () => {
  // One entry per append, so the joiner holds the founding configuration, committed, for a while.
  const h = new Harness(voters(1, 2, 3), { maxEntriesPerMessage: 1 });
  h.elect(1);
  change(h, 1, { type: 'addLearner', id: 4, context: 'n4' });
  h.deliverAll();
  const n4 = h.add(4, new MemoryStorage());
  const removedSeen = probeEachDelivery(h, 2, () => n4.raft.removedAt());
  assert.ok(removedSeen.length > 3 && n4.raft.log.committed > 1, 'it caught up, entry by entry');
  assert.ok(removedSeen.every((r) => r === 0), `never removed on the way (${removedSeen.join(',')})`);
});

test('a member added again under its old id on an empty log is not removed while it catches up through its own removal', () => {
  // One entry per append, so it holds each configuration of the log in turn.
  const h = new Harness(voters(1, 2, 3), { maxEntriesPerMessage: 1 });
  h.elect(1);
  h.partition([3], [1, 2]);
  change(h, 1, { type: 'remove', id: 3 });
  h.deliverAll();
  h.heal();
  // 3 comes back with an empty data directory (same address, so the same id) and is added again.
  h.nodes.delete(3);
  const n3 = h.add(3, new MemoryStorage());
  change(h, 1, { type: 'addVoter', id: 3, context: 'n3' });
  const seen = probeEachDelivery(h, 3 * ET, () => n3.raft.removedAt());
  assert.ok(n3.raft.membership.current().some((m) => m.id === 3 && m.role === 'voter'), 'caught up and promoted');
  assert.ok(seen.length > 5);
  assert.ok(seen.every((r) => r === 0), `never removed on the way (${seen.join(',')})`);
});

test('a node that was never a member believes a notice about the very configuration it holds (a removed leader restarted after compaction)', () => {
  const h = new Harness(voters(1, 2, 3));
  // Its log holds only a configuration without it, committed, and nothing says it was ever in one.
  const n9 = h.add(9, new MemoryStorage(voters(1, 2, 3)));
  assert.is(n9.raft.removedAt(), 0, 'not removed on its own say-so');
  n9.raft.step({ type: 'notMember', from: 1, to: 9, term: 1, configIndex: 1, commit: 1 });
  assert.is(n9.raft.removedAt(), 1);
});

test('a driver can have a member tell a silent outsider: a removed non-voting member that missed the notice learns it', () => {
  const { h } = withLearner4();
  h.partition([4], [1, 2, 3]);
  const removal = change(h, 1, { type: 'remove', id: 4 });
  h.deliverAll();
  h.heal();
  run(h, 10 * ET);
  assert.is(h.node(4).raft.removedAt(), 0, 'it never campaigns, so nobody answered it');
  // raft-node's members do this when a node announces its HTTP address.
  h.node(2).raft.tellIfNotMember(4);
  h.node(2).raft.tellIfNotMember(1); // a member: nothing is sent
  h.process();
  const told = h.queue.filter((m) => m.type === 'notMember');
  assert.equal(told.map((m) => [m.to, m.type === 'notMember' && m.configIndex, m.type === 'notMember' && m.commit]), [[4, removal, h.node(2).raft.log.committed]], 'its configuration and its commit index');
  h.deliverAll();
  assert.is(h.node(4).raft.removedAt(), removal);
  assert.is(h.node(1).raft.removedAt(), 0);
  assert.is(h.sent.filter((m) => m.type === 'notMember' && m.to === 1).length, 0);
});

test('a joiner that has not received the log ignores NotMember: it is not a member yet, so it cannot have been removed', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const n5 = h.add(5, new MemoryStorage());
  n5.raft.step({ type: 'notMember', from: 1, to: 5, term: h.node(1).raft.term, configIndex: 1, commit: 1 });
  assert.is(n5.raft.removedAt(), 0);
  // Added afterwards, it is not held back by the notice.
  const added = change(h, 1, { type: 'addLearner', id: 5, context: 'n5' });
  run(h, 2);
  assert.is(n5.raft.membership.currentIndex(), added);
  assert.is(n5.raft.removedAt(), 0);
});

test('a removed member that learnt its removal from a notice tells a removed voter that asks it (seed 2654295: one whose only fellow voter was such a member campaigned forever)', () => {
  const { h } = removedWhilePartitioned(); // voters {1, 2}; 3 removed and unaware
  // Leader 1 removes itself; the entry reaches 2 but 2's answer does not reach 1, so 1 never
  // learns that it committed. 2, the sole voter of the new configuration, leads and commits it.
  h.cut.add('2->1');
  const removal1 = change(h, 1, { type: 'remove', id: 1 });
  h.deliverAll();
  run(h, 3 * ET);
  const n2 = h.node(2).raft;
  assert.is(n2.role, 'leader');
  assert.ok(n2.log.committed >= removal1);
  h.cut.delete('2->1');
  n2.tellIfNotMember(1); // as a driver does for a silent outsider
  h.deliverAll();
  const n1 = h.node(1).raft;
  assert.is(n1.removedAt(), removal1, 'told by 2');
  assert.ok(n1.log.committed < removal1, 'its log never showed the removal committed');
  assert.equal(tellersOf3(h), [1], 'node 3 is told, by node 1');
});

test('a member with an uncommitted configuration sends no NotMember (its view may still change)', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.partition([1], [2, 3]);
  change(h, 1, { type: 'remove', id: 3 });
  h.process();
  const leader = h.node(1).raft;
  assert.ok(leader.log.committed < leader.membership.currentIndex(), 'the removal is not committed');
  leader.step({ type: 'vote', from: 3, to: 1, term: leader.term + 1, preVote: true, lastIndex: 0, lastTerm: 0, transfer: false });
  const rd = leader.ready();
  assert.equal([...rd.earlyMessages, ...rd.messages].filter((m) => m.type === 'notMember'), []);
  leader.advance(rd);
});

test('a removed node that is added again hears from the leader, stops being removed and is promoted to voter', () => {
  const { h, removal } = removedWhilePartitioned();
  h.heal();
  run(h, 3 * ET);
  assert.is(h.node(3).raft.removedAt(), removal);
  const added = change(h, 1, { type: 'addVoter', id: 3, context: 'n3' });
  run(h, 3 * ET);
  assert.ok(h.node(3).raft.membership.currentIndex() >= added, 'it received its new addition');
  assert.is(h.node(3).raft.removedAt(), 0);
  const me = h.node(1).raft.membership.current().find((m) => m.id === 3);
  assert.is(me?.role, 'voter', 'promoted once caught up');
  // And it takes part in elections again: with 1 gone, 3 can be elected.
  h.partition([1], [2, 3]);
  run(h, 6 * ET);
  const leader = h.leader();
  assert.ok(leader && leader.id !== 1);
});

test('a removed member whose newest configuration is not known committed tells a removed voter from the newest committed one (seed 2879511: after a notice of a newer configuration it told nobody, and a voter whose only fellow voter it was campaigned forever)', () => {
  // As in test/core/removed-member.test.ts (seed 2654295): voters {1, 2}, 3 removed and unaware.
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.partition([3], [1, 2]);
  change(h, 1, { type: 'remove', id: 3 });
  h.deliverAll();
  // Leader 1 removes itself; 2 commits it alone but 1 never learns that it committed.
  h.cut.add('2->1');
  const removal1 = change(h, 1, { type: 'remove', id: 1 });
  h.deliverAll();
  run(h, 3 * ET);
  const n2 = h.node(2).raft;
  assert.is(n2.role, 'leader');
  h.cut.delete('2->1');
  n2.tellIfNotMember(1);
  h.deliverAll();
  const n1 = h.node(1).raft;
  assert.is(n1.removedAt(), removal1, 'told by 2');
  assert.ok(n1.log.committed < removal1, 'its log never showed the removal committed');
  // Later the cluster commits a newer configuration, and 1 hears of it too (a notice naming it).
  n1.step({ type: 'notMember', from: 2, to: 1, term: n1.term, configIndex: removal1 + 5, commit: removal1 + 5 });
  h.process();
  assert.ok(n1.removedAt() > 0);
  // 3 (restarted, its notice forgotten; 1 is the only other voter it knows) asks 1 for a vote.
  assert.equal(tellersOf3(h), [1], 'node 3 is told, by node 1');
});

test('a deposed leader whose own configuration lies past the cluster\'s commit index believes a notice once its vote request shows its log ends in an older term than the committed entry (seed 2900898: in an idle cluster it campaigned forever)', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.partition([1], [2, 3]);
  // Cut off, leader 1 appends entries and then a configuration of its own, none of which commits.
  for (let i = 0; i < 4; i++) h.node(1).raft.propose(enc(`x${i}`));
  const own = change(h, 1, { type: 'remove', id: 3 });
  h.process();
  // 2 and 3 elect a leader, which removes 1: committed below 1's own configuration's index.
  run(h, 4 * ET);
  const leader = h.leader()!;
  assert.ok(leader.id !== 1, 'a leader among 2 and 3');
  const removal = change(h, leader.id, { type: 'remove', id: 1 });
  run(h, ET);
  assert.ok(leader.raft.log.committed >= removal && leader.raft.log.committed < own, 'the cluster committed the removal, below 1\'s own configuration');
  h.heal();
  run(h, 6 * ET);
  assert.is(h.node(1).raft.removedAt(), removal, 'told, and believed');
  assert.not.ok(['preCandidate', 'candidate'].includes(h.node(1).raft.role), 'it stopped campaigning');
});

test('a NotMember notice delivered late, after a leader replaced the node\'s log and added it again, does not make it believe it was removed (its divergence is checked against its log as it is now)', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.partition([1], [2, 3]);
  // Cut off, leader 1 appends a long tail of its term that will never commit.
  for (let i = 0; i < 20; i++) h.node(1).raft.propose(enc(`x${i}`));
  h.process();
  run(h, 4 * ET);
  const leader = h.leader()!;
  assert.ok(leader.id !== 1);
  const removal = change(h, leader.id, { type: 'remove', id: 1 });
  run(h, ET);
  assert.ok(leader.raft.log.committed >= removal);
  const n1 = h.node(1).raft;
  const L = n1.log.lastIndex();
  // 1 asks the leader for a (pre-)vote; the answer is held in the network.
  h.queue = [];
  leader.raft.step({ type: 'vote', from: 1, to: leader.id, term: n1.term + 1, preVote: true, lastIndex: L, lastTerm: n1.log.lastTerm(), transfer: false });
  h.process();
  const notices = h.take('notMember').filter((m) => m.to === 1);
  assert.is(notices.length, 1);
  // Meanwhile the cluster adds 1 again; the leader replaces 1's log and promotes it.
  h.heal();
  change(h, leader.id, { type: 'addVoter', id: 1, context: 'n1' });
  run(h, 3 * ET);
  assert.ok(n1.membership.current().some((m) => m.id === 1 && m.role === 'voter'), '1 is a voter again');
  assert.ok(n1.membership.currentIndex() <= L, 'its configuration lies at or below its old last index');
  assert.is(n1.removedAt(), 0);
  // The held notice arrives late.
  n1.step(notices[0]!);
  h.process();
  assert.is(n1.removedAt(), 0, 'a voter of the committed configuration does not believe it was removed');
  // With the leader gone, 1 and the other member elect a new leader between them.
  h.partition([leader.id], [1, 2, 3].filter((id) => id !== leader.id));
  run(h, 10 * ET);
  const next = [1, 2, 3].map((id) => h.node(id).raft).find((r) => r.id !== leader.id && r.role === 'leader');
  assert.ok(next && next.term > leader.raft.term, 'a new leader among 1 and the other member');
  assert.is(n1.removedAt(), 0);
});

test.run();
