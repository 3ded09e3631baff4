/**
 * Paper scenarios: linearizable reads without writing to the log (thesis §6.4 ReadIndex and
 * §6.4.1 leases), checked rule by rule on the pure core.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { electedLeader, enc, Harness, msg, voters, type HarnessNode } from '../support/raft-harness.js';

/** Node 1 elected by hand in a 3-voter cluster (CheckQuorum on); both followers acknowledged its no-op. */
const readLeader = () => electedLeader(3, { preVote: false });

const contexts = (n: HarnessNode): string[] => n.readStates.map((r) => r.context);

/** Leader 1 of a 3-node harness, with a lease from a heartbeat round sent and acknowledged at time 0. */
function leaseLeader(options = {}) {
  const h = new Harness(voters(1, 2, 3), options);
  h.elect(1);
  h.tick(1);
  h.deliverAll();
  return { h, leader: h.node(1) };
}

// ---------------------------------------------------------------------------------------------
// ReadIndex

test('§6.4 step 1: a new leader that has not yet committed an entry of its term waits until it has before serving a read', () => {
  const h = new Harness(voters(1, 2, 3));
  const leader = h.electUncommitted(1);
  const noop = leader.raft.log.lastIndex();
  assert.ok(leader.raft.log.committed < noop, 'the no-op is not committed yet');
  leader.raft.readIndex('plain');
  leader.raft.readIndex('lease', true);
  h.process();
  assert.equal(leader.readStates, []);
  assert.is(h.sentOf('heartbeat').length, 0, 'no read round before the commit either');
  h.deliverAll();
  assert.equal(contexts(leader).sort(), ['lease', 'plain']);
  for (const r of leader.readStates) assert.is(r.index, noop, 'served at the commit index of the leader’s term');
});

test('§6.4 steps 2–3: the leader records its commit index as the read index and serves the read once a majority acknowledged a heartbeat round sent after the read arrived', () => {
  const { h, n, term, noop } = readLeader();
  n.raft.readIndex('r');
  h.process();
  const beats = h.take('heartbeat');
  assert.equal(beats.map((b) => b.to).sort(), [2, 3], 'the read starts a heartbeat round');
  const round = beats[0]!.round;
  assert.ok(beats.every((b) => b.round === round));
  // The commit index moves on after the read arrived: the read still waits for its own index only.
  n.raft.propose(enc('x'));
  h.process();
  n.raft.step(msg.appendResp(3, 1, term, noop + 1));
  h.process();
  assert.is(n.raft.log.committed, noop + 1);
  n.raft.step(msg.heartbeatResp(3, 1, term, round - 1));
  h.process();
  assert.equal(n.readStates, [], 'an acknowledgment of an earlier round does not confirm it');
  n.raft.step(msg.heartbeatResp(2, 1, term, round));
  h.process();
  assert.equal(n.readStates, [{ context: 'r', index: noop }]);
});

test('§6.4: the leader amortizes leadership confirmation — one heartbeat round serves every read accumulated while it waits', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const leader = h.node(1);
  h.tick(1); // a heartbeat round is in flight
  const mark = h.sent.length;
  const ctxs = Array.from({ length: 10 }, (_, i) => `r${i}`);
  for (const c of ctxs) leader.raft.readIndex(c);
  h.process();
  assert.is(h.sent.slice(mark).filter((m) => m.type === 'heartbeat').length, 0, 'reads wait for the round in flight to finish');
  h.deliverAll();
  const beats = h.sent.slice(mark).filter((m) => m.type === 'heartbeat');
  assert.is(beats.length, 2, `one round (one heartbeat per follower) for 10 reads, got ${beats.length} heartbeats`);
  assert.equal(contexts(leader), ctxs);
  assert.ok(leader.readStates.every((r) => r.index === leader.raft.log.committed));
});

