/**
 * Light Readys (Raft.readyLight): what a driver may do while a full Ready's local write is still
 * in flight. Committed entries are durable on a quorum and may be applied; a leader whose term is
 * durable may keep replicating; nothing that promises local durability (acks, votes, the hard
 * state, entries to write) may leave before the write completes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType, type Ready } from '../../src/core/index.js';
import { electedLeader, enc, isolated, msg, voters, type HarnessNode } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;

/** Node 1 of a 3-voter cluster elected by hand; both followers acknowledged its no-op. */
const leaderOf3 = () => electedLeader(3, PLAIN);

/** What a driver does once a full Ready's write completed: the entries and hard state are stored, then advance. */
function written(n: HarnessNode, rd: Ready): void {
  n.storage.append(rd.entries);
  if (rd.hardState) n.storage.hardState = rd.hardState;
  n.raft.advance(rd);
}

function assertNothingDurable(rd: Ready): void {
  assert.is(rd.entries.length, 0, 'no entries to write');
  assert.is(rd.hardState, undefined, 'no hard state');
  assert.is(rd.messages.length, 0, 'no message that promises durable state');
  assert.is(rd.snapshot, undefined);
  assert.is(rd.snapshotChunks.length, 0);
}

test('§5.3 with the leader’s write in flight: an entry stored by a majority of followers commits and is handed out to apply before the leader’s own write completes', () => {
  const { n, term, noop } = leaderOf3();
  n.raft.propose(enc('x'));
  const full = n.raft.ready();
  assert.is(full.entries.length, 1, 'the full Ready carries the entry to write');
  assert.is(full.earlyMessages.filter((m) => m.type === 'append').length, 2, 'appends leave before the write');
  // The write is in flight (no advance). Both followers store the entry and answer.
  for (const id of [2, 3]) n.raft.step(msg.appendResp(id, 1, term, noop + 1));
  assert.is(n.raft.log.committed, noop + 1, 'two followers are a majority of three');
  assert.ok(n.raft.hasLightReady());
  const light = n.raft.readyLight();
  assertNothingDurable(light);
  assert.equal(light.committed.map((e) => e.index), [noop + 1]);
  n.raft.advance(light);
  written(n, full);
  assert.not.ok(n.raft.hasReady() && n.raft.ready().committed.length > 0, 'the entry is not handed out twice');
});

test('§5.3 with the leader’s write in flight: one follower and a leader whose own copy is not yet durable are not a majority', () => {
  const { n, term, noop } = leaderOf3();
  n.raft.propose(enc('x'));
  const full = n.raft.ready();
  n.raft.step(msg.appendResp(2, 1, term, noop + 1));
  assert.is(n.raft.log.committed, noop, 'the leader counts itself only once its write is durable');
  const light = n.raft.readyLight();
  assert.is(light.committed.length, 0);
  n.raft.advance(light);
  written(n, full);
  assert.is(n.raft.log.committed, noop + 1, 'its durable copy and one follower are a majority');
});

test('thesis §10.2.1 with the leader’s write in flight: proposals made meanwhile are replicated by a light Ready and written by the next full one', () => {
  const { n, noop } = leaderOf3();
  n.raft.propose(enc('a'));
  const full = n.raft.ready();
  n.raft.propose(enc('b'));
  const light = n.raft.readyLight();
  assertNothingDurable(light);
  const appends = light.earlyMessages.filter((m) => m.type === 'append');
  assert.is(appends.length, 2);
  for (const a of appends) assert.ok(a.type === 'append' && a.entries.some((e) => e.index === noop + 2), 'the new entry is sent');
  n.raft.advance(light);
  written(n, full);
  const next = n.raft.ready();
  assert.equal(next.entries.map((e) => e.index), [noop + 2], 'the next full Ready writes it');
});

test('§5.3 with a follower’s write in flight: its acknowledgement waits for the next full Ready, but entries committed meanwhile are handed out to apply', () => {
  const { n } = isolated(voters(1, 2, 3), 2, PLAIN);
  const base = n.raft.log.lastIndex();
  const baseTerm = n.raft.log.term(base) ?? 0;
  const e1 = { index: base + 1, term: 1, type: EntryType.Normal, data: enc('a') };
  const e2 = { index: base + 2, term: 1, type: EntryType.Normal, data: enc('b') };
  n.raft.step(msg.append(1, 2, 1, base, baseTerm, [e1], base));
  const full = n.raft.ready();
  assert.equal(full.entries.map((e) => e.index), [base + 1]);
  assert.ok(full.messages.some((m) => m.type === 'appendResp'), 'the ack rides with the write');
  // While entry base+1 is on its way to disk, the leader reports it committed and sends the next.
  n.raft.step(msg.append(1, 2, 1, base + 1, 1, [e2], base + 1));
  assert.ok(n.raft.hasLightReady());
  const light = n.raft.readyLight();
  assertNothingDurable(light);
  assert.equal(light.committed.map((e) => e.index), [base + 1], 'committed on a quorum: may be applied');
  n.raft.advance(light);
  written(n, full);
  const next = n.raft.ready();
  assert.equal(next.entries.map((e) => e.index), [base + 2]);
  assert.ok(next.messages.some((m) => m.type === 'appendResp' && m.index === base + 2), 'the ack for the second entry waits for its write');
});

