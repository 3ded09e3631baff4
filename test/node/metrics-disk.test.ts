// RaftMetrics alone: the disk gauges (wal_size_bytes, wal_segments, snapshot_bytes) read from a
// source at scrape time; each keeps its last value while the source is missing, throws, or gives
// a field that is no size.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RaftMetrics, type DiskUsage } from '../../src/metrics.js';
import { parseExposition, value, type Family } from '../support/prometheus-text.js';

async function scrape(metrics: RaftMetrics): Promise<Map<string, Family>> {
  return parseExposition(await metrics.text()); // throws on a NaN sample
}

const NAMES = ['tsraft_wal_size_bytes', 'tsraft_wal_segments', 'tsraft_snapshot_bytes'] as const;

function disk(fams: Map<string, Family>): number[] {
  return NAMES.map((n) => value(fams, n)!);
}

test('disk gauges: 0 before a source answers, then what it gives at each scrape, as unlabelled gauges', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    let fams = await scrape(metrics);
    for (const n of NAMES) assert.is(fams.get(n)?.type, 'gauge', n);
    assert.equal(disk(fams), [0, 0, 0], 'no source yet');
    let usage: DiskUsage | undefined;
    let calls = 0;
    metrics.setDiskUsageSource(() => {
      calls++;
      return usage;
    });
    assert.equal(disk(await scrape(metrics)), [0, 0, 0], 'nothing to read yet (not started)');
    usage = { walBytes: 4096, walSegments: 1, snapshotBytes: 0 };
    assert.equal(disk(await scrape(metrics)), [4096, 1, 0]);
    usage = { walBytes: 70_000_000_000, walSegments: 1043, snapshotBytes: 123_456_789 };
    fams = await scrape(metrics);
    assert.equal(disk(fams), [70_000_000_000, 1043, 123_456_789], 'sizes past 2^32');
    for (const n of NAMES) assert.equal(fams.get(n)!.samples.map((s) => s.labels), [{}], `${n}: one unlabelled series`);
    // Compaction: the WAL shrinks.
    usage = { walBytes: 8192, walSegments: 2, snapshotBytes: 123_456_789 };
    assert.equal(disk(await scrape(metrics)), [8192, 2, 123_456_789]);
    assert.ok(calls > 0 && calls <= 4 * 3, `the source is read at scrapes only (${calls} calls)`);
  } finally {
    metrics.stop();
  }
});

test('disk gauges: a source that gives nothing, throws or is detached keeps the last values; a field that is no size keeps its own', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    let source: () => DiskUsage | undefined = () => ({ walBytes: 1000, walSegments: 3, snapshotBytes: 500 });
    metrics.setDiskUsageSource(() => source());
    assert.equal(disk(await scrape(metrics)), [1000, 3, 500]);
    source = () => undefined;
    assert.equal(disk(await scrape(metrics)), [1000, 3, 500], 'undefined: last values');
    source = () => {
      throw new Error('closed');
    };
    assert.equal(disk(await scrape(metrics)), [1000, 3, 500], 'throws: last values');
    for (const nonsense of [-1, NaN, Infinity, 1.5, 2 ** 60, '7' as unknown as number, undefined]) {
      source = () => ({ walBytes: nonsense, walSegments: 4, snapshotBytes: nonsense });
      assert.equal(disk(await scrape(metrics)), [1000, 4, 500], `walBytes ${String(nonsense)}: last value, the other field taken`);
    }
    source = () => ({ walSegments: 5 });
    assert.equal(disk(await scrape(metrics)), [1000, 5, 500], 'fields left out keep their values');
    metrics.setDiskUsageSource(undefined);
    assert.equal(disk(await scrape(metrics)), [1000, 5, 500], 'detached: last values');
  } finally {
    metrics.stop();
  }
});

test.run();