test('§6.4: a follower forwards a read to the leader and serves it at the leader’s commit index', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const leader = h.node(1);
  const follower = h.node(2);
  // Follower 2 misses the latest write: its own commit index lags.
  leader.raft.propose(enc('x'));
  h.deliverAllExcept((m) => m.to === 2 && (m.type === 'append' || m.type === 'heartbeat'));
  const leaderCommit = leader.raft.log.committed;
  assert.ok(follower.raft.log.committed < leaderCommit);
  follower.raft.readIndex('f');
  h.deliverAllExcept((m) => m.to === 2 && m.type === 'append');
  assert.is(h.sentOf('readIndex', { from: 2, to: 1 }).length, 1, 'forwarded to the leader');
  assert.equal(follower.readStates, [{ context: 'f', index: leaderCommit }], 'it must wait to apply up to the leader’s commit index');
  assert.equal(leader.readStates, []);
});

test('§6.4: a leader cut off from a majority never serves a read issued after the partition, and fails it when it steps down', () => {
  const h = new Harness(voters(1, 2, 3, 4, 5));
  h.elect(1);
  h.tickAll();
  h.deliverAll();
  h.partition([1, 2], [3, 4, 5]);
  h.node(1).raft.readIndex('leader-read');
  h.node(2).raft.readIndex('follower-read');
  let stepped = false;
  for (let i = 0; i < 40; i++) {
    h.tickAll();
    h.deliverAll();
    stepped ||= h.node(1).raft.role !== 'leader';
  }
  assert.ok(stepped, 'the old leader stepped down');
  assert.equal(h.node(1).readStates, [], 'no read state on the old leader');
  assert.equal(h.node(2).readStates, [], 'no read state on its follower');
  assert.equal(h.node(1).droppedReads, ['leader-read']);
  assert.equal(h.node(2).droppedReads, ['follower-read'], 'the forwarded read is refused, not left hanging');
  // Meanwhile the majority moved on: serving those reads would have been stale.
  const lead = h.leader()!;
  assert.ok([3, 4, 5].includes(lead.id));
  const r = lead.raft.propose(enc('newer'));
  assert.ok(r.ok);
  h.deliverAll();
  assert.ok(lead.raft.log.committed >= r.index);
});

test('§6.4: ReadIndex needs no clock — a leader that stalled (a long GC pause) while the others elected a new leader and committed a write does not serve a read from its stale state', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const old = h.node(1);
  old.raft.propose(enc('v1'));
  h.deliverAll();
  // Node 1 stalls: it neither ticks nor hears anything; what it sends meanwhile is lost.
  h.partition([1], [2, 3]);
  let next: HarnessNode | undefined;
  for (let i = 0; i < 200 && !next; i++) {
    h.tick(2);
    h.tick(3);
    h.deliverAll();
    next = [h.node(2), h.node(3)].find((n) => n.raft.role === 'leader');
  }
  assert.ok(next, 'nodes 2 and 3 elect a new leader');
  const w = next.raft.propose(enc('v2'));
  assert.ok(w.ok);
  h.deliverAll();
  assert.ok(next.raft.log.committed >= w.index, 'and commit a write');
  // Node 1 wakes up still believing it leads, and gets a read before anything else.
  assert.is(old.raft.role, 'leader');
  old.raft.readIndex('stale');
  h.process();
  assert.equal(old.readStates, [], 'not served without a quorum confirming node 1 still leads');
  h.heal();
  h.deliverAll();
  for (const r of old.readStates) assert.ok(r.index >= w.index, `a read served at ${r.index} would miss the write at ${w.index}`);
  assert.ok(old.droppedReads.includes('stale') || old.readStates.length > 0, 'the read is failed (or served fresh) once node 1 learns of the new term');
});

// ---------------------------------------------------------------------------------------------
// Leases (§6.4.1)

