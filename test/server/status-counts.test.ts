// README, GET /status: "requests (2xx writes and reads served, cumulative)". Refused requests
// (404 for a missing key, 400, 409 of a failed compare, 413) are not served requests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

test('/status requests counts only 2xx KV reads and writes', async () => {
  const c = await KvCluster.start(1, {}, 16);
  try {
    const l = await c.waitLeader();
    const counts = async (): Promise<{ reads: number; writes: number }> => (JSON.parse((await raw(l.url, 'GET', '/status')).text) as { requests: { reads: number; writes: number } }).requests;
    assert.equal(await counts(), { reads: 0, writes: 0 });
    assert.is((await raw(l.url, 'GET', '/kv/missing')).status, 404);
    assert.is((await raw(l.url, 'GET', '/kv/missing?consistency=local')).status, 404);
    assert.is((await raw(l.url, 'GET', '/kv/k?consistency=bogus')).status, 400);
    assert.is((await raw(l.url, 'PUT', '/kv/k', 'x'.repeat(17))).status, 413);
    assert.is((await raw(l.url, 'POST', '/kv/k/cas', JSON.stringify({ expect: 'nope', value: 'v' }))).status, 409);
    assert.equal(await counts(), { reads: 0, writes: 0 }, 'refused requests are not counted');
    assert.is((await raw(l.url, 'PUT', '/kv/k', 'v')).status, 200);
    assert.is((await raw(l.url, 'GET', '/kv/k')).status, 200);
    assert.equal(await counts(), { reads: 1, writes: 1 });
  } finally {
    await c.close();
  }
});

test.run();
