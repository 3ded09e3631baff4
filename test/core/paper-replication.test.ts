/**
 * Paper scenarios: log replication and the commit rules (Raft paper §5.3, §5.4.2, §5.5, Figures
 * 7 and 8; thesis §10.2.1), checked rule by rule on the pure core.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMIT_NOTICE, EntryType, type MemoryStorage } from '../../src/core/index.js';
import { Harness, electedLeader, enc, entriesWithTerms, isolated, msg, storageWithLog, voters } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;


/** Node 1 of a `size`-voter cluster elected by hand, its no-op committed (see electedLeader). */
function leaderOf(size: number, storage?: MemoryStorage) {
  return electedLeader(size, PLAIN, storage);
}

// ---------------------------------------------------------------------------------------------
// The leader's side

test('§5.4.2/§8: a new leader appends a no-op entry of its own term and replicates it to every follower', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  const before = h.node(1).raft.log.lastIndex();
  h.elect(1);
  const leader = h.node(1).raft;
  const noop = leader.log.lastIndex();
  assert.is(noop, before + 1);
  const entry = leader.log.slice(noop, noop + 1, 1 << 20)![0]!;
  assert.is(entry.type, EntryType.Noop);
  assert.is(entry.term, leader.term);
  assert.is(leader.log.committed, noop, 'the no-op commits once a majority stored it');
  for (const id of [2, 3]) assert.equal(h.storedTerms(id), h.storedTerms(1), `follower ${id} stores the no-op`);
});

test('§5.3: when a leader first comes to power, it initializes nextIndex to the index just after the last one in its log', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1, 1, 2], { term: 2 }));
  n.raft.campaign();
  h.process();
  n.raft.step(msg.voteResp(2, 1, 3));
  h.process();
  assert.is(n.raft.role, 'leader');
  const appends = h.take('append');
  assert.equal(appends.map((a) => a.to).sort(), [2, 3]);
  for (const a of appends) {
    assert.is(a.prevIndex, 3, 'the first append follows the last entry of the leader’s log');
    assert.is(a.prevTerm, 2);
    assert.equal(a.entries.map((e) => [e.index, e.term, e.type]), [[4, 3, EntryType.Noop]]);
  }
});

test('§5.3: the leader appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel to each of the other servers', () => {
  const { h, n, term, noop } = leaderOf(3);
  const r = n.raft.propose(enc('x'));
  assert.equal(r, { ok: true, index: noop + 1, term });
  assert.is(n.raft.log.lastIndex(), noop + 1);
  h.process();
  const appends = h.take('append');
  assert.equal(appends.map((a) => a.to).sort(), [2, 3]);
  for (const a of appends) {
    assert.is(a.term, term);
    assert.is(a.prevIndex, noop);
    assert.is(a.prevTerm, term);
    assert.equal(a.entries.map((e) => [e.index, e.term]), [[noop + 1, term]]);
    assert.is(a.commit, noop);
  }
});

test('thesis §10.2.1: the leader sends AppendEntries in parallel with writing the entry to its own disk (earlyMessages)', () => {
  const { n, noop } = leaderOf(3);
  n.raft.propose(enc('x'));
  const rd = n.raft.ready();
  assert.equal(rd.entries.map((e) => e.index), [noop + 1], 'the entry is still to be persisted');
  const early = rd.earlyMessages.filter((m) => m.type === 'append');
  assert.equal(early.map((m) => m.to).sort(), [2, 3], 'the appends may leave before the write');
  for (const m of early) assert.equal(m.type === 'append' && m.entries.map((e) => e.index), [noop + 1]);
});

