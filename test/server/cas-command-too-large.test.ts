// README, "The HTTP API": 413 when a request is too large, with "outcome": "not applied". A CAS
// whose expect and value each fit --max-value-bytes but together pass the 60 MiB a log entry may
// hold is refused before it is proposed: 413, not a 500.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

const MiB = 1024 * 1024;

test('CAS of a 31 MiB expect and a 31 MiB value under --max-value-bytes 31 MiB: 413 "not applied"', async () => {
  const c = await KvCluster.start(1, {}, 31 * MiB);
  try {
    const l = await c.waitLeader();
    const body = JSON.stringify({ expect: 'e'.repeat(31 * MiB), value: 'v'.repeat(31 * MiB) });
    const r = await raw(l.url, 'POST', '/kv/k/cas', body, { 'Content-Type': 'application/json' });
    assert.is(r.status, 413, r.text.slice(0, 300));
    assert.is((JSON.parse(r.text) as { outcome: string }).outcome, 'not applied');
    assert.is((await raw(l.url, 'GET', '/kv/k?consistency=local')).status, 404);
  } finally {
    await c.close();
  }
});

test.run();
