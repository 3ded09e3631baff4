// README, "The HTTP API": GET /kv/{key} is linearizable by default (consistency=index), and
// consistency=lease is linearizable too; only consistency=local reads the local store as it is.
// A follower cut off from the cluster must not answer a default or lease read from its stale
// store, while a local read answers at once with the stale value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, waitUntil } from '../support/kv-http-cluster.js';

test('an isolated follower refuses default and lease reads (503/504) instead of answering its stale value; local reads answer it', async () => {
  const c = await KvCluster.start(3, { requestTimeoutMs: 1000, leaderWaitMs: 300 });
  try {
    const l = await c.waitLeader();
    const f = [...c.members.values()].find((m) => m !== l)!;
    assert.is((await raw(l.url, 'PUT', '/kv/k', 'old')).status, 200);
    await waitUntil('the follower to apply the first write', () => (f.node.context.get('k')?.toString() === 'old' ? true : undefined), 3000);
    c.network.isolate(f.address);
    const put = await raw(l.url, 'PUT', '/kv/k', 'new');
    assert.is(put.status, 200, put.text);
    for (const path of ['/kv/k', '/kv/k?consistency=index', '/kv/k?consistency=lease']) {
      const r = await raw(f.url, 'GET', path);
      assert.ok(r.status === 503 || r.status === 504, `GET ${path} on the isolated follower answered ${r.status} ${JSON.stringify(r.text)}`);
      assert.not.equal(r.text, 'old', `GET ${path} answered the stale value`);
    }
    const local = await raw(f.url, 'GET', '/kv/k?consistency=local');
    assert.is(local.status, 200);
    assert.is(local.text, 'old', 'consistency=local reads the local store as it is');
  } finally {
    await c.close();
  }
});

test.run();