test('§5.3: a log entry is committed once the leader that created it has replicated it on a majority of the servers (sizes 1–6)', () => {
  const cases: Array<[number, number[], boolean]> = [
    [1, [], true],
    [2, [], false],
    [2, [2], true],
    [3, [], false],
    [3, [2], true],
    [3, [2, 3], true],
    [4, [2], false],
    [4, [2, 3], true],
    [5, [], false],
    [5, [2], false],
    [5, [2, 3], true],
    [5, [2, 3, 4, 5], true],
    [6, [2, 3], false],
    [6, [2, 3, 4], true],
  ];
  for (const [size, acceptors, commits] of cases) {
    const { h, n, term, noop } = leaderOf(size);
    const r = n.raft.propose(enc('x'));
    assert.ok(r.ok);
    h.process(); // the leader's own write
    for (const id of acceptors) n.raft.step(msg.appendResp(id, 1, term, noop + 1));
    h.process();
    const label = `size ${size}, acknowledged by ${JSON.stringify(acceptors)}`;
    assert.is(n.raft.log.committed, commits ? noop + 1 : noop, label);
    assert.is(n.applied.some((e) => e.index === noop + 1), commits, `${label}: applied once committed`);
  }
});

test('thesis §10.2.1: the leader counts itself toward the majority only once the entry is durable in its own log', () => {
  const { n, term, noop } = leaderOf(3);
  n.raft.propose(enc('x'));
  const rd = n.raft.ready();
  // A follower acknowledges before the leader's own write finished: 1 of 3 durable copies.
  n.raft.step(msg.appendResp(2, 1, term, noop + 1));
  assert.is(n.raft.log.committed, noop, 'not committed while only the follower has it durably');
  n.storage.append(rd.entries);
  n.raft.advance(rd);
  assert.is(n.raft.log.committed, noop + 1, 'committed once the leader’s own write is done');
});

test('§5.3: the leader includes the highest index it knows to be committed in future AppendEntries RPCs (including heartbeats)', () => {
  const { h, n, term, noop } = leaderOf(3);
  n.raft.propose(enc('x'));
  h.process();
  h.take();
  n.raft.step(msg.appendResp(2, 1, term, noop + 1));
  h.process();
  assert.is(n.raft.log.committed, noop + 1);
  const appends = h.take('append');
  assert.ok(appends.length >= 2);
  assert.ok(appends.every((a) => a.commit === noop + 1), 'the new commit index goes out at once');
  h.tick(1);
  const beats = h.take('heartbeat');
  assert.is(beats.find((b) => b.to === 2)!.commit, noop + 1);
  // Follower 3 only matched up to the no-op: the heartbeat never claims more than it stores.
  assert.is(beats.find((b) => b.to === 3)!.commit, noop);
});

test('driver hint: an append that only carries a new commit index to an in-sync follower is marked COMMIT_NOTICE; appends with entries are not', () => {
  const { h, n, term, noop } = leaderOf(3);
  n.raft.propose(enc('x'));
  h.process();
  const withEntries = h.take('append');
  assert.ok(withEntries.length >= 2 && withEntries.every((a) => a.entries.length === 1 && a[COMMIT_NOTICE] === undefined));
  n.raft.step(msg.appendResp(2, 1, term, noop + 1));
  h.process();
  const notices = h.take('append');
  assert.ok(notices.length >= 2);
  assert.ok(notices.every((a) => a.entries.length === 0 && a.commit === noop + 1 && a[COMMIT_NOTICE] === true), 'commit notices are marked');
});

test('§5.3: the leader commits an entry only once: a stale or duplicate acknowledgment changes nothing', () => {
  const { h, n, term, noop } = leaderOf(3);
  n.raft.propose(enc('x'));
  h.process();
  n.raft.step(msg.appendResp(2, 1, term, noop + 1));
  n.raft.step(msg.appendResp(2, 1, term, noop + 1));
  n.raft.step(msg.appendResp(2, 1, term, noop)); // reordered older ack
  h.process();
  assert.is(n.raft.log.committed, noop + 1);
  assert.equal(n.applied.filter((e) => e.index === noop + 1).length, 1, 'applied exactly once');
});

test('§5.3: committing an entry also commits all preceding entries in the leader’s log, including entries created by previous leaders', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1, 1, 2], { term: 2, commit: 1 }));
  n.raft.campaign();
  h.process();
  n.raft.step(msg.voteResp(2, 1, 3));
  h.process();
  assert.is(n.raft.log.committed, 1);
  n.raft.step(msg.appendResp(2, 1, 3, 4));
  h.process();
  assert.is(n.raft.log.committed, 4);
  assert.equal(
    n.applied.map((e) => [e.index, e.term]),
    [
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 3],
    ],
    'entries of terms 1 and 2 are applied, in log order, with the no-op of term 3',
  );
});

