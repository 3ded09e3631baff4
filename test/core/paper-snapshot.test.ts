/**
 * Paper scenarios: log compaction and InstallSnapshot (Raft paper §7, Figure 13), checked on the
 * pure core: chunked transfer, resumption after a lost chunk, and the follower's install rules.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotMeta, SnapshotRequest } from '../../src/core/index.js';
import { Harness, enc, isolated, msg, storageWithLog, laggingFollower as laggingFollowerOf, voters } from '../support/raft-harness.js';

const SNAPSHOT = enc('SNAPSHOT:0123456789abcdef'); // 25 bytes
const CHUNK = 4;

/** Node 3 lags behind leader 1's snapshot (see laggingFollower). */
const laggingFollower = () => laggingFollowerOf(SNAPSHOT, CHUNK);

const chunksTo = (h: Harness, to: number): SnapshotRequest[] => h.sentOf('snapshot', { from: 1, to });

test('§7: the leader sends a snapshot to a follower that lags behind its first log index, cut into chunks at increasing offsets', () => {
  const { h, follower, index } = laggingFollower();
  h.tick(1);
  h.deliverAll();
  const chunks = chunksTo(h, 3);
  const expected = Math.ceil(SNAPSHOT.length / CHUNK);
  assert.is(chunks.length, expected, `${SNAPSHOT.length} bytes in chunks of ${CHUNK}`);
  assert.equal(chunks.map((c) => c.offset), Array.from({ length: expected }, (_, i) => i * CHUNK));
  assert.ok(chunks.every((c) => c.length <= CHUNK && c.meta.index === index));
  assert.equal(chunks.map((c) => c.done), [...Array(expected - 1).fill(false), true], 'only the last chunk is marked done');
  assert.equal(follower.snapshotBytes.get(index), SNAPSHOT, 'the follower received exactly the bytes the leader serves');
  assert.is(follower.storage.snapshot().index, index, 'and installed the snapshot');
});

test('§7: after installing the snapshot, the follower catches up with the entries that follow it', () => {
  const { h, leader, follower, index } = laggingFollower();
  h.tick(1);
  h.deliverAll();
  const r = leader.raft.propose(enc('after'));
  assert.ok(r.ok);
  h.deliverAll();
  h.tickAll();
  h.deliverAll();
  assert.is(follower.storage.firstIndex(), index + 1);
  assert.equal(h.storedTerms(3), h.storedTerms(1), 'the follower’s log after the snapshot equals the leader’s');
  assert.is(follower.raft.log.committed, leader.raft.log.committed);
  assert.equal(
    follower.applied.filter((e) => e.index > index).map((e) => e.index),
    Array.from({ length: leader.raft.log.committed - index }, (_, i) => index + 1 + i),
    'it applies the entries after the snapshot, in order',
  );
});

test('Figure 13: a lost chunk is sent again and the transfer resumes from its offset instead of starting over', () => {
  const { h, follower, index } = laggingFollower();
  h.tick(1);
  let dropped = 0;
  h.deliverAllExcept((m) => m.type === 'snapshot' && m.offset === 2 * CHUNK && dropped++ === 0);
  assert.is(dropped, 1, 'one chunk was lost');
  assert.is(follower.storage.snapshot().index < index, true, 'the transfer stalled');
  for (let i = 0; i < 5 && follower.storage.snapshot().index !== index; i++) {
    h.tick(1);
    h.deliverAll();
  }
  assert.is(follower.storage.snapshot().index, index, 'installed after the retry');
  assert.equal(follower.snapshotBytes.get(index), SNAPSHOT);
  const offsets = chunksTo(h, 3).map((c) => c.offset);
  assert.is(offsets.filter((o) => o === 0).length, 1, `not restarted from offset 0 (offsets sent: ${offsets.join(',')})`);
  assert.is(offsets.filter((o) => o === 2 * CHUNK).length, 2, 'the lost chunk was sent twice');
});

// ---------------------------------------------------------------------------------------------
// The follower's install rules, stepped by hand

