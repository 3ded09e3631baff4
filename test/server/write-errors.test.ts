// README, "The HTTP API", status codes: a write on a node that knows no leader is 503 with
// Retry-After and "outcome": "not applied" (retry soon); a write in flight when the node stops is
// 503 "shutting down" whose outcome is "unknown" (it may still commit: a client must not take it
// as not applied and send a non-idempotent append again).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, waitUntil } from '../support/kv-http-cluster.js';

test('a write on an isolated follower that knows no leader: 503, Retry-After, "not applied", leader null', async () => {
  const c = await KvCluster.start(3, { requestTimeoutMs: 1500, leaderWaitMs: 300 });
  try {
    const l = await c.waitLeader();
    const f = [...c.members.values()].find((m) => m !== l)!;
    c.network.isolate(f.address);
    await waitUntil('the follower to know no leader', () => (f.node.leader === undefined ? true : undefined), 3000);
    const r = await raw(f.url, 'PUT', '/kv/k', 'v');
    assert.is(r.status, 503, r.text);
    assert.is(r.headers['retry-after'], '1');
    const body = JSON.parse(r.text) as { outcome: string; leader: unknown };
    assert.is(body.outcome, 'not applied');
    assert.is(body.leader, null);
  } finally {
    await c.close();
  }
});

test('a write in flight when the node stops: 503 "shutting down" with outcome "unknown"', async () => {
  const c = await KvCluster.start(2);
  try {
    const l = await c.waitLeader();
    const f = [...c.members.values()].find((m) => m !== l)!;
    assert.is((await raw(l.url, 'PUT', '/kv/a', '1')).status, 200);
    // The follower's acknowledgements are lost: the write cannot commit before the stop.
    c.network.cut(f.address, l.address);
    const pending = raw(l.url, 'POST', '/kv/a/append', '2');
    await waitUntil('the append to be proposed', () => (l.node.status().lastIndex > l.node.status().commitIndex ? true : undefined), 3000);
    await l.node.stop();
    const r = await pending;
    assert.is(r.status, 503, r.text);
    assert.equal(JSON.parse(r.text), { error: 'shutting down', outcome: 'unknown' });
  } finally {
    c.network.heal();
    await c.close();
  }
});

test.run();