// ---------------------------------------------------------------------------------------------
// The follower's side

test('§5.3: once a follower learns that a log entry is committed, it applies the entry to its state machine (in log order)', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, PLAIN);
  h.process();
  const base = n.applied.length;
  n.raft.step(msg.append(2, 1, 2, 1, 1, entriesWithTerms([2, 2, 2], 2), 3));
  h.process();
  assert.equal(n.applied.slice(base).map((e) => e.index), [2, 3], 'applies up to the leader’s commit index, not beyond');
  n.raft.step(msg.heartbeat(2, 1, 2, 4));
  h.process();
  assert.equal(n.applied.slice(base).map((e) => e.index), [2, 3, 4]);
  assert.is(n.raft.log.committed, 4);
});

test('§5.3: if the follower does not find an entry with the same index and term as prevLogIndex/prevLogTerm, it refuses the new entries (with a conflict hint)', () => {
  const m = voters(1, 2, 3);
  // [prevIndex, prevTerm, reject, index, conflictTerm, conflictIndex]; the follower holds terms [1, 2], commit 1.
  const cases: Array<[number, number, boolean, number, number, number]> = [
    [1, 1, false, 1, 0, 0],
    [2, 2, false, 2, 0, 0],
    [2, 1, true, 2, 2, 2], // term mismatch at 2: the follower's term there is 2, which starts at 2
    [3, 2, true, 3, 0, 3], // the follower has no entry 3: retry after its last index
    [5, 3, true, 5, 0, 3],
  ];
  for (const [prevIndex, prevTerm, reject, index, conflictTerm, conflictIndex] of cases) {
    const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1, 2], { term: 2, commit: 1 }));
    h.process();
    h.take();
    n.raft.step(msg.append(2, 1, 2, prevIndex, prevTerm, [{ index: prevIndex + 1, term: 2, type: EntryType.Normal, data: enc('n') }], 1));
    h.process();
    const label = `prev (${prevIndex}, ${prevTerm})`;
    const [r] = h.take('appendResp');
    assert.ok(r, label);
    assert.is(r!.reject, reject, label);
    if (reject) {
      assert.equal([r!.index, r!.conflictTerm, r!.conflictIndex], [index, conflictTerm, conflictIndex], label);
      assert.equal(h.logTerms(1), [1, 2], `${label}: the log is unchanged`);
    } else {
      assert.is(r!.index, index + 1, `${label}: acknowledges the new entry`);
    }
  }
});

test('§5.3: if an existing entry conflicts with a new one (same index, different terms), the follower deletes it and all that follow, and appends new entries not already in its log', () => {
  const m = voters(1, 2, 3);
  // [prevIndex, prevTerm, new entry terms, resulting log, entries to persist]
  const cases: Array<[number, number, number[], number[], number[]]> = [
    [2, 2, [3], [1, 2, 3], [3]],
    [2, 2, [3, 4], [1, 2, 3, 4], [3, 4]],
    [1, 1, [3, 4], [1, 3, 4], [2, 3]],
    [1, 1, [3], [1, 3], [2]],
    [1, 1, [2], [1, 2], []],
    [1, 1, [2, 4], [1, 2, 4], [3]],
  ];
  for (const [prevIndex, prevTerm, terms, want, persisted] of cases) {
    const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1, 2], { term: 2, commit: 1 }));
    h.process();
    n.raft.step(msg.append(2, 1, 4, prevIndex, prevTerm, entriesWithTerms(terms, prevIndex + 1), 1));
    const rd = n.raft.ready();
    const label = `prev (${prevIndex}, ${prevTerm}) + ${JSON.stringify(terms)}`;
    assert.equal(rd.entries.map((e) => e.index), persisted, `${label}: only the new entries are written`);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.hardState = rd.hardState;
    n.raft.advance(rd);
    assert.equal(h.logTerms(1), want, label);
    assert.equal(h.storedTerms(1), want, `${label}: storage agrees`);
  }
});