test('§6.4.1: a leader cut off from the others stops serving lease reads when its lease runs out, before followers whose clocks run as fast as the drift margin allows can have elected a new leader and committed a write', () => {
  // electionTicks 10, tickMs 100, drift margin 0.1: the lease is 810 ms from the send time of the
  // last round a quorum acknowledged.
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const old = h.node(1);
  old.raft.propose(enc('v1'));
  h.deliverAll();
  h.tick(1); // heartbeat round at real time 0, acknowledged at once
  h.deliverAll();
  assert.ok(old.raft.leaseValid());
  h.partition([1], [2, 3]);
  // Real time in ms. The leader's clock is exact and it ticks every 100 ms. The followers' clocks
  // run 100/91 ≈ 1.099 times faster — inside the 1/(1 − 0.1) ≈ 1.111 the lease allows — and tick
  // 1 ms after the round reached them. Node 2's election timer fires at the earliest moment it
  // may (electionTicks ticks); node 3's at the latest, so the two do not split the vote.
  h.pinElectionTimeout(2, 10);
  h.pinElectionTimeout(3, 19);
  const FOLLOWER_TICK_MS = 91;
  let next: HarnessNode | undefined;
  let servedEarly = false;
  for (let now = 1; now <= 1000 && !next; now++) {
    old.clock.now = now;
    if (now % 100 === 0) h.tick(1);
    if ((now - 1) % FOLLOWER_TICK_MS === 0) {
      h.tick(2);
      h.tick(3);
    }
    h.deliverAll();
    if (now === 805) {
      // Still inside the lease: served at once, and nobody else can lead yet.
      old.raft.readIndex('early', true);
      h.process();
      servedEarly = contexts(old).includes('early');
    }
    next = [h.node(2), h.node(3)].find((n) => n.raft.role === 'leader');
  }
  assert.ok(servedEarly, 'a lease read inside the lease is served without a round');
  assert.ok(next, 'node 2 is elected');
  const electedAt = old.clock.now;
  assert.ok(electedAt > 810, `no other leader before the lease ran out (elected at ${electedAt})`);
  const w = next.raft.propose(enc('v2'));
  assert.ok(w.ok);
  h.deliverAll();
  assert.ok(next.raft.log.committed >= w.index);
  // Node 1 has not noticed yet (CheckQuorum would step it down at 1000 ms).
  assert.is(old.raft.role, 'leader');
  old.raft.readIndex('late', true);
  h.process();
  assert.not.ok(contexts(old).includes('late'), `a lease read at ${electedAt} ms would miss the write at ${w.index}`);
});

test('§6.4.1: while its lease is valid, the leader serves a lease read at once, without a heartbeat round', () => {
  const { h, leader } = leaseLeader();
  leader.clock.now = 100;
  assert.ok(leader.raft.leaseValid());
  const mark = h.sent.length;
  leader.raft.readIndex('l', true);
  h.process();
  assert.equal(leader.readStates, [{ context: 'l', index: leader.raft.log.committed }]);
  assert.is(h.sent.slice(mark).filter((m) => m.type === 'heartbeat').length, 0);
});

test('§6.4.1: a leader that lost leadership and was elected again holds no lease from its earlier term until a heartbeat round of its new term is acknowledged', () => {
  const { h, leader } = leaseLeader();
  leader.clock.now = 100;
  assert.ok(leader.raft.leaseValid(), 'a lease from its first term');
  // Leadership moves to 2 and back to 1: two elections the first lease knew nothing of.
  assert.ok(leader.raft.transferLeader(2).ok);
  h.deliverAll();
  assert.is(h.node(2).raft.role, 'leader');
  assert.ok(h.node(2).raft.transferLeader(1).ok);
  h.deliverAll();
  assert.is(leader.raft.role, 'leader');
  assert.ok(leader.raft.log.committed >= leader.raft.log.lastIndex(), 'its no-op of the new term committed');
  assert.not.ok(leader.raft.leaseValid(), 'no heartbeat round of the new term was acknowledged yet');
  h.tick(1);
  h.deliverAll();
  assert.ok(leader.raft.leaseValid(), 'a round of the new term acknowledged: a lease again');
});

