/**
 * Flow control, the in-flight window (etcd's inflights; thesis §10.2.1 on pipelining): a full
 * window must hold appends back, and must open again — by the follower's answers, and when those
 * answers were lost, by a heartbeat answer — or replication to the follower stalls for good.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, enc, voters } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;
/** Bytes an entry with a one-byte payload takes in the window (payload plus 24 bytes of header). */
const ENTRY_BYTES = 1 + 24;

test('flow control: appends lost while the window is full do not stall the follower — a heartbeat answer opens a slot and the leader catches it up', () => {
  const h = new Harness(voters(1, 2, 3), { ...PLAIN, maxInflightMessages: 2 });
  h.elect(1);
  const leader = h.node(1);
  const mark = h.sent.length;
  // Two appends to node 3 fill its window and are lost; a third entry waits behind them.
  for (const s of ['a', 'b', 'c']) {
    leader.raft.propose(enc(s));
    h.deliverAllExcept((m) => m.type === 'append' && m.to === 3);
  }
  assert.is(leader.raft.progressOf(3)!.state, 'replicate');
  assert.ok(leader.raft.progressOf(3)!.isPaused(), 'node 3’s window is full of lost appends');
  const lost = h.sent.slice(mark).filter((m) => m.type === 'append' && m.to === 3 && m.entries.length > 0);
  assert.is(lost.length, 2, 'a window of 2 lets exactly 2 appends out');
  const last = leader.raft.log.lastIndex();
  assert.ok(h.node(3).raft.log.lastIndex() < last);
  // Nothing else is lost from now on: a few heartbeat rounds must bring node 3 back in sync.
  for (let i = 0; i < 5 && h.node(3).raft.log.lastIndex() < last; i++) {
    h.tick(1);
    h.deliverAll();
  }
  assert.is(h.node(3).raft.log.lastIndex(), last, 'node 3 caught up after heartbeats');
  assert.equal(h.logTerms(3), h.logTerms(1));
  assert.is(leader.raft.progressOf(3)!.match, last);
});

test('flow control: the window is bounded by bytes too — with maxInflightBytes reached, further appends wait', () => {
  const h = new Harness(voters(1, 2, 3), { ...PLAIN, maxInflightMessages: 100, maxInflightBytes: 2 * ENTRY_BYTES });
  h.elect(1);
  const leader = h.node(1);
  h.cut.add('3->1'); // node 3's answers are lost: nothing frees its window
  const before = h.sentOf('append', { from: 1, to: 3 }).filter((m) => m.entries.length > 0).length;
  for (const s of ['a', 'b', 'c', 'd']) {
    leader.raft.propose(enc(s));
    h.deliverAll();
  }
  const carrying = h.sentOf('append', { from: 1, to: 3 }).filter((m) => m.entries.length > 0).slice(before);
  assert.equal(
    carrying.map((m) => m.entries.length),
    [1, 1],
    'two one-entry appends fill a window of two entries’ bytes; the others wait',
  );
  assert.ok(leader.raft.progressOf(3)!.isPaused());
});

test('flow control: acknowledged appends give their bytes back — a byte-bounded window never closes for good while answers arrive', () => {
  const h = new Harness(voters(1, 2, 3), { ...PLAIN, maxInflightMessages: 100, maxInflightBytes: 2 * ENTRY_BYTES });
  h.elect(1);
  const leader = h.node(1);
  const props = ['a', 'b', 'c', 'd', 'e', 'f'];
  for (const s of props) {
    leader.raft.propose(enc(s));
    h.deliverAll();
  }
  const last = leader.raft.log.lastIndex();
  assert.is(leader.raft.log.committed, last, 'every entry committed without waiting for a heartbeat');
  for (const id of [2, 3]) {
    assert.is(h.node(id).raft.log.lastIndex(), last, `node ${id} holds every entry`);
    assert.is(leader.raft.progressOf(id)!.inflightCount(), 0, `nothing in flight to node ${id}`);
    assert.not.ok(leader.raft.progressOf(id)!.isPaused(), `node ${id}'s window is open`);
  }
});

test('flow control: a follower that falls back to probing and then replicates again gets its whole window back (slots of appends sent before the fallback are forgotten)', () => {
  const h = new Harness(voters(1, 2, 3), { ...PLAIN, maxInflightMessages: 2 });
  h.elect(1);
  const leader = h.node(1);
  for (const s of ['a', 'b', 'c']) {
    leader.raft.propose(enc(s));
    h.deliverAllExcept((m) => m.type === 'append' && m.to === 3);
  }
  // A heartbeat answer opens a slot; the append it sends is rejected (node 3 lacks a and b), node 3
  // is probed from its match index and accepts: it is in sync and replicating again.
  h.tick(1);
  h.deliverAll();
  const last = leader.raft.log.lastIndex();
  assert.is(leader.raft.progressOf(3)!.match, last);
  assert.is(leader.raft.progressOf(3)!.state, 'replicate');
  assert.is(leader.raft.progressOf(3)!.inflightCount(), 0, 'no slot is held by an append from before the fallback');
  leader.raft.propose(enc('d'));
  h.process();
  const sent = h.take('append').filter((m) => m.to === 3);
  assert.equal(sent.map((m) => m.entries.map((e) => e.index)), [[last + 1]], 'the next entry goes out at once, not at the next heartbeat');
});

test.run();