test('§5.5: AppendEntries is idempotent — entries already present in the follower’s log are ignored', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, PLAIN);
  h.process();
  const req = msg.append(2, 1, 2, 1, 1, entriesWithTerms([2, 2], 2), 1);
  n.raft.step(req);
  h.process();
  h.take();
  n.raft.step(req);
  const rd = n.raft.ready();
  assert.is(rd.entries.length, 0, 'nothing is written again');
  const acks = rd.messages.filter((x) => x.type === 'appendResp');
  assert.equal(acks.map((a) => a.type === 'appendResp' && [a.reject, a.index]), [[false, 3]]);
  n.raft.advance(rd);
  assert.equal(h.logTerms(1), [1, 2, 2]);
});

test('Figure 2 (AppendEntries 5): if leaderCommit > commitIndex, the follower sets commitIndex = min(leaderCommit, index of the last new entry), never past what the request matched', () => {
  const m = voters(1, 2, 3);
  // The follower holds a stale tail of term 2 at 3–4 that the term-3 leader never wrote there.
  // [prevIndex, prevTerm, new entry terms, leaderCommit, commit wanted]
  const cases: Array<[number, number, number[], number, number]> = [
    [2, 1, [], 4, 2], // a probe that matched at 2: the stale 3–4 are not the leader's entries
    [1, 1, [1], 4, 2], // entries already present end at 2: the same
    [2, 1, [3], 4, 3], // the conflicting tail is replaced; commit stops at the new entry
    [2, 1, [3, 3], 3, 3], // leaderCommit is lower than the last new entry
    [2, 1, [], 1, 1], // leaderCommit is no news
  ];
  for (const [prevIndex, prevTerm, terms, leaderCommit, want] of cases) {
    const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1, 1, 2, 2], { term: 2, commit: 1 }));
    h.process();
    n.raft.step(msg.append(2, 1, 3, prevIndex, prevTerm, entriesWithTerms(terms, prevIndex + 1), leaderCommit));
    const label = `prev (${prevIndex}, ${prevTerm}) + ${JSON.stringify(terms)}, leaderCommit ${leaderCommit}`;
    assert.is(n.raft.log.committed, want, label);
    h.process();
    assert.ok(n.applied.every((e) => e.index <= want), `${label}: nothing past ${want} is applied`);
  }
});

test('§5.3: a follower acknowledges AppendEntries only after the entries are durable (reply in messages, not earlyMessages)', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, PLAIN);
  h.process();
  n.raft.step(msg.append(2, 1, 2, 1, 1, entriesWithTerms([2], 2), 1));
  const rd = n.raft.ready();
  assert.equal(rd.entries.map((e) => e.index), [2]);
  assert.is(rd.earlyMessages.length, 0);
  assert.ok(rd.messages.some((x) => x.type === 'appendResp' && !x.reject && x.index === 2));
});

test('§5.3: a follower acknowledges entries only once durable also in a term it already knows — one that crashes during the write has acknowledged nothing it lost', () => {
  const { h, n } = isolated(voters(1, 2, 3), 2, PLAIN);
  // Leader 1 of term 2: the first append teaches node 2 the term (and is persisted and acknowledged).
  n.raft.step(msg.append(1, 2, 2, 1, 1, entriesWithTerms([2], 2), 1));
  h.process();
  assert.is(n.storage.hardState.term, 2);
  // A second append in the same term; node 2 crashes while writing it.
  n.raft.step(msg.append(1, 2, 2, 2, 2, entriesWithTerms([2], 3), 1));
  const r = h.crashDuringWrite(2);
  assert.is(r.storage.lastIndex(), 2, 'index 3 never reached the disk');
  const acks = h.sentOf('appendResp', { from: 2 }).filter((a) => !a.reject);
  assert.equal(acks.map((a) => a.index), [2], 'only the durable index 2 was ever acknowledged');
});

// ---------------------------------------------------------------------------------------------
// Figure 7: the leader brings divergent followers in line

const FIG7_LEADER = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
const FIG7: Record<string, { log: number[]; what: string }> = {
  a: { log: [1, 1, 1, 4, 4, 5, 5, 6, 6], what: 'missing one entry' },
  b: { log: [1, 1, 1, 4], what: 'missing many entries' },
  c: { log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], what: 'an extra uncommitted entry' },
  d: { log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], what: 'extra uncommitted entries of a later term' },
  e: { log: [1, 1, 1, 4, 4, 4, 4], what: 'missing entries and extra uncommitted entries' },
  f: { log: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], what: 'a long divergent suffix of terms 2 and 3' },
};

