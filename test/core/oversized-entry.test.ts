/**
 * §5.3 with a message size limit (maxBytesPerMessage, as etcd's MaxSizePerMsg): the limit bounds
 * how many entries an append carries, never whether an entry can be sent at all — an entry larger
 * than the limit goes alone, at once, and commits, or replication would stall on it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, enc, voters } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false, maxBytesPerMessage: 64 } as const;

test('§5.3: an entry larger than maxBytesPerMessage is sent alone in one append as soon as it is proposed, and commits', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(1);
  const leader = h.node(1);
  const big = enc('x'.repeat(500));
  const r = leader.raft.propose(big);
  assert.ok(r.ok);
  const index = leader.raft.log.lastIndex();
  h.process();
  const appends = h.take('append');
  assert.equal(appends.map((a) => a.to).sort(), [2, 3], 'an append to each follower without waiting for a heartbeat');
  for (const a of appends) assert.equal(a.entries.map((e) => e.index), [index], 'carrying the big entry alone');
  h.queue.push(...appends);
  h.deliverAll();
  assert.is(leader.raft.log.committed, index);
  for (const id of [1, 2, 3]) assert.ok(h.node(id).applied.some((e) => e.index === index), `node ${id} applied it`);
});

test('§5.3: entries behind an oversized one follow in later appends of at most the limit (at least one entry each)', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(1);
  const leader = h.node(1);
  leader.raft.propose(enc('y'.repeat(200)));
  leader.raft.propose(enc('a'));
  leader.raft.propose(enc('z'.repeat(200)));
  h.deliverAll();
  const last = leader.raft.log.lastIndex();
  assert.is(leader.raft.log.committed, last);
  for (const id of [2, 3]) assert.equal(h.storedTerms(id), h.storedTerms(1), `node ${id} holds every entry`);
  assert.ok(h.sentOf('append', { from: 1 }).every((a) => a.entries.length <= 1 || a.entries.reduce((s, e) => s + e.data.byteLength + 24, 0) <= 64));
});

test.run();
