// From a mutation review of src/metrics.ts: the histogram bucket layouts the README and the module
// document (snapshot save 1 ms doubling to 8.192 s, peer round trip 0.1 ms doubling to 0.8192 s,
// as etcd's), and durations observed in seconds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PEER_RTT_BUCKETS, RaftMetrics, SNAPSHOT_SAVE_BUCKETS } from '../../src/metrics.js';
import { parseExposition, value } from '../support/prometheus-text.js';

/** The `le` labels of one histogram's buckets in `text`, in order. */
function bucketBounds(text: string, name: string): string[] {
  const family = parseExposition(text).get(name);
  assert.ok(family, `${name} is exported`);
  return family.samples.filter((s) => s.name === `${name}_bucket`).map((s) => s.labels.le!);
}

/** `start` doubling `n` times, as Prometheus prints them, then +Inf. */
function doubling(start: number, n: number): string[] {
  return [...Array.from({ length: n }, (_, i) => String(Number((start * 2 ** i).toPrecision(12)))), '+Inf'];
}

test('snapshot save histogram: buckets from 1 ms doubling to 8.192 s (etcd\'s snap_save_total_duration_seconds)', async () => {
  assert.is(SNAPSHOT_SAVE_BUCKETS.length, 14);
  SNAPSHOT_SAVE_BUCKETS.forEach((b, i) => assert.ok(Math.abs(b - 0.001 * 2 ** i) < 1e-12, `bucket ${i} is ${b}`));
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    const bounds = bucketBounds(await metrics.text(), 'tsraft_snapshot_save_duration_seconds');
    assert.equal(bounds, doubling(0.001, 14));
    assert.is(bounds.at(-2), '8.192');
  } finally {
    metrics.stop();
  }
});

test('snapshot save durations are observed in seconds: a 0.5 s save lands in the 0.512 s bucket, not a lower one', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    metrics.observeSnapshotSave(0.5);
    metrics.observeSnapshotSave(0.001953125); // 1/512 s, between the 1 ms and 2 ms bounds
    const fams = parseExposition(await metrics.text());
    const bucket = (le: string) => value(fams, 'tsraft_snapshot_save_duration_seconds_bucket', { le });
    assert.is(bucket('0.001'), 0);
    assert.is(bucket('0.002'), 1);
    assert.is(bucket('0.256'), 1);
    assert.is(bucket('0.512'), 2);
    assert.is(bucket('+Inf'), 2);
    assert.is(value(fams, 'tsraft_snapshot_save_duration_seconds_sum'), 0.501953125);
    assert.is(value(fams, 'tsraft_snapshot_save_duration_seconds_count'), 2);
  } finally {
    metrics.stop();
  }
});

test('peer round-trip histogram: buckets from 0.1 ms doubling to 0.8192 s (etcd\'s network_peer_round_trip_time_seconds), per peer', async () => {
  assert.is(PEER_RTT_BUCKETS.length, 14);
  PEER_RTT_BUCKETS.forEach((b, i) => assert.ok(Math.abs(b - 0.0001 * 2 ** i) < 1e-12, `bucket ${i} is ${b}`));
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    metrics.observePeerRtt('b:2', 0.5);
    const text = await metrics.text();
    assert.equal(bucketBounds(text, 'tsraft_network_peer_round_trip_time_seconds'), doubling(0.0001, 14));
    const fams = parseExposition(text);
    assert.is(value(fams, 'tsraft_network_peer_round_trip_time_seconds_bucket', { le: '0.4096', to: 'b:2' }), 0);
    assert.is(value(fams, 'tsraft_network_peer_round_trip_time_seconds_bucket', { le: '0.8192', to: 'b:2' }), 1);
  } finally {
    metrics.stop();
  }
});

test.run();