/** The Figure 7 leader (node 1, elected for term 8) and follower `log` (node 2); node 3 holds the leader's log. */
function figure7(log: number[]) {
  const m = voters(1, 2, 3);
  const h = new Harness(m, PLAIN);
  h.add(1, storageWithLog(m, FIG7_LEADER, { term: 7, commit: 1 }));
  h.add(2, storageWithLog(m, log, { term: 7, commit: 1 }));
  h.add(3, storageWithLog(m, FIG7_LEADER, { term: 7, commit: 1 }));
  h.node(1).raft.campaign();
  h.deliverAll();
  assert.is(h.node(1).raft.role, 'leader');
  assert.is(h.node(1).raft.term, 8);
  const rejects = h.sentOf('appendResp', { from: 2, to: 1 }).filter((r) => r.reject).length;
  for (let i = 0; i < 3; i++) {
    h.tickAll();
    h.deliverAll();
  }
  return { h, rejects };
}

for (const [name, { log, what }] of Object.entries(FIG7)) {
  test(`§5.3 Figure 7 (${name}): the leader forces a follower with ${what} to duplicate its own log`, () => {
    const { h } = figure7(log);
    const want = [...FIG7_LEADER, 8];
    assert.equal(h.storedTerms(1), want);
    assert.equal(h.storedTerms(2), want, 'the follower’s durable log equals the leader’s');
    assert.is(h.node(2).raft.log.committed, want.length, 'and it learns that all of it is committed');
  });
}

test('§5.3 (optimization): with the conflict hint the leader needs about one rejected AppendEntries per conflicting term, not one per entry', () => {
  for (const [name, { log }] of Object.entries(FIG7)) {
    const { rejects } = figure7(log);
    let match = 0;
    while (match < Math.min(log.length, FIG7_LEADER.length) && log[match] === FIG7_LEADER[match]) match++;
    const divergentTerms = new Set(log.slice(match)).size;
    const naive = FIG7_LEADER.length - match; // one rejection per entry walking back from the leader's last index
    assert.ok(rejects <= divergentTerms + 1, `(${name}) ${rejects} rejections for ${divergentTerms} divergent terms`);
    if (naive > 1) assert.ok(rejects < naive, `(${name}) ${rejects} rejections, no better than one per entry (${naive})`);
  }
});

test('§5.3: if packets are lost, the leader retries AppendEntries indefinitely until all followers eventually store all log entries', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(1);
  // A lost append in the middle of a stream: the next one does not match and the gap is refilled.
  h.node(1).raft.propose(enc('a'));
  h.deliverAll();
  h.node(1).raft.propose(enc('b'));
  let lost = 0;
  h.deliverAllExcept((m) => m.type === 'append' && m.to === 3 && m.entries.length > 0 && lost++ === 0);
  assert.is(lost > 0, true, 'an append to follower 3 was lost');
  h.node(1).raft.propose(enc('c'));
  h.deliverAll();
  assert.equal(h.storedTerms(3), h.storedTerms(1), 'the gap left by a lost append is refilled');
  // The tail of the stream is lost and nothing new is proposed: heartbeats alone must recover it.
  h.cut.add('1->3');
  h.node(1).raft.propose(enc('d'));
  h.node(1).raft.propose(enc('e'));
  h.deliverAll();
  h.heal();
  for (let i = 0; i < 3; i++) {
    h.tickAll();
    h.deliverAll();
  }
  assert.equal(h.storedTerms(3), h.storedTerms(1), 'a follower that lost the tail of the log catches up');
  assert.is(h.node(3).raft.log.committed, h.node(1).raft.log.committed);
});

// ---------------------------------------------------------------------------------------------
// Figure 8: committing entries from previous terms

