// metricsLabels may not name a label the node's own series use (refused in node-options.ts;
// prom-client lets a default label replace it silently): the reserved list must name them all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RESERVED_METRIC_LABELS } from '../../src/node-options.js';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

test('every label of the node\'s and the KV server\'s own series is in the reserved list', async () => {
  const c = await KvCluster.start(3);
  try {
    const m = await c.waitLeader();
    assert.is((await raw(m.url, 'PUT', '/kv/a', 'x')).status, 200);
    // Every metric the registry defines, observed yet or not (the round-trip histogram's `to`
    // appears only with the gRPC transport's pings).
    const metrics = await m.node.metricsRegistry.registry.getMetricsAsJSON();
    const seen = new Set<string>(['le']);
    for (const metric of m.node.metricsRegistry.registry.getMetricsAsArray()) {
      for (const name of (metric as unknown as { labelNames?: string[] }).labelNames ?? []) seen.add(name);
    }
    assert.ok(metrics.length > 10, `${metrics.length} metrics`);
    for (const name of ['to', 'side', 'stat', 'route', 'code']) assert.ok(seen.has(name), `a metric has a ${name} label (seen: ${[...seen].join(', ')})`);
    const missing = [...seen].filter((name) => !RESERVED_METRIC_LABELS.has(name));
    assert.equal(missing, [], `labels not reserved: ${missing.join(', ')}`);
  } finally {
    await c.close();
  }
});

test.run();
