// From a mutation review of src/core/raft.ts.
/**
 * Term handling with PreVote and CheckQuorum (Raft paper §5.1 and Figure 2; thesis §9.6, §6.2,
 * §4.2.3; etcd-io/raft `Step`):
 * - a server that receives a request or response of a higher term, of any type, adopts the term
 *   and a leader steps down (§5.1);
 * - a stale leader's append or heartbeat is answered with the current term when either extension
 *   is on (a node that ignores a stale leader's traffic must still tell it to step down);
 * - a pre-vote request of a lower term is refused with the current term (etcd: "the cluster may
 *   deadlock if we drop messages with a lower term"), and a refused pre-vote carries the voter's
 *   own term, never the term asked for, so the pre-candidate's term does not grow (§9.6);
 * - with CheckQuorum a leader ignores a vote request of a higher term (§4.2.3), and counts every
 *   follower as heard from at its election, so its first appends get exactly one election timeout
 *   to be answered (§6.2);
 * - a ReadIndex request reaching a node that does not lead is refused at once, so the asking node
 *   drops the read instead of waiting it out (§6.4).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { Harness, electedLeader, isolated, msg, storageWithLog, voters } from '../support/raft-harness.js';

const ET = 10;

for (const opts of [{ checkQuorum: true, preVote: false }, { checkQuorum: false, preVote: true }]) {
  test(`§5.1 / etcd: a stale append and a stale heartbeat are refused with the current term (checkQuorum ${opts.checkQuorum}, preVote ${opts.preVote})`, () => {
    const m = voters(1, 2, 3);
    const { h, n } = isolated(m, 1, opts, storageWithLog(m, [1, 1], { term: 3, commit: 1 }));
    h.take();
    n.raft.step(msg.append(2, 1, 2, 2, 1, [], 2));
    n.raft.step(msg.heartbeat(2, 1, 2, 1));
    h.process();
    assert.equal(h.take('appendResp').map((r) => [r.to, r.term, r.reject]), [[2, 3, true], [2, 3, true]]);
    assert.is(n.raft.term, 3);
  });
}

test('§9.6 / etcd: a pre-vote request of a lower term is refused with the current term (from which the pre-candidate learns the term)', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, {}, storageWithLog(m, [1, 1], { term: 5 }));
  h.leaveQuietPeriod();
  h.take();
  n.raft.step(msg.vote(2, 1, 3, { lastIndex: 9, lastTerm: 2, preVote: true }));
  h.process();
  assert.equal(h.take('voteResp').map((r) => [r.to, r.term, r.preVote, r.reject]), [[2, 5, true, true]]);
  assert.is(n.raft.term, 5);
});

test('§6.2 CheckQuorum: a new leader whose appends are not answered yet stays leader for an election timeout', () => {
  const h = new Harness(voters(1, 2, 3));
  const leader = h.electUncommitted(1);
  h.queue = []; // nothing the new leader sends is answered
  for (let i = 0; i < ET - 1; i++) h.tick(1);
  assert.is(leader.raft.role, 'leader', `still leading after ${ET - 1} ticks`);
  h.tick(1);
  assert.is(leader.raft.role, 'follower', 'and steps down after an election timeout without answers');
});

test('§6.4: a node that does not lead refuses a forwarded ReadIndex request at once, and the forwarding node drops the read', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(2);
  const n2 = h.node(2);
  const n3 = h.node(3);
  const term = n2.raft.term;
  // Leader 2, cut off, steps down by CheckQuorum in its term; node 3 has not noticed yet.
  h.partition([2], [1, 3]);
  for (let i = 0; i < 2 * ET && n2.raft.role === 'leader'; i++) h.tick(2);
  assert.is(n2.raft.role, 'follower');
  assert.is(n2.raft.term, term);
  assert.is(n3.raft.lead, 2);
  h.heal();
  h.queue = [];
  n3.raft.readIndex('r');
  h.process();
  const fwd = h.take('readIndex');
  assert.equal(fwd.map((m) => [m.from, m.to, m.term]), [[3, 2, term]]);
  n2.raft.step(fwd[0]!);
  h.process();
  const resp = h.take('readIndexResp');
  assert.equal(resp.map((m) => [m.to, m.index]), [[3, -1]], 'refused at once');
  n3.raft.step(resp[0]!);
  h.process();
  assert.equal(n3.droppedReads, ['r']);
  assert.equal(n3.readStates, []);
});

test('§9.6 PreVote: a voter refusing a pre-vote answers with its own term, and the refused pre-candidate keeps its term', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1, 2, 2], { term: 2 }));
  h.take();
  n.raft.step(msg.vote(3, 1, 3, { preVote: true, lastIndex: 2, lastTerm: 2 })); // a shorter log
  h.process();
  const [refusal] = h.take('voteResp');
  assert.equal(refusal && [refusal.to, refusal.term, refusal.preVote, refusal.reject], [3, 2, true, true], 'the refusal carries term 2, not the term asked for');
  // The pre-candidate's side: a refusal carrying its own term leaves it in that term.
  const c = isolated(m, 3, { checkQuorum: false }, storageWithLog(m, [1, 2], { term: 2 }));
  c.n.raft.campaign();
  c.h.process();
  assert.is(c.n.raft.role, 'preCandidate');
  c.n.raft.step({ ...refusal!, from: 1, to: 3 });
  c.n.raft.step(msg.voteResp(2, 3, 2, true, true));
  c.h.process();
  assert.is(c.n.raft.role, 'follower', 'it lost the pre-vote');
  assert.is(c.n.raft.term, 2, 'without raising its term');
});

test('§5.1: a leader that receives any message of a higher term — whatever its type — steps down and adopts the term', () => {
  const kinds: Array<(t: number) => Message> = [
    (t) => msg.appendResp(2, 1, t, 0, { reject: true }),
    (t) => msg.heartbeatResp(2, 1, t, 1),
    (t) => ({ type: 'snapshotResp', from: 2, to: 1, term: t, snapshotIndex: 5, nextOffset: 0 }),
    (t) => ({ type: 'readIndex', from: 2, to: 1, term: t, context: 'r', lease: false }),
    (t) => ({ type: 'readIndexResp', from: 2, to: 1, term: t, context: 'r', index: -1 }),
    (t) => msg.voteResp(2, 1, t, true, false),
  ];
  const stayed: string[] = [];
  for (const make of kinds) {
    const { h, n, term } = electedLeader(3, { preVote: false });
    const m = make(term + 2);
    n.raft.step(m);
    h.process();
    if (n.raft.role !== 'follower' || n.raft.term !== term + 2) stayed.push(`${m.type}: ${n.raft.role} in term ${n.raft.term}`);
  }
  assert.equal(stayed, []);
});

test('thesis §4.2.3 (CheckQuorum): a leader ignores a vote request of a higher term, so a disruptive server cannot depose it', () => {
  const h = new Harness(voters(1, 2, 3), { preVote: false });
  h.elect(1);
  for (let i = 0; i < 2 * ET; i++) { h.tickAll(); h.deliverAll(); }
  const leader = h.node(1);
  const term = leader.raft.term;
  h.take();
  leader.raft.step(msg.vote(3, 1, term + 1, { lastIndex: leader.raft.log.lastIndex(), lastTerm: leader.raft.log.lastTerm() }));
  h.process();
  assert.is(leader.raft.role, 'leader');
  assert.is(leader.raft.term, term);
  assert.equal(h.take('voteResp'), []);
});

test.run();
