/**
 * §7 / flow control: while a snapshot is being streamed to a follower (progress state
 * 'snapshot'), the leader holds its appends back. New proposals during the transfer must neither
 * restart the transfer at offset 0 nor send appends the follower cannot match; once the
 * snapshot is installed the follower catches up with the entries written meanwhile.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { enc, laggingFollower as laggingFollowerOf } from '../support/raft-harness.js';

const SNAPSHOT = enc('SNAPSHOT:0123456789abcdef'); // 25 bytes
const CHUNK = 4;

/** Node 3 lags behind leader 1's snapshot (see laggingFollower). */
const laggingFollower = () => laggingFollowerOf(SNAPSHOT, CHUNK);

test('§7: proposals committed while a snapshot is streamed do not restart the transfer, and the follower catches up afterwards', () => {
  const { h, leader, follower, index } = laggingFollower();
  h.tick(1);
  let writes = 0;
  h.deliverAllExcept((m) => {
    // Each chunk on its way: a client write commits with node 2 (the leader broadcasts appends).
    if (m.type === 'snapshot' && m.to === 3 && !m.done && writes < 4) {
      leader.raft.propose(enc(`w${writes++}`));
    }
    return false;
  });
  assert.is(writes, 4, 'writes happened during the transfer');
  const chunks = h.sentOf('snapshot', { from: 1, to: 3 });
  assert.is(chunks.filter((c) => c.offset === 0).length, 1, `the transfer never started over (offsets: ${chunks.map((c) => c.offset).join(',')})`);
  assert.is(chunks.length, Math.ceil(SNAPSHOT.length / CHUNK), 'each chunk sent once');
  assert.is(follower.storage.snapshot().index, index, 'the snapshot was installed');
  for (let i = 0; i < 3; i++) {
    h.tickAll();
    h.deliverAll();
  }
  assert.equal(h.storedTerms(3), h.storedTerms(1), 'and the follower caught up with the writes made meanwhile');
  assert.is(follower.raft.log.committed, leader.raft.log.committed);
});

test.run();