function snapshotChunk(meta: SnapshotMeta, data: Uint8Array, offset: number, done: boolean, term = 5): SnapshotRequest {
  return { type: 'snapshot', from: 2, to: 1, term, meta, offset, length: data.length, data, done };
}

const META = (index: number, term: number): SnapshotMeta => ({ index, term, membership: voters(1, 2, 3), size: 4 });

test('Figure 13 step 6: if an existing log entry has the same index and term as the snapshot’s last included entry, the follower retains the entries following it', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1, 2, 2, 3, 3], { term: 3 }));
  h.process();
  n.raft.step(snapshotChunk(META(3, 2), enc('DATA'), 0, true));
  const rd = n.raft.ready();
  assert.equal(rd.snapshotChunks.map((c) => [c.offset, c.done, c.data.length]), [[0, true, 4]], 'the chunk is stored');
  n.raft.advance(rd);
  n.raft.snapshotChecked(META(3, 2), true);
  const after = n.raft.ready();
  assert.is(after.snapshot, undefined, 'the log is not replaced');
  n.raft.advance(after);
  assert.equal(h.logTerms(1), [1, 2, 2, 3, 3], 'entries after the snapshot are kept');
  assert.is(n.raft.log.committed, 3, 'and everything the snapshot covers is committed');
  assert.ok(after.messages.some((x) => x.type === 'appendResp' && !x.reject && x.index === 3));
});

test('Figure 13 step 7: otherwise the follower discards its entire log and installs the snapshot', () => {
  const m = voters(1, 2, 3);
  for (const [terms, meta] of [
    [[1, 2, 2, 2], META(3, 4)], // conflicting entry at the snapshot's index
    [[1], META(5, 4)], // shorter log
  ] as const) {
    const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, terms, { term: 4 }));
    h.process();
    h.take();
    n.raft.step(snapshotChunk(meta, enc('DATA'), 0, true));
    h.process();
    const label = `log ${JSON.stringify(terms)}, snapshot at ${meta.index}`;
    assert.equal(n.storage.snapshot().index, meta.index, label);
    assert.is(n.storage.firstIndex(), meta.index + 1, `${label}: no entry survives`);
    assert.is(n.storage.lastIndex(), meta.index, label);
    assert.is(n.raft.log.lastIndex(), meta.index, label);
    assert.is(n.raft.log.committed, meta.index, label);
    assert.equal(n.snapshotBytes.get(meta.index), enc('DATA'), label);
    assert.ok(h.take('appendResp').some((r) => !r.reject && r.index === meta.index), `${label}: acknowledged`);
  }
});

test('thesis §10.2.1 after Figure 13 step 7: a follower that discarded a longer log for a snapshot counts itself only up to the snapshot; as leader it does not commit its next entry before that entry is durable here', () => {
  const m = voters(1, 2, 3);
  // Entries 2–6 of term 2 on disk; the leader's snapshot at 3 (term 4) conflicts with them.
  const { h, n } = isolated(m, 1, { checkQuorum: false, preVote: false }, storageWithLog(m, [1, 2, 2, 2, 2, 2], { term: 4 }));
  h.process();
  h.take();
  n.raft.step(snapshotChunk(META(3, 4), enc('DATA'), 0, true));
  h.process();
  assert.is(n.raft.log.lastIndex(), 3, 'the old entries 4–6 are gone');
  // Elected in term 6, it appends its no-op at 4; node 2 acknowledges it before our write of it lands.
  n.raft.campaign();
  h.process();
  const term = n.raft.term;
  n.raft.step(msg.voteResp(2, 1, term));
  assert.is(n.raft.role, 'leader');
  const noop = n.raft.log.lastIndex();
  assert.is(noop, 4);
  n.raft.step(msg.appendResp(2, 1, term, noop));
  assert.is(n.raft.log.committed, 3, 'not committed on node 2 alone: the leader\'s own copy is not durable yet (it counted its discarded entry 4)');
  h.process();
  assert.is(n.raft.log.committed, noop, 'committed once durable here too');
});

