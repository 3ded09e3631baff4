// join-evidence.ts: the accepted addition a repeated join request names. Whatever a peer sends in
// that field, the leader reads an addition or nothing (then the request is an ordinary join).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeAcceptedAddition, encodeAcceptedAddition, type AcceptedAddition } from '../../src/join-evidence.js';
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
// the indexAt check dropped from Node.additionCommitted.
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
    const committed = (leader as unknown as { additionCommitted(a: AcceptedAddition, address: string): boolean }).additionCommitted.bind(leader);
    assert.ok(committed(addition, 'n9:9009'));
    assert.not.ok(committed({ index: leader.status().lastIndex + 5, term: addition.term }, 'n9:9009'), 'an index past the commit index: not committed');
  } finally {
    await c.close();
  }
});

test.run();
