// the gauges of a Node that stopped (stop(), or on its own after a storage
// failure: onFatal). Its metrics() still answers; it must not go on claiming to lead.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCluster } from '../support/node-cluster.js';
import { metricValue } from '../support/prometheus.js';

test('a stopped leader no longer reports tsraft_server_is_leader 1 / has_leader 1', async () => {
  const c = new TestCluster(1, { logLevel: 'error' });
  try {
    await c.startAll();
    const node = await c.waitLeader();
    assert.is(metricValue(await node.metrics(), 'tsraft_server_is_leader'), 1);
    await c.stop(node.address);
    const text = await node.metrics();
    assert.is(metricValue(text, 'tsraft_server_is_leader'), 0, 'is_leader after stop');
    assert.is(metricValue(text, 'tsraft_server_has_leader'), 0, 'has_leader after stop');
  } finally {
    await c.close();
  }
});

test.run();
