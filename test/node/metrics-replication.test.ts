// RaftMetrics alone: the replication series read from a source at scrape time (per-follower lag and
// last contact, snapshot transfers begun) and the proposal, apply and snapshot install histograms,
// their bucket layouts and units.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APPLY_BUCKETS, PROPOSAL_BUCKETS, RaftMetrics, SNAPSHOT_INSTALL_BUCKETS, type ReplicationStats } from '../../src/metrics.js';
import { parseExposition, value, type Family } from '../support/prometheus-text.js';

async function scrape(metrics: RaftMetrics): Promise<Map<string, Family>> {
  return parseExposition(await metrics.text()); // throws on a NaN sample
}

/** The `to` labels of a per-follower family's samples, sorted. */
function followers(fams: Map<string, Family>, name: string): string[] {
  return (fams.get(name)?.samples ?? []).map((s) => s.labels.to!).sort();
}

test('per-follower gauges: one series per follower the source names, with its lag and last contact; a follower it stops naming leaves', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    let stats: ReplicationStats = {
      followers: [
        { address: 'b:2', lagEntries: 0, lastContactSeconds: 0.05 },
        { address: 'c:3', lagEntries: 120, lastContactSeconds: 2.5 },
      ],
      snapshotTransfersStarted: 0,
      droppedBehindChunkRead: 0,
    };
    metrics.setReplicationSource(() => stats);
    let fams = await scrape(metrics);
    assert.is(fams.get('tsraft_server_follower_lag_entries')?.type, 'gauge');
    assert.is(fams.get('tsraft_server_follower_last_contact_seconds')?.type, 'gauge');
    assert.is(value(fams, 'tsraft_server_follower_lag_entries', { to: 'b:2' }), 0);
    assert.is(value(fams, 'tsraft_server_follower_lag_entries', { to: 'c:3' }), 120);
    assert.is(value(fams, 'tsraft_server_follower_last_contact_seconds', { to: 'b:2' }), 0.05);
    assert.is(value(fams, 'tsraft_server_follower_last_contact_seconds', { to: 'c:3' }), 2.5);
    // c:3 removed from the cluster: its series go with it (bounded labels).
    stats = { followers: [{ address: 'b:2', lagEntries: 3, lastContactSeconds: 0 }], snapshotTransfersStarted: 0, droppedBehindChunkRead: 0 };
    fams = await scrape(metrics);
    assert.equal(followers(fams, 'tsraft_server_follower_lag_entries'), ['b:2']);
    assert.equal(followers(fams, 'tsraft_server_follower_last_contact_seconds'), ['b:2']);
    assert.is(value(fams, 'tsraft_server_follower_lag_entries', { to: 'b:2' }), 3);
    // Leadership lost: no followers, no series.
    stats = { followers: [], snapshotTransfersStarted: 0, droppedBehindChunkRead: 0 };
    fams = await scrape(metrics);
    assert.equal(followers(fams, 'tsraft_server_follower_lag_entries'), []);
    assert.equal(followers(fams, 'tsraft_server_follower_last_contact_seconds'), []);
  } finally {
    metrics.stop();
  }
});

test('per-follower gauges: a source that gives nothing, throws or is detached leaves no series; a NaN or negative value is left out, not exported', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    let source: () => ReplicationStats | undefined = () => ({ followers: [{ address: 'b:2', lagEntries: 1, lastContactSeconds: 1 }], snapshotTransfersStarted: 0, droppedBehindChunkRead: 0 });
    metrics.setReplicationSource(() => source());
    assert.equal(followers(await scrape(metrics), 'tsraft_server_follower_lag_entries'), ['b:2']);
    source = () => undefined;
    assert.equal(followers(await scrape(metrics), 'tsraft_server_follower_lag_entries'), []);
    source = () => {
      throw new Error('closed');
    };
    assert.equal(followers(await scrape(metrics), 'tsraft_server_follower_last_contact_seconds'), []);
    source = () => ({
      followers: [
        { address: 'b:2', lagEntries: Number.NaN, lastContactSeconds: -1 },
        { address: 'c:3', lagEntries: 4, lastContactSeconds: Number.POSITIVE_INFINITY },
      ],
      snapshotTransfersStarted: 0,
      droppedBehindChunkRead: 0,
    });
    const fams = await scrape(metrics);
    assert.equal(followers(fams, 'tsraft_server_follower_lag_entries'), ['c:3']);
    assert.equal(followers(fams, 'tsraft_server_follower_last_contact_seconds'), []);
    metrics.setReplicationSource(undefined);
    assert.equal(followers(await scrape(metrics), 'tsraft_server_follower_lag_entries'), []);
  } finally {
    metrics.stop();
  }
});