test('§6.4.1: after the lease expires, a lease read falls back to a ReadIndex heartbeat round', () => {
  const { h, leader } = leaseLeader();
  leader.clock.now = 815;
  assert.not.ok(leader.raft.leaseValid());
  const mark = h.sent.length;
  leader.raft.readIndex('late', true);
  h.process();
  assert.equal(leader.readStates, [], 'not served from the expired lease');
  assert.is(h.sent.slice(mark).filter((m) => m.type === 'heartbeat').length, 2, 'a heartbeat round confirms it instead');
  h.deliverAll();
  assert.equal(contexts(leader), ['late']);
  assert.ok(leader.raft.leaseValid(), 'the confirmed round renewed the lease');
});

test('§6.4.1: the lease runs from the time the acknowledged heartbeat round was sent, not from when the acknowledgments arrived', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const leader = h.node(1);
  h.tick(1); // round sent at time 0
  leader.clock.now = 500; // acknowledgments arrive at 500
  h.deliverAll();
  assert.is(leader.raft.leaseMs(), 810, '(electionTicks − 1) × tickMs × (1 − drift margin)');
  leader.clock.now = 805;
  assert.ok(leader.raft.leaseValid(), 'valid until 0 + 810');
  leader.clock.now = 815;
  assert.not.ok(leader.raft.leaseValid(), 'expired at 0 + 810 although acknowledged at 500');
  leader.clock.now = 1000;
  assert.not.ok(leader.raft.leaseValid());
});

test('§6.4.1: the lease length follows the election timeout, tick length and clock drift bound', () => {
  const { leader } = leaseLeader({ electionTicks: 20, tickMs: 50, leaseDriftMargin: 0.2 });
  assert.is(leader.raft.leaseMs(), 760);
  leader.clock.now = 755;
  assert.ok(leader.raft.leaseValid());
  leader.clock.now = 765;
  assert.not.ok(leader.raft.leaseValid());
});

test('§6.4.1: without CheckQuorum there is no lease — lease reads take a heartbeat round', () => {
  const { h, leader } = leaseLeader({ checkQuorum: false });
  leader.clock.now = 100;
  assert.not.ok(leader.raft.leaseValid());
  const mark = h.sent.length;
  leader.raft.readIndex('l', true);
  h.process();
  assert.equal(leader.readStates, []);
  assert.ok(h.sent.slice(mark).some((m) => m.type === 'heartbeat'));
  h.deliverAll();
  assert.equal(contexts(leader), ['l']);
});

test('§6.4.1/§3.10: the lease is not valid while a leadership transfer is in progress', () => {
  const { h, leader } = leaseLeader();
  h.cut.add('1->3');
  leader.raft.propose(enc('x'));
  h.deliverAll();
  h.heal();
  leader.clock.now = 100;
  assert.ok(leader.raft.leaseValid());
  assert.ok(leader.raft.transferLeader(3).ok);
  assert.not.ok(leader.raft.leaseValid(), 'the target may be elected before the lease would expire');
  const mark = h.sent.length;
  leader.raft.readIndex('t', true);
  h.process();
  assert.equal(leader.readStates, [], 'not served from the lease');
  assert.ok(h.sent.slice(mark).some((m) => m.type === 'heartbeat'));
});

test('§6.4.1/§3.10: once TimeoutNow was sent, the lease stays invalid for the rest of the term, even if the transfer is abandoned', () => {
  const { h, leader } = leaseLeader();
  assert.ok(leader.raft.transferLeader(2).ok);
  h.process();
  const lost = h.take('timeoutNow');
  assert.is(lost.length, 1, 'the caught-up target is told to campaign at once (and the message is lost)');
  for (let i = 0; i < 12; i++) {
    h.tickAll();
    h.deliverAll();
  }
  assert.is(leader.raft.role, 'leader');
  assert.ok(leader.raft.propose(enc('after')).ok, 'the transfer was abandoned');
  assert.not.ok(leader.raft.leaseValid(), 'a delayed TimeoutNow could still elect the target despite stickiness');
});

test.run();
