/**
 * ReadIndex (thesis §6.4 step 3) and the lease (§6.4.1): leadership is confirmed for a read only
 * by a quorum acknowledging a heartbeat round SENT AFTER the read arrived, and the lease runs from
 * the send time of a round a quorum acknowledged — never from a later round still in flight.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { electedLeader, Harness, msg } from '../support/raft-harness.js';

/** Node 1 elected by hand in a 3-voter cluster (CheckQuorum on); both followers acknowledged its no-op. */
const readLeader = () => electedLeader(3, { preVote: false });

/** Ticks the leader until it sends a heartbeat round; returns that round's number. */
function nextRound(h: Harness, id: number): number {
  for (let i = 0; i < 10; i++) {
    h.tick(id);
    const beats = h.take('heartbeat');
    if (beats.length) return beats[0]!.round;
  }
  throw new Error('no heartbeat round');
}

test('§6.4 step 3: a read that arrived while a heartbeat round was in flight is not confirmed by acknowledgments of that round, nor of an older one', () => {
  const { h, n, term, noop } = readLeader();
  const early = nextRound(h, 1); // in flight when the read arrives
  n.raft.readIndex('r');
  h.process();
  assert.is(h.take('heartbeat').length, 0, 'the read waits for the round in flight to finish');
  // A quorum acknowledges the round sent BEFORE the read: that proves nothing about leadership
  // when the read arrived (another leader may have been elected since).
  n.raft.step(msg.heartbeatResp(2, 1, term, early));
  n.raft.step(msg.heartbeatResp(3, 1, term, early));
  h.process();
  assert.equal(n.readStates, [], 'not served on a round sent before it arrived');
  const beats = h.take('heartbeat');
  assert.equal(beats.map((b) => b.to).sort(), [2, 3], 'its own round leaves once the earlier one is confirmed');
  const own = beats[0]!.round;
  assert.ok(own > early);
  n.raft.step(msg.heartbeatResp(2, 1, term, own));
  h.process();
  assert.equal(n.readStates, [{ context: 'r', index: noop }], 'served once a quorum acknowledged its round');
});

test('§6.4 step 3: a read waiting while two rounds are in flight (the read arrived between them) is served only when the later one is acknowledged', () => {
  const { h, n, term, noop } = readLeader();
  const first = nextRound(h, 1);
  n.raft.readIndex('r');
  h.process();
  const second = nextRound(h, 1); // the periodic heartbeat: the read rides on it
  assert.ok(second > first);
  n.raft.step(msg.heartbeatResp(2, 1, term, first));
  n.raft.step(msg.heartbeatResp(3, 1, term, first));
  h.process();
  assert.equal(n.readStates, [], 'the round sent before the read does not confirm it');
  n.raft.step(msg.heartbeatResp(3, 1, term, second));
  h.process();
  assert.equal(n.readStates, [{ context: 'r', index: noop }]);
});

test('§6.4 step 3: a read is served once a quorum acknowledged the round it rode on, even when later rounds were sent meanwhile (a round trip longer than the heartbeat interval)', () => {
  const { h, n, term, noop } = readLeader();
  n.raft.readIndex('r');
  h.process();
  const beats = h.take('heartbeat');
  assert.equal(beats.map((b) => b.to).sort(), [2, 3], 'the read starts its round at once');
  const own = beats[0]!.round;
  // Before the acknowledgments come back, the periodic heartbeat sends later rounds.
  const later = nextRound(h, 1);
  nextRound(h, 1);
  assert.ok(later > own);
  n.raft.step(msg.heartbeatResp(2, 1, term, own));
  h.process();
  assert.equal(n.readStates, [{ context: 'r', index: noop }], 'not held back until a later round is acknowledged (with slow links it never would be)');
});

test('§6.4.1: the lease is extended only from the send time of a round a quorum acknowledged, not from a later round still in flight', () => {
  const { h, n, term } = readLeader();
  n.clock.now = 0;
  const first = nextRound(h, 1); // sent at 0
  n.clock.now = 400;
  const second = nextRound(h, 1); // sent at 400, never acknowledged
  assert.ok(second > first);
  n.raft.step(msg.heartbeatResp(2, 1, term, first));
  h.process();
  const lease = n.raft.leaseMs();
  n.clock.now = lease - 5;
  assert.ok(n.raft.leaseValid(), 'a lease from the acknowledged round');
  n.clock.now = lease + 5;
  assert.not.ok(n.raft.leaseValid(), 'expired: the round sent at 400 was never acknowledged');
  n.raft.readIndex('lease-read', true);
  h.process();
  assert.equal(n.readStates, [], 'a lease read is not served from the expired lease');
});

test.run();