test('Figure 13 step 8 with a follower’s write in flight: entries committed after a received snapshot are not handed out until the full Ready that installs the snapshot (found by simulation seed 9214036)', () => {
  const { n } = isolated(voters(1, 2, 3), 2, PLAIN);
  const base = n.raft.log.lastIndex();
  const baseTerm = n.raft.log.term(base) ?? 0;
  const entry = (index: number, text: string) => ({ index, term: 1, type: EntryType.Normal, data: enc(text) });
  // A snapshot at base+5 arrives whole; the driver stores it and checks it beside its other work.
  const meta = { index: base + 5, term: 1, membership: voters(1, 2, 3), size: 4 };
  n.raft.step({ type: 'snapshot', from: 1, to: 2, term: 1, meta, offset: 0, length: 4, data: enc('SNAP'), done: true });
  written(n, n.raft.ready());
  n.raft.step(msg.append(1, 2, 1, base, baseTerm, [entry(base + 1, 'a')], base));
  const full = n.raft.ready();
  assert.equal(full.entries.map((e) => e.index), [base + 1]);
  // While that write is in flight, the check passes and the snapshot replaces the log, and then
  // an append after it commits base+6 (from a leader that did not wait for the snapshot's ack: a
  // new one, or a delayed message).
  n.raft.snapshotChecked(meta, true);
  n.raft.step(msg.append(1, 2, 1, base + 5, 1, [entry(base + 6, 'b')], base + 6));
  assert.is(n.raft.log.committed, base + 6);
  // Entry base+6 applies on top of the snapshot's state, which the driver does not have yet.
  const light = n.raft.readyLight();
  assertNothingDurable(light);
  assert.equal(light.committed.map((e) => e.index), [], 'nothing to apply before the snapshot is installed');
  n.raft.advance(light);
  written(n, full);
  const next = n.raft.ready();
  assert.is(next.snapshot?.index, base + 5, 'the next full Ready installs the snapshot');
  assert.equal(next.committed.map((e) => e.index), [base + 6], 'and hands out what follows it, to apply after the install');
});

test('§5.2 with a vote’s write in flight: the grant waits for the full Ready; a light Ready carries nothing', () => {
  const { n } = isolated(voters(1, 2, 3), 2, PLAIN);
  const last = n.raft.log.lastIndex();
  n.raft.step(msg.vote(1, 2, 5, { lastIndex: last, lastTerm: n.raft.log.term(last) ?? 0 }));
  const full = n.raft.ready();
  assert.is(full.hardState?.term, 5);
  assert.ok(full.messages.some((m) => m.type === 'voteResp' && !m.reject));
  assert.not.ok(n.raft.hasLightReady(), 'nothing may leave before the vote is durable');
  written(n, full);
});

test('§5.1 a new leader whose term is not yet durable sends nothing in a light Ready', () => {
  // A single-voter cluster: the campaign wins at once, in the same Ready as the new term.
  const { n } = isolated(voters(1), 1, PLAIN);
  n.raft.campaign();
  const full = n.raft.ready();
  assert.is(n.raft.role, 'leader');
  assert.ok(full.hardState && full.hardState.term === n.raft.term, 'the new term is in the write');
  n.raft.propose(enc('x'));
  const light = n.raft.readyLight();
  assertNothingDurable(light);
  assert.is(light.earlyMessages.length, 0);
  written(n, full);
});

test('§5.1 a sole voter elected at once sends the appends of its new term only after that term is durable — if it crashes during the write it led nothing, and may vote for another node in the same term after restarting', () => {
  // Voter 1 and learner 2: the campaign wins in the step that starts it, and the new leader has
  // a learner to replicate to.
  const { n } = isolated([...voters(1), { id: 2, role: 'learner', promote: false, context: 'n2' }], 1, PLAIN);
  n.raft.campaign();
  assert.is(n.raft.role, 'leader');
  const full = n.raft.ready();
  assert.ok(full.hardState && full.hardState.term === n.raft.term, 'the new term is in the write');
  assert.is(full.earlyMessages.length, 0, 'nothing leaves ahead of the write');
  assert.ok(full.messages.some((m) => m.type === 'append' && m.to === 2), 'the append to the learner waits for the write');
  written(n, full);
  // Once the term is durable (and the learner has answered its probe), the leader's traffic goes
  // ahead of its writes again.
  n.raft.step(msg.appendResp(2, 1, n.raft.term, n.raft.log.lastIndex()));
  if (n.raft.hasReady()) written(n, n.raft.ready());
  n.raft.propose(enc('x'));
  assert.ok(n.raft.ready().earlyMessages.some((m) => m.type === 'append' && m.to === 2));
});

test.run();
