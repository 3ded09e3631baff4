// /status reports uptime from a monotonic clock: the wall clock set back (NTP, an operator) must
// not make it negative.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

test('/status uptimeSeconds stays sane when the wall clock is set back a day', async () => {
  const c = await KvCluster.start(1);
  const realNow = Date.now;
  try {
    const m = await c.waitLeader();
    const dayAgo = realNow() - 86_400_000;
    Date.now = () => dayAgo;
    const status = JSON.parse((await raw(m.url, 'GET', '/status')).text) as { uptimeSeconds: number };
    Date.now = realNow;
    assert.ok(status.uptimeSeconds >= 0 && status.uptimeSeconds < 600, `uptime ${status.uptimeSeconds} s`);
  } finally {
    Date.now = realNow;
    await c.close();
  }
});

test.run();
