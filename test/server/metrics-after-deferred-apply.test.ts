// the applied-index and pending-proposals gauges after entries that
// applied behind an application's snapshot save (deferred applies). Nothing else refreshes them
// on a one-member cluster: they stay wrong until the next write.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, slowSave } from '../support/node-cluster.js';
import { metricValue } from '../support/prometheus.js';

test('tsraft_server_applied_index and _proposals_pending follow entries applied after a snapshot save', async () => {
  const c = new TestCluster(1, { logLevel: 'error' });
  try {
    await c.startAll();
    const node = await c.waitLeader();
    await node.do(new SetCommand('before', '0'));
    let release!: () => void;
    const save = slowSave(node, new Promise<void>((resolve) => (release = resolve)));
    const snapshot = node.snapshot();
    await c.waitFor(() => save.saving(), 5000, 'the save to start');
    const writes = Array.from({ length: 5 }, (_, i) => node.do(new SetCommand(`w${i}`, String(i))));
    // Committed, held behind the save.
    await c.waitFor(() => node.status().commitIndex >= node.status().appliedIndex + 5, 5000, 'the writes to commit');
    release();
    await Promise.all([snapshot, ...writes]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // many ticks; nothing else to do
    const status = node.status();
    const text = await node.metrics();
    assert.is(status.appliedIndex, status.commitIndex);
    assert.is(metricValue(text, 'tsraft_server_commit_index'), status.commitIndex);
    assert.is(metricValue(text, 'tsraft_server_proposals_pending'), 0, 'no proposal waits');
    assert.is(metricValue(text, 'tsraft_server_applied_index'), status.appliedIndex, 'applied index gauge');
  } finally {
    await c.close();
  }
});

test.run();