test('Figure 13 steps 2–5: chunks are written at their offset; a chunk at an unexpected offset is refused and the follower asks for the offset it expects', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1], { term: 4 }));
  h.process();
  h.take();
  const meta: SnapshotMeta = { index: 6, term: 4, membership: m, size: 8 };
  n.raft.step(snapshotChunk(meta, enc('ABCD'), 0, false));
  h.process();
  n.raft.step(snapshotChunk(meta, enc('XXXX'), 8, true)); // skips a chunk
  h.process();
  assert.equal(h.take('snapshotResp').map((r) => r.nextOffset), [4, 4]);
  assert.is(n.storage.snapshot().index, 0, 'nothing installed from an incomplete transfer');
  n.raft.step(snapshotChunk(meta, enc('EFGH'), 4, true));
  h.process();
  assert.equal(n.snapshotBytes.get(6), enc('ABCDEFGH'));
  assert.is(n.storage.snapshot().index, 6);
});

test('Figure 13 step 1: a snapshot from a leader with a stale term is not installed', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1, 2], { term: 6 }));
  h.process();
  n.raft.step(snapshotChunk(META(5, 4), enc('DATA'), 0, true, 5));
  h.process();
  assert.is(n.storage.snapshot().index, 0);
  assert.equal(h.logTerms(1), [1, 2]);
  assert.is(n.snapshotBytes.size, 0);
  assert.is(n.raft.term, 6);
});

test('§7: a snapshot that does not go beyond the follower’s commit index is not installed (the follower reports its commit index)', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1, 2, 2, 2], { term: 2, commit: 4 }));
  h.process();
  h.take();
  n.raft.step(snapshotChunk(META(3, 2), enc('DATA'), 0, true));
  h.process();
  assert.is(n.storage.snapshot().index, 0);
  assert.equal(h.logTerms(1), [1, 2, 2, 2]);
  assert.ok(h.take('appendResp').some((r) => !r.reject && r.index === 4));
});

// ---------------------------------------------------------------------------------------------
// The driver checks the whole file before the snapshot may replace the log

test('Figure 13 step 5, checked: a snapshot whose file fails the check is not installed; the follower keeps its log and the leader sends the snapshot again from offset 0', () => {
  const { h, follower, index } = laggingFollower();
  const before = h.storedTerms(3);
  let checks = 0;
  const atSecondCheck: Array<{ snapshot: number; terms: number[] }> = [];
  follower.checkSnapshot = (meta, bytes) => {
    assert.is(meta.index, index);
    assert.equal(bytes, SNAPSHOT, 'the check sees the bytes received');
    if (++checks === 1) return false; // the first transfer arrives corrupt
    atSecondCheck.push({ snapshot: follower.storage.snapshot().index, terms: h.storedTerms(3) });
    return true;
  };
  h.tick(1);
  h.deliverAll();
  assert.equal(atSecondCheck, [{ snapshot: 0, terms: before }], 'the failed check installed nothing and kept the log');
  assert.ok(h.sentOf('snapshotResp', { from: 3, to: 1 }).some((r) => r.nextOffset === 0 && r.snapshotIndex === index), 'the follower asked for offset 0');
  assert.is(checks, 2);
  assert.is(follower.storage.snapshot().index, index, 'the second transfer is installed');
  const offsets = chunksTo(h, 3).map((c) => c.offset);
  assert.is(offsets.filter((o) => o === 0).length, 2, `sent twice from offset 0 (offsets: ${offsets.join(',')})`);
});

test('Figure 13 step 5, checked: the follower acknowledges the snapshot only once the check passed', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1], { term: 4 }));
  h.process();
  h.take();
  n.raft.step(snapshotChunk(META(5, 4), enc('DATA'), 0, true));
  const rd = n.raft.ready();
  assert.is(rd.snapshot, undefined, 'not taken before the check');
  assert.equal(rd.messages.concat(rd.earlyMessages).filter((x) => x.type === 'appendResp'), [], 'not acknowledged before the check');
  n.raft.advance(rd);
  assert.is(n.raft.log.lastIndex(), 1, 'the log is unchanged while the file is checked');
  n.raft.snapshotChecked(META(5, 4), true);
  h.process();
  assert.is(n.storage.snapshot().index, 5);
  assert.ok(h.take('appendResp').some((r) => !r.reject && r.index === 5 && r.to === 2), 'acknowledged to the leader after the check');
});

