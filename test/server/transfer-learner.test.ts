// README, "The HTTP API": POST /leader/transfer names a voting member; a non-voting member (a
// learner) is refused with 400 before anything is asked of the cluster, and the leader stays.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

test('a transfer to a non-voting member is 400 "is not a voting member" and the leader keeps leading', async () => {
  const c = await KvCluster.start(3, { members: 'n1:9101;n2:9102;n3:9103,true' });
  try {
    const leader = await c.waitLeader();
    const learner = c.members.get('n3:9103')!;
    assert.ok(learner.node.members().find((m) => m.address === learner.address)?.nonVoting, 'n3 is non-voting');
    const r = await raw(leader.url, 'POST', '/leader/transfer', JSON.stringify({ address: learner.address }), { 'Content-Type': 'application/json' });
    assert.is(r.status, 400, r.text);
    assert.equal(JSON.parse(r.text), { error: `${learner.address} is not a voting member` });
    assert.ok(leader.node.isLeader(), 'the leader still leads');
  } finally {
    await c.close();
  }
});

test.run();
