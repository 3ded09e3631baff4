// README, "The HTTP API": a node removed from the cluster answers 410 to every KV request
// (reads with consistency=local too); 503 with Retry-After means "retry here soon".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, waitUntil } from '../support/kv-http-cluster.js';


test('a consistency=index read in flight on a follower when it learns it was removed is answered 410, not 503 "no leader is known; retry later"', async () => {
  const c = await KvCluster.start(3);
  try {
    const l = await c.waitLeader();
    const f = [...c.members.values()].find((m) => m !== l)!;
    assert.is((await raw(l.url, 'PUT', '/kv/k', 'v')).status, 200);
    // The follower still hears the leader, but its ReadIndex request does not reach it: the read waits.
    c.network.cut(f.address, l.address);
    const read = raw(f.url, 'GET', '/kv/k?consistency=index');
    await new Promise((r) => setTimeout(r, 100));
    const del = await raw(l.url, 'DELETE', '/members/' + encodeURIComponent(f.address));
    assert.is(del.status, 200, del.text);
    await waitUntil('the follower to learn its removal', () => f.node.isRemoved(), 5000);
    const r = await read;
    assert.is(r.status, 410, r.text);
    assert.is(r.headers['retry-after'], undefined, 'no Retry-After: retrying on this node is pointless');
    // What the same read gets a moment later, for comparison.
    assert.is((await raw(f.url, 'GET', '/kv/k?consistency=index')).status, 410);
  } finally {
    await c.close();
  }
});

test.run();
