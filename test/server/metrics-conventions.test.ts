// Prometheus conventions of the node's series — labelled counters exist
// at 0 before their first event (else increase()/rate() never see the first one), and the WAL
// fsync histogram's buckets resolve the latencies this project itself measures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RaftMetrics } from '../../src/metrics.js';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

test('tsraft_snapshot_corrupt_total{side} is exported at 0 before any corrupt snapshot', async () => {
  const c = await KvCluster.start(1);
  try {
    const m = await c.waitLeader();
    const text = (await raw(m.url, 'GET', '/metrics')).text;
    assert.ok(text.includes('# TYPE tsraft_snapshot_corrupt_total counter'));
    // Without a 0 sample first, the series appears at 1 on the first corrupt snapshot and
    // increase(tsraft_snapshot_corrupt_total[10m]) > 0 never fires for it.
    for (const side of ['received', 'sent']) {
      assert.match(text, new RegExp(`^tsraft_snapshot_corrupt_total\\{side="${side}"\\} 0$`, 'm'), `side="${side}" at 0`);
    }
  } finally {
    await c.close();
  }
});

/** Prometheus histogram_quantile over cumulative buckets (linear within a bucket, from 0). */
function histogramQuantile(q: number, text: string, name: string): number {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => ({ le: Number(m[1]), count: Number(m[2]) }));
  const total = buckets.at(-1)!.count;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) return b.le === Infinity ? prevLe : prevLe + ((b.le - prevLe) * (rank - prevCount)) / (b.count - prevCount);
    prevLe = b.le;
    prevCount = b.count;
  }
  return NaN;
}

test('tsraft_disk_wal_fsync_duration_seconds resolves O_DSYNC writes of 130-470 µs (docs/performance.md)', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  // The durable-write latencies docs/performance.md reports for this project's WAL.
  const seconds = Array.from({ length: 1000 }, (_, i) => (130 + (340 * i) / 999) / 1e6);
  for (const s of seconds) metrics.observeFsync(s);
  const text = await metrics.text();
  // Every one of them lands in the first bucket (le="0.001"): any quantile is then an artefact
  // of that bucket's width (p50 500 µs, p99 990 µs), whatever the disk does below 1 ms.
  const truth = seconds[499]!;
  const estimate = histogramQuantile(0.5, text, 'tsraft_disk_wal_fsync_duration_seconds');
  const error = Math.abs(estimate - truth) / truth;
  assert.ok(error < 0.25, `histogram_quantile(0.5) = ${(estimate * 1e6).toFixed(0)} µs, real ${(truth * 1e6).toFixed(0)} µs (${(error * 100).toFixed(0)} % off)`);
});

test.run();
