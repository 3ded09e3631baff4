/**
 * Figure 13 with leader changes: a follower forgets a snapshot transfer whose last chunk has not
 * arrived once no leader will finish it, so that receivingSnapshot() turns false and the driver
 * deletes the partial file (found in review: it stayed until another transfer or a restart).
 * - at a new term: any leader of a later term sends its snapshot from offset 0;
 * - when appends commit past the snapshot's index: the leader no longer sends it.
 * A transfer whose bytes are all here, being checked, is not forgotten: its check ends it.
 * Mutants: forgetPartialReceive dropped from Raft.reset; the check in Raft.ready dropped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotMeta, SnapshotRequest } from '../../src/core/index.js';
import { enc, entriesWithTerms, isolated, msg, storageWithLog, voters } from '../support/raft-harness.js';

const meta = (index: number, term: number): SnapshotMeta => ({ index, term, membership: voters(1, 2, 3), size: 8 });

function chunk(m: SnapshotMeta, offset: number, term = 5): SnapshotRequest {
  const data = enc('DATA');
  return { type: 'snapshot', from: 2, to: 1, term, meta: m, offset, length: data.length, data, done: offset + data.length >= m.size };
}

/** Node 1, a follower of node 2 at term 5 with entries 1–3, holding the first half of snapshot `m`. */
function halfReceived(m: SnapshotMeta) {
  const members = voters(1, 2, 3);
  const { h, n } = isolated(members, 1, { checkQuorum: false, preVote: false }, storageWithLog(members, [1, 2, 2], { term: 5 }));
  h.process();
  h.take();
  n.raft.step(chunk(m, 0));
  h.process();
  assert.ok(n.raft.receivingSnapshot(), 'half of the snapshot received');
  return { h, n };
}

test('Figure 13: a partly received snapshot is forgotten when a leader of a later term appears', () => {
  const { n } = halfReceived(meta(10, 5));
  n.raft.step(msg.heartbeat(3, 1, 6));
  assert.is(n.raft.term, 6);
  assert.not.ok(n.raft.receivingSnapshot());
});

test('Figure 13: a partly received snapshot is forgotten when this node campaigns (a later term)', () => {
  const { n } = halfReceived(meta(10, 5));
  n.raft.campaign();
  assert.is(n.raft.role, 'candidate');
  assert.not.ok(n.raft.receivingSnapshot());
});

test('Figure 13: a partly received snapshot is forgotten once appends commit past its index', () => {
  const { h, n } = halfReceived(meta(4, 5));
  n.raft.step(msg.append(2, 1, 5, 3, 2, entriesWithTerms([5, 5], 4), 5));
  h.process();
  assert.is(n.raft.log.committed, 5);
  assert.not.ok(n.raft.receivingSnapshot());
  // A late chunk of it is answered with the commit index (the leader then sends appends).
  n.raft.step(chunk(meta(4, 5), 4));
  assert.ok(h.take('appendResp').some((r) => !r.reject && r.index === 5));
  assert.not.ok(n.raft.receivingSnapshot());
});

test('Figure 13: a snapshot whose bytes all arrived is not forgotten at a new term: its check ends it', () => {
  const { n } = halfReceived(meta(10, 5));
  n.raft.step(chunk(meta(10, 5), 4));
  n.raft.advance(n.raft.ready()); // the last chunk handed to the driver, which checks it
  n.raft.step(msg.heartbeat(3, 1, 6));
  assert.ok(n.raft.receivingSnapshot(), 'still being checked');
  n.raft.snapshotChecked(meta(10, 5), true);
  assert.not.ok(n.raft.receivingSnapshot());
});

test.run();
