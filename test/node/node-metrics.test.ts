// node.metrics(): the Node feeds its RaftMetrics as it works — leader gauges, proposals, indices,
// WAL fsync and cache, snapshot save time, peer round trips (gRPC pings), the transport's counters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

/** The value of one series in a Prometheus exposition, e.g. `tsraft_server_is_leader`. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

test('a gRPC cluster exposes leader, proposal, index, WAL, snapshot, peer round-trip and transport metrics', async () => {
  const c = await TestCluster.grpc(3, { sync: 'always' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await Promise.all(Array.from({ length: 30 }, (_, i) => leader.do(new SetCommand(`m${i}`, `${i}`))));
    await c.waitConverged();
    await leader.snapshot();
    await new Promise((r) => setTimeout(r, 1300)); // one ping round (every second)
    const text = await leader.metrics();
    assert.is(sample(text, 'tsraft_server_is_leader'), 1);
    assert.is(sample(text, 'tsraft_server_has_leader'), 1);
    assert.ok(sample(text, 'tsraft_server_leader_changes_seen_total')! >= 1);
    assert.ok(sample(text, 'tsraft_server_proposals_committed_total')! >= 30);
    assert.ok(sample(text, 'tsraft_server_proposals_applied_total')! >= 30);
    assert.is(sample(text, 'tsraft_server_proposals_pending'), 0);
    assert.is(sample(text, 'tsraft_server_proposals_failed_total'), 0);
    const status = leader.status();
    assert.is(sample(text, 'tsraft_server_term'), status.term);
    assert.is(sample(text, 'tsraft_server_commit_index'), status.commitIndex);
    assert.is(sample(text, 'tsraft_server_applied_index'), status.appliedIndex);
    assert.ok(sample(text, 'tsraft_disk_wal_fsync_duration_seconds_count')! > 0, 'fsyncs are timed');
    assert.is(sample(text, 'tsraft_snapshot_save_duration_seconds_count'), 1);
    assert.ok(sample(text, 'tsraft_wal_cache_hits_total')! >= 0);
    for (const peer of c.addresses.filter((a) => a !== leader.address)) {
      assert.ok(sample(text, `tsraft_network_peer_round_trip_time_seconds_count{to="${peer}"}`)! >= 1, `round trips to ${peer}`);
      assert.ok(sample(text, `tsraft_network_peer_sent_bytes_total{to="${peer}"}`)! > 0, `bytes sent to ${peer}`);
      assert.ok(sample(text, `tsraft_network_peer_received_messages_total{from="${peer}"}`)! > 0, `messages from ${peer}`);
      assert.is(sample(text, `tsraft_network_peer_connected{to="${peer}"}`), 1, `connected to ${peer}`);
    }
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    const ftext = await follower.metrics();
    assert.is(sample(ftext, 'tsraft_server_is_leader'), 0);
    assert.is(sample(ftext, 'tsraft_server_has_leader'), 1);
    assert.ok(sample(ftext, 'tsraft_server_proposals_applied_total')! >= 30);
  } finally {
    await c.close();
  }
});

test('failed proposals are counted', async () => {
  const c = new TestCluster(3, { requestTimeoutMs: 300 });
  try {
    await c.start(c.addresses[0]!);
    const lonely = c.node(c.addresses[0]!);
    await lonely.do(new SetCommand('x', 'y')).catch(() => undefined);
    await lonely.do(new SetCommand('x', 'z')).catch(() => undefined);
    const text = await lonely.metrics();
    assert.is(sample(text, 'tsraft_server_has_leader'), 0);
    assert.is(sample(text, 'tsraft_server_proposals_failed_total'), 2);
  } finally {
    await c.close();
  }
});

test.run();
