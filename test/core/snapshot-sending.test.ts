// From a mutation review of src/core/raft.ts.
/**
 * Snapshots sent in chunks (Raft paper §7, Figure 13; the follower's progress in snapshot state as
 * in etcd-io/raft): the leader resumes from the offset the follower asks for rather than starting
 * over; once every byte was acknowledged it sends nothing more while the follower checks the file;
 * a report that a snapshot is unavailable restarts only a transfer of that very snapshot, and a
 * late one is harmless; a chunk whose bytes do not match its declared length is refused; a
 * candidate that receives InstallSnapshot from a leader of its term recognises it (Figure 2: "if
 * AppendEntries RPC received from new leader: convert to follower", InstallSnapshot likewise), and
 * a chunk from the leader counts as hearing from it for leader stickiness (thesis §4.2.3).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotMeta, SnapshotRequest } from '../../src/core/index.js';
import { Harness, enc, isolated, laggingFollower, msg, storageWithLog, voters } from '../support/raft-harness.js';

const SNAPSHOT = enc('SNAPSHOT:0123456789abcdef'); // 25 bytes
const CHUNK = 4;

const offsetsTo3 = (h: Harness): number[] => h.sentOf('snapshot', { from: 1, to: 3 }).map((c) => c.offset);

/** A chunk from leader 2 to node 1. */
function chunk(term: number, meta: SnapshotMeta, offset: number, data: Uint8Array, length = data.length): SnapshotRequest {
  return { type: 'snapshot', from: 2, to: 1, term, meta, offset, length, data, done: offset + length >= meta.size };
}

test('Figure 13: an answer naming another offset than the leader expects (a late, reordered one) makes it resume from that offset, not start over', () => {
  const { h, leader, follower, index } = laggingFollower(SNAPSHOT, CHUNK);
  h.tick(1);
  let injected = false;
  h.deliverAllExcept((m) => {
    if (!injected && m.type === 'snapshot' && m.offset === 3 * CHUNK) {
      injected = true;
      // The follower's answer to the first chunk, delivered again late.
      h.queue.push({ type: 'snapshotResp', from: 3, to: 1, term: leader.raft.term, snapshotIndex: index, nextOffset: CHUNK });
    }
    return false;
  });
  assert.ok(injected);
  const offsets = offsetsTo3(h);
  assert.is(offsets.filter((o) => o === 0).length, 1, `the transfer never started over (offsets: ${offsets.join(',')})`);
  assert.is(follower.storage.snapshot().index, index);
  assert.equal(follower.snapshotBytes.get(index), SNAPSHOT);
});

test('Figure 13 step 5, checked: while the follower checks the file the leader does not keep sending empty chunks past its end', () => {
  const { h, leader, follower, index } = laggingFollower(SNAPSHOT, CHUNK);
  follower.checkSnapshot = () => 'later';
  h.tick(1);
  h.deliverAll();
  const sent = offsetsTo3(h).length;
  assert.is(sent, Math.ceil(SNAPSHOT.length / CHUNK));
  h.tick(1); // a heartbeat round: the last chunk may be sent once more; the follower answers with the full size
  h.deliverAll(1000);
  h.tick(1);
  h.deliverAll(1000);
  assert.ok(offsetsTo3(h).length <= sent + 2, `chunks sent while checking: ${offsetsTo3(h).slice(sent).join(',')}`);
  follower.raft.snapshotChecked(leader.storage.snapshot(), true);
  h.deliverAll();
  assert.is(follower.storage.snapshot().index, index, 'installed once the check passed');
});

test('§7: a report that some other snapshot is unavailable does not restart a transfer under way', () => {
  const { h, leader, follower, index } = laggingFollower(SNAPSHOT, CHUNK);
  h.tick(1);
  let reported = false;
  h.deliverAllExcept((m) => {
    if (!reported && m.type === 'snapshot' && m.offset === 2 * CHUNK) {
      reported = true;
      leader.raft.snapshotUnavailable(3, { ...m.meta, index: m.meta.index - 1, size: 3 });
    }
    return false;
  });
  assert.ok(reported);
  const offsets = offsetsTo3(h);
  assert.is(offsets.filter((o) => o === 0).length, 1, `not restarted (offsets: ${offsets.join(',')})`);
  assert.is(follower.storage.snapshot().index, index);
});

test('§7: a report that the snapshot is unavailable arriving after the transfer finished changes nothing', () => {
  const { h, leader, follower, index } = laggingFollower(SNAPSHOT, CHUNK);
  h.tick(1);
  h.deliverAll();
  assert.is(follower.storage.snapshot().index, index);
  const sent = offsetsTo3(h).length;
  leader.raft.snapshotUnavailable(3, leader.storage.snapshot());
  h.deliverAll();
  assert.is(offsetsTo3(h).length, sent);
  assert.is(leader.raft.role, 'leader');
});

test('Figure 13 steps 2–4: a chunk whose data is shorter than its declared length is not stored; the follower asks for the same offset again', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1, 1], { term: 2 }));
  const meta: SnapshotMeta = { index: 5, term: 2, membership: m, size: 8 };
  n.raft.step(chunk(2, meta, 0, enc('ab'), 4));
  h.process();
  assert.is(n.snapshotBytes.get(5), undefined, 'nothing stored');
  assert.equal(h.take('snapshotResp').map((r) => r.nextOffset), [0]);
  n.raft.step(chunk(2, meta, 0, enc('abcd')));
  h.process();
  assert.equal(n.snapshotBytes.get(5), enc('abcd'));
  assert.equal(h.take('snapshotResp').map((r) => r.nextOffset), [4]);
});

test('Figure 2 / §5.2: a candidate that receives InstallSnapshot from a leader of its term returns to follower and takes the chunk', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false, preVote: false });
  n.raft.campaign();
  h.process();
  assert.is(n.raft.role, 'candidate');
  const term = n.raft.term;
  h.take();
  n.raft.step(chunk(term, { index: 5, term, membership: m, size: 8 }, 0, enc('abcd')));
  h.process();
  assert.is(n.raft.role, 'follower');
  assert.is(n.raft.lead, 2);
  assert.equal(h.take('snapshotResp').map((r) => r.nextOffset), [4]);
});

test('thesis §4.2.3: a follower that just received a snapshot chunk from its leader ignores a vote request of a higher term', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, {}, storageWithLog(m, [1, 1], { term: 2 }));
  h.leaveQuietPeriod();
  n.raft.step(chunk(2, { index: 5, term: 2, membership: m, size: 8 }, 0, enc('abcd')));
  h.process();
  h.take();
  n.raft.step(msg.vote(3, 1, 3, { lastIndex: 10, lastTerm: 2 }));
  h.process();
  assert.is(n.raft.term, 2, 'term unchanged');
  assert.is(n.raft.lead, 2);
  assert.equal(h.take('voteResp'), [], 'no vote granted');
});

test.run();