for (const [name, field] of [
  ['tsraft_snapshot_transfers_started_total', 'snapshotTransfersStarted'],
  ['tsraft_snapshot_chunk_read_dropped_messages_total', 'droppedBehindChunkRead'],
] as const) {
  test(`${name} reads the source's count (scraping adds nothing) and keeps its last value while the source gives none`, async () => {
    const metrics = new RaftMetrics({ eventLoopDelay: false });
    try {
      assert.is(value(await scrape(metrics), name), 0, 'exported at 0 before any source');
      let count: number | undefined = 2;
      metrics.setReplicationSource(() => (count === undefined ? undefined : { followers: [], snapshotTransfersStarted: 0, droppedBehindChunkRead: 0, [field]: count }));
      for (let scrape_ = 1; scrape_ <= 3; scrape_++) assert.is(value(await scrape(metrics), name), 2, `scrape ${scrape_}`);
      assert.is((await scrape(metrics)).get(name)?.type, 'counter');
      count = 5;
      assert.is(value(await scrape(metrics), name), 5);
      count = undefined;
      assert.is(value(await scrape(metrics), name), 5);
      count = Number.NaN;
      assert.is(value(await scrape(metrics), name), 5);
    } finally {
      metrics.stop();
    }
  });
}

/** `start` doubling `n` times, as Prometheus prints them, then +Inf. */
function doubling(start: number, n: number): string[] {
  return [...Array.from({ length: n }, (_, i) => String(Number((start * 2 ** i).toPrecision(12)))), '+Inf'];
}

for (const [name, buckets, start, n, observe] of [
  ['tsraft_server_proposal_duration_seconds', PROPOSAL_BUCKETS, 0.0001, 17, (m: RaftMetrics, s: number) => m.observeProposal(s)],
  ['tsraft_server_apply_batch_duration_seconds', APPLY_BUCKETS, 0.00001, 20, (m: RaftMetrics, s: number) => m.observeApplyBatch(s)],
  ['tsraft_snapshot_install_duration_seconds', SNAPSHOT_INSTALL_BUCKETS, 0.001, 17, (m: RaftMetrics, s: number) => m.observeSnapshotInstall(s)],
] as const) {
  test(`${name}: a histogram without labels, buckets from ${start} s doubling ${n} times, observed in seconds`, async () => {
    assert.is(buckets.length, n);
    buckets.forEach((b, i) => assert.ok(Math.abs(b - start * 2 ** i) < 1e-12, `bucket ${i} is ${b}`));
    const metrics = new RaftMetrics({ eventLoopDelay: false });
    try {
      let fams = await scrape(metrics);
      assert.is(fams.get(name)?.type, 'histogram');
      assert.is(value(fams, `${name}_count`), 0, 'exported at 0 before the first observation');
      observe(metrics, start * 3); // between the second and third bounds
      observe(metrics, 0.5);
      fams = await scrape(metrics);
      const family = fams.get(name)!;
      assert.equal(
        family.samples.filter((s) => s.name === `${name}_bucket`).map((s) => s.labels.le),
        doubling(start, n),
      );
      for (const s of family.samples) assert.equal(Object.keys(s.labels).filter((l) => l !== 'le'), [], `${s.raw}: no labels`);
      assert.is(value(fams, `${name}_bucket`, { le: String(start * 2) }), 0);
      assert.is(value(fams, `${name}_bucket`, { le: String(Number((start * 4).toPrecision(12))) }), 1);
      assert.is(value(fams, `${name}_bucket`, { le: '+Inf' }), 2);
      assert.is(value(fams, `${name}_count`), 2);
      assert.ok(Math.abs(value(fams, `${name}_sum`)! - (0.5 + start * 3)) < 1e-12);
    } finally {
      metrics.stop();
    }
  });
}

test.run();
