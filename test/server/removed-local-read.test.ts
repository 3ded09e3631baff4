// README, "The HTTP API": a node removed from the cluster answers 410 to every KV request,
// reads with consistency=local too (its data stops at its removal, however long it runs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, waitUntil } from '../support/kv-http-cluster.js';

test('a removed node answers 410 with removedAt to a consistency=local read of a key it holds', async () => {
  const c = await KvCluster.start(3);
  try {
    const l = await c.waitLeader();
    const f = [...c.members.values()].find((m) => m !== l)!;
    assert.is((await raw(l.url, 'PUT', '/kv/k', 'v')).status, 200);
    await waitUntil('the follower to apply the write', () => (f.node.context.get('k') ? true : undefined), 3000);
    const del = await raw(l.url, 'DELETE', '/members/' + encodeURIComponent(f.address));
    assert.is(del.status, 200, del.text);
    await waitUntil('the follower to learn its removal', () => f.node.isRemoved(), 5000);
    const r = await raw(f.url, 'GET', '/kv/k?consistency=local');
    assert.is(r.status, 410, `${r.status} ${JSON.stringify(r.text)}`);
    const body = JSON.parse(r.text) as { removedAt: number; outcome: string };
    assert.is(body.removedAt, f.node.status().removedAt);
    assert.is(body.outcome, 'not applied');
  } finally {
    await c.close();
  }
});

test.run();