test('§5.4.2 Figure 8: a leader never commits a log entry from a previous term by counting replicas', () => {
  const m = voters(1, 2, 3, 4, 5);
  // (c): S1 holds the term-2 entry at index 2 and is elected for term 4.
  const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1, 2], { term: 3, commit: 1 }));
  n.raft.campaign();
  h.process();
  n.raft.step(msg.voteResp(2, 1, 4));
  n.raft.step(msg.voteResp(3, 1, 4));
  h.process();
  assert.is(n.raft.role, 'leader');
  // S2 and S3 store index 2 (term 2), but not yet the leader's term-4 no-op at index 3.
  n.raft.step(msg.appendResp(2, 1, 4, 2));
  n.raft.step(msg.appendResp(3, 1, 4, 2));
  h.process();
  assert.is(n.raft.log.committed, 1, 'index 2 is on a majority (S1, S2, S3) but is of term 2: not committed');
  assert.not.ok(n.applied.some((e) => e.index === 2));
  // Once an entry of the current term is on a majority, it commits, and index 2 with it.
  n.raft.step(msg.appendResp(2, 1, 4, 3));
  n.raft.step(msg.appendResp(3, 1, 4, 3));
  h.process();
  assert.is(n.raft.log.committed, 3);
  assert.equal(n.applied.filter((e) => e.index >= 2).map((e) => [e.index, e.term]), [
    [2, 2],
    [3, 4],
  ]);
});

/** Figure 8 (c): S1 [1,2] (leader for term 4 before crashing), S2, S3 [1,2], S4 [1], S5 [1,3]; all at term 4. */
function figure8() {
  const m = voters(1, 2, 3, 4, 5);
  const h = new Harness(m, PLAIN);
  h.add(1, storageWithLog(m, [1, 2], { term: 4 }));
  h.add(2, storageWithLog(m, [1, 2], { term: 4 }));
  h.add(3, storageWithLog(m, [1, 2], { term: 4 }));
  h.add(4, storageWithLog(m, [1], { term: 4 }));
  h.add(5, storageWithLog(m, [1, 3], { term: 4 }));
  return h;
}

test('§5.4.2 Figure 8 (d): an entry of an old term stored on a majority but not committed may still be overwritten by a later leader', () => {
  const h = figure8();
  h.partition([1], [2, 3, 4, 5]); // S1 crashes
  h.node(5).raft.campaign();
  h.deliverAll();
  assert.is(h.node(5).raft.role, 'leader', 'S5’s last term (3) is later than the others’ (2): S2, S3, S4 vote for it');
  for (const id of [2, 3, 4]) assert.equal(h.storedTerms(id), [1, 3, 5], `S${id}: index 2 of term 2 replaced by term 3`);
  for (const n of h.nodes.values()) {
    assert.not.ok(n.applied.some((e) => e.index === 2 && e.term === 2), `S${n.id} never applied the overwritten entry`);
  }
});

test('§5.4.2 Figure 8 (e): once the leader commits an entry of its current term on a majority, a server lacking it can no longer be elected', () => {
  const h = figure8();
  h.partition([5], [1, 2, 3, 4]);
  h.node(1).raft.campaign();
  h.deliverAll();
  assert.is(h.node(1).raft.role, 'leader');
  const term = h.node(1).raft.term;
  assert.is(h.node(1).raft.log.committed, 3, 'the no-op of the current term commits, and index 2 with it');
  h.heal();
  h.partition([1], [2, 3, 4, 5]); // S1 crashes; S5 campaigns
  h.node(5).raft.campaign();
  h.deliverAll();
  assert.is.not(h.node(5).raft.role, 'leader');
  assert.is(h.leader()?.id, 1, 'no new leader besides the (crashed) old one');
  for (const id of [2, 3, 4]) assert.equal(h.storedTerms(id), [1, 2, term], `S${id} keeps the committed entries`);
});