/**
 * Node 1: a follower in term 4 with a one-entry log, stepped the whole of a 4-byte snapshot at
 * index 5 (its only chunk), whose check the test reports by hand.
 */
function followerWithWholeSnapshot() {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1], { term: 4 }));
  n.checkSnapshot = () => 'later';
  h.process();
  h.take();
  n.raft.step(snapshotChunk(META(5, 4), enc('DATA'), 0, true));
  return { h, n };
}

test('Figure 13 step 5, checked: the last chunk sent again while the check runs is answered with the offset reached and not stored twice', () => {
  const { h, n } = followerWithWholeSnapshot();
  h.process();
  n.raft.step(snapshotChunk(META(5, 4), enc('DATA'), 0, true)); // the leader's resend at a heartbeat round
  const rd = n.raft.ready();
  assert.equal(rd.snapshotChunks, [], 'the resend is not stored');
  assert.equal(
    rd.messages.concat(rd.earlyMessages).filter((x) => x.type === 'snapshotResp').map((x) => x.type === 'snapshotResp' && x.nextOffset),
    [4],
    'answered with the offset reached',
  );
  n.raft.advance(rd);
});

test('Figure 13 step 5, checked: a check that ends in a later term still takes the snapshot (it holds committed state) and acknowledges it to the leader of that term', () => {
  const { h, n } = followerWithWholeSnapshot();
  h.process();
  n.raft.step({ type: 'heartbeat', from: 3, to: 1, term: 6, commit: 0, round: 1 });
  h.process();
  h.take();
  n.raft.snapshotChecked(META(5, 4), true);
  h.process();
  assert.is(n.storage.snapshot().index, 5, 'installed');
  assert.equal(h.take('appendResp').filter((r) => r.index === 5).map((r) => [r.to, r.term, r.reject]), [[3, 6, false]], 'acknowledged to the new leader');
});

test('Figure 13 step 5, checked: a check that ends while the node campaigns is dropped; whoever wins sends what it needs', () => {
  const { h, n } = followerWithWholeSnapshot();
  h.process();
  n.raft.campaign();
  h.process();
  assert.is.not(n.raft.softState().role, 'follower');
  n.raft.snapshotChecked(META(5, 4), true);
  h.process();
  assert.is(n.storage.snapshot().index, 0, 'not installed');
  assert.equal(h.logTerms(1), [1]);
  assert.equal(h.take('appendResp').filter((r) => r.index === 5), [], 'not acknowledged');
});

test('Figure 13 step 5, checked: a check reported before the last chunk left in a Ready is ignored (the driver cannot have stored it)', () => {
  const { h, n } = followerWithWholeSnapshot();
  n.raft.snapshotChecked(META(5, 4), true); // too early: ignored
  h.process();
  assert.is(n.storage.snapshot().index, 0, 'not taken by the early report');
  n.raft.snapshotChecked(META(5, 4), true);
  h.process();
  assert.is(n.storage.snapshot().index, 5, 'taken once reported after the chunk was handed out');
});

