// join-evidence.ts: the accepted addition a repeated join request names. Whatever a peer sends in
// that field, the leader reads an addition or nothing (then the request is an ordinary join).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { additionCommitted, decodeAcceptedAddition, encodeAcceptedAddition, type AcceptedAddition, type CommittedView } from '../../src/join-evidence.js';
import { memberId } from '../../src/members.js';
import { SetCommand, retryInFlight, snapshotTransferCluster } from '../support/node-cluster.js';

test('an accepted addition round-trips', () => {
  assert.equal(decodeAcceptedAddition(encodeAcceptedAddition({ index: 77949, term: 12 })), { index: 77949, term: 12 });
});

test('no data, or data that is not an accepted addition, is none', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  for (const data of [
    new Uint8Array(0),
    enc('not json'),
    enc('null'),
    enc('[1,2]'),
    enc('{"index":0,"term":1}'),
    enc('{"index":5,"term":-1}'),
    enc('{"index":1.5,"term":1}'),
    enc('{"index":"5","term":1}'),
    enc(`{"index":${2 ** 60},"term":1}`),
    enc(`{"index":5,"term":1,"pad":"${'x'.repeat(300)}"}`),
    new Uint8Array([0xff, 0xfe, 0x00]),
  ]) {
    assert.is(decodeAcceptedAddition(data), undefined, new TextDecoder().decode(data).slice(0, 40));
  }
});

// Found in review: once the leader's log no longer reaches an addition, it read the configuration
// at the history's base (a snapshot taken after the removal) as the one at the addition, found the
// node absent, and added back a node removed since. It cannot tell there, and refuses. Mutant:
// the indexAt check dropped from additionCommitted.
test('an addition is committed when the log holds its index and term at or below the commit index', () => {
  const members = (ids: number[]) => ids.map((id) => ({ id, role: 'voter' as const, promote: false, context: `h${id}:1` }));
  // Entries 1-10 of term 2 from index 5 (before it compacted); configuration changes at 3 (adds 9) and 8 (removes it).
  const view = (firstKept: number, base: number): CommittedView => ({
    log: { committed: 10, term: (i) => (i >= firstKept - 1 && i <= 10 ? (i >= 5 ? 2 : 1) : undefined) },
    membership: {
      indexAt: (i) => (i < base ? base : i >= 8 ? 8 : i >= 3 ? 3 : base),
      at: (i) => (i >= 8 || i < 3 ? members([1, 2]) : members([1, 2, 9])),
    },
  });
  assert.ok(additionCommitted({ index: 3, term: 1 }, 9, view(1, 0)), 'same index and term');
  assert.not.ok(additionCommitted({ index: 3, term: 3 }, 9, view(1, 0)), 'another term there: overwritten');
  assert.not.ok(additionCommitted({ index: 11, term: 2 }, 9, view(1, 0)), 'past the commit index');
  assert.ok(additionCommitted({ index: 3, term: 1 }, 9, view(6, 0)), 'compacted, the history reaching back: the configuration there holds it');
  assert.not.ok(additionCommitted({ index: 3, term: 1 }, 7, view(6, 0)), 'compacted, the configuration there without it');
  assert.ok(additionCommitted({ index: 3, term: 1 }, 7, view(9, 9)), 'compacted past the history: cannot tell, refused');
});

test('a leader whose log was compacted past an addition and its removal counts the addition as committed', async () => {
  const { c } = snapshotTransferCluster({ logLevel: 'error' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    await retryInFlight(() => leader.join({ address: 'n9:9009', nonVoting: true }));
    const addition: AcceptedAddition = { index: leader.status().lastIndex, term: leader.status().term };
    await retryInFlight(() => leader.leave('n9:9009'));
    for (let i = 0; i < 20; i++) await leader.do(new SetCommand(`k${i}`, `${i}`));
    await leader.snapshot();
    assert.ok(leader.status().firstIndex > addition.index + 1, 'compacted past the addition');
    const raft = (leader as unknown as { raft: CommittedView }).raft;
    assert.ok(additionCommitted(addition, memberId('n9:9009'), raft));
    assert.not.ok(additionCommitted({ index: leader.status().lastIndex + 5, term: addition.term }, memberId('n9:9009'), raft), 'an index past the commit index: not committed');
  } finally {
    await c.close();
  }
});

test.run();