test('§5.4.2 Figure 8 (c)→(d): when a leader has brought an entry of an earlier term to a majority but no entry of its own term yet, a later leader may still overwrite it — so no server ever applies it', () => {
  const m = voters(1, 2, 3, 4, 5);
  // (b): S1 led term 2 and stored index 2 on S2 only; S5 led term 3 and stored its index 2 on itself only.
  const h = new Harness(m, { ...PLAIN, maxEntriesPerMessage: 1 });
  h.add(1, storageWithLog(m, [1, 2], { term: 3 }));
  h.add(2, storageWithLog(m, [1, 2], { term: 3 }));
  h.add(3, storageWithLog(m, [1], { term: 3 }));
  h.add(4, storageWithLog(m, [1], { term: 3 }));
  h.add(5, storageWithLog(m, [1, 3], { term: 4 }));
  // (c): S5 is down; S1 is elected for term 4 and replicates index 2 to S3 and S4, but its own
  // term-4 entry (index 3) does not reach them before S1 crashes.
  h.partition([5], [1, 2, 3, 4]);
  h.node(1).raft.campaign();
  h.deliverAllExcept((x) => x.type === 'append' && x.from === 1 && (x.to === 3 || x.to === 4) && x.entries.some((e) => e.index === 3) && h.node(x.to).raft.log.lastIndex() >= 2);
  assert.is(h.node(1).raft.role, 'leader');
  assert.is(h.node(1).raft.term, 4);
  for (const id of [1, 2, 3, 4]) assert.is(h.node(id).raft.log.term(2), 2, `S${id} stores index 2 of term 2: a majority`);
  assert.equal(h.storedTerms(3), [1, 2], 'S3 lacks index 3 of term 4');
  // (d): S1 crashes; S5 (last term 3) is elected by S3, S4 (last term 2) and itself, and makes
  // every log it reaches agree with its own.
  h.heal();
  h.partition([1], [2, 3, 4, 5]);
  h.node(5).raft.campaign();
  h.deliverAll();
  assert.is(h.node(5).raft.role, 'leader');
  for (const id of [2, 3, 4]) assert.equal(h.storedTerms(id), [1, 3, 5], `S${id}: index 2 of term 2 replaced`);
  // State machine safety: every server that applied an index applied the same entry there.
  const appliedBy = new Map<number, { id: number; term: number }>();
  for (const n of h.nodes.values()) {
    for (const e of n.applied) {
      const first = appliedBy.get(e.index);
      if (!first) appliedBy.set(e.index, { id: n.id, term: e.term });
      else assert.is(e.term, first.term, `S${n.id} applied index ${e.index} of term ${e.term}, S${first.id} applied term ${first.term}`);
    }
  }
  assert.is(appliedBy.get(2)?.term, 3, 'the entry that survives at index 2 is the one applied');
});

// ---------------------------------------------------------------------------------------------
// Quorums of even size

test('§5.3: a majority of an even-sized cluster is more than half — 2 of 4 servers can neither commit nor elect a leader', () => {
  const h = new Harness(voters(1, 2, 3, 4), PLAIN);
  h.elect(1);
  const leader = h.node(1).raft;
  const committed = leader.log.committed;
  h.partition([1, 2], [3, 4]);
  const r = leader.propose(enc('x'));
  assert.ok(r.ok);
  h.deliverAll();
  assert.is(leader.log.committed, committed, 'leader + 1 follower of 4 do not commit');
  // The other half cannot elect a leader either.
  for (let i = 0; i < 60; i++) {
    h.tick(3);
    h.tick(4);
    h.deliverAll();
  }
  assert.is.not(h.node(3).raft.role, 'leader');
  assert.is.not(h.node(4).raft.role, 'leader');
  h.heal();
  for (let i = 0; i < 60; i++) {
    h.tickAll();
    h.deliverAll();
  }
  const lead = h.leader()!;
  const r2 = lead.raft.propose(enc('y'));
  assert.ok(r2.ok);
  h.deliverAll();
  assert.ok(lead.raft.log.committed >= r2.index, 'with all 4 reachable the cluster commits again');
});

test('§5.3: in a 2-server cluster both servers are needed to commit', () => {
  const h = new Harness(voters(1, 2), PLAIN);
  h.elect(1);
  const leader = h.node(1).raft;
  const committed = leader.log.committed;
  h.partition([1], [2]);
  leader.propose(enc('x'));
  h.deliverAll();
  for (let i = 0; i < 5; i++) {
    h.tick(1);
    h.deliverAll();
  }
  assert.is(leader.log.committed, committed);
  h.heal();
  h.tick(1);
  h.deliverAll();
  assert.is(leader.log.committed, committed + 1);
});

test.run();