test('§7: a transfer under way keeps to its snapshot when the leader takes a newer one (restarting at each new snapshot, a transfer longer than the snapshot interval never finished)', () => {
  const { h, leader, follower, index } = laggingFollower();
  h.tick(1);
  const newer = enc('NEWER-SNAPSHOT:0123456789abcdef');
  let newerAt = 0;
  h.deliverAllExcept((m) => {
    if (m.type !== 'snapshot' || m.offset !== 2 * CHUNK || newerAt > 0) return false;
    // Mid-transfer, the leader snapshots again at its applied index and compacts behind it.
    newerAt = leader.raft.log.applied;
    leader.snapshotBytes.set(newerAt, newer);
    const meta = leader.raft.snapshotMetaAt(newerAt, newer.length);
    leader.storage.compact(meta);
    leader.raft.compacted(meta);
    return false; // this chunk arrives: the transfer is under way
  });
  assert.ok(newerAt > index, 'a newer snapshot was taken during the transfer');
  const first = chunksTo(h, 3).filter((c) => c.meta.index === index);
  assert.equal(first.filter((c) => c.offset === 0).length, 1, 'the first transfer never started over');
  assert.ok(first.some((c) => c.done), 'the first transfer was sent to its end');
  for (let i = 0; i < 5 && follower.storage.snapshot().index !== newerAt; i++) {
    h.tick(1);
    h.deliverAll();
  }
  assert.is(follower.storage.snapshot().index, newerAt, 'then the newer one, which the log now starts after, followed');
  assert.equal(follower.snapshotBytes.get(newerAt), newer);
});

test('§7: a transfer of a snapshot the driver reports unavailable starts again with the latest; one of the latest is not restarted', () => {
  const { h, leader, follower, index } = laggingFollower();
  h.tick(1);
  h.deliverAllExcept((m) => m.type === 'snapshot' && m.offset === 2 * CHUNK); // the transfer stalls at its third chunk
  const stalled = chunksTo(h, 3).length;
  leader.raft.snapshotUnavailable(3, leader.storage.snapshot()); // the latest: nothing changes
  h.deliverAll();
  assert.is(chunksTo(h, 3).length, stalled, 'no chunk sent for a report about the latest snapshot');
  const newer = enc('NEWER-SNAPSHOT:0123456789abcdef');
  const newerAt = leader.raft.log.applied;
  leader.snapshotBytes.set(newerAt, newer);
  const meta = leader.raft.snapshotMetaAt(newerAt, newer.length);
  const old = leader.storage.snapshot();
  leader.storage.compact(meta);
  leader.raft.compacted(meta);
  leader.raft.snapshotUnavailable(3, old);
  h.deliverAll();
  const restarted = chunksTo(h, 3).slice(stalled);
  assert.is(restarted[0]?.meta.index, newerAt, 'the next chunk is of the latest snapshot');
  assert.is(restarted[0]?.offset, 0, 'from its start');
  assert.is(follower.storage.snapshot().index, newerAt);
  assert.ok(index < newerAt);
});

test('§7: a snapshot the leader replaced at the same index (a corrupt file written again, another size) is sent from offset 0 with its new size once the driver reports the old one unavailable', () => {
  const { h, leader, follower, index } = laggingFollower();
  h.tick(1);
  let replaced = false;
  h.deliverAllExcept((m) => {
    if (m.type !== 'snapshot' || m.offset !== 2 * CHUNK || replaced) return false;
    // The leader found its file corrupt and wrote the snapshot again: same index, 3 bytes more.
    replaced = true;
    const bytes = enc('SNAPSHOT:0123456789abcdef+++');
    leader.snapshotBytes.set(index, bytes);
    const meta = leader.raft.snapshotMetaAt(index, bytes.length);
    leader.storage.compact(meta);
    leader.raft.compacted(meta);
    // The driver cannot read the old file for the next chunk: it says so (Node: readChunk 'gone').
    leader.raft.snapshotUnavailable(3, m.meta);
    return true;
  });
  for (let i = 0; i < 5 && follower.storage.snapshot().index !== index; i++) {
    h.tick(1);
    h.deliverAll();
  }
  assert.is(follower.storage.snapshot().index, index);
  assert.is(follower.storage.snapshot().size, SNAPSHOT.length + 3, 'the new file was installed');
  assert.equal(follower.snapshotBytes.get(index), enc('SNAPSHOT:0123456789abcdef+++'));
  const sizes = new Set(chunksTo(h, 3).filter((c) => c.offset === 0).map((c) => c.meta.size));
  assert.equal([...sizes], [SNAPSHOT.length, SNAPSHOT.length + 3], 'restarted from 0 with the new size');
});

test.run();
