// RaftMetrics: every metric is exposed with its type, the typed methods move the values, two
// instances in one process keep apart, the event-loop delay gauges fill in, and stop() leaves
// nothing that keeps a process alive.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FSYNC_BUCKETS, PEER_RTT_BUCKETS, RaftMetrics } from '../../src/metrics.js';

const EXPECTED_TYPES: Record<string, 'gauge' | 'counter' | 'histogram'> = {
  tsraft_server_has_leader: 'gauge',
  tsraft_server_is_leader: 'gauge',
  tsraft_server_leader_changes_seen_total: 'counter',
  tsraft_server_proposals_committed_total: 'counter',
  tsraft_server_proposals_applied_total: 'counter',
  tsraft_server_proposals_pending: 'gauge',
  tsraft_server_proposals_failed_total: 'counter',
  tsraft_server_proposals_retried_total: 'counter',
  tsraft_server_duplicate_commands_skipped_total: 'counter',
  tsraft_server_term: 'gauge',
  tsraft_server_commit_index: 'gauge',
  tsraft_server_applied_index: 'gauge',
  tsraft_disk_wal_fsync_duration_seconds: 'histogram',
  tsraft_snapshot_save_duration_seconds: 'histogram',
  tsraft_snapshot_corrupt_total: 'counter',
  tsraft_network_peer_round_trip_time_seconds: 'histogram',
  tsraft_wal_cache_hits_total: 'counter',
  tsraft_wal_cache_misses_total: 'counter',
  tsraft_wal_size_bytes: 'gauge',
  tsraft_wal_segments: 'gauge',
  tsraft_snapshot_bytes: 'gauge',
  tsraft_server_event_loop_delay_seconds: 'gauge',
  tsraft_server_reads_total: 'counter',
  tsraft_server_lease_read_fallbacks_total: 'counter',
  tsraft_server_proposal_duration_seconds: 'histogram',
  tsraft_server_apply_batch_duration_seconds: 'histogram',
  tsraft_server_follower_lag_entries: 'gauge',
  tsraft_server_follower_last_contact_seconds: 'gauge',
  tsraft_snapshot_transfers_started_total: 'counter',
  tsraft_snapshot_chunk_read_dropped_messages_total: 'counter',
  tsraft_snapshot_install_duration_seconds: 'histogram',
  tsraft_network_peer_sent_bytes_total: 'counter',
  tsraft_network_peer_received_bytes_total: 'counter',
  tsraft_network_peer_sent_messages_total: 'counter',
  tsraft_network_peer_received_messages_total: 'counter',
  tsraft_network_peer_dropped_messages_total: 'counter',
  tsraft_network_peer_decode_errors_total: 'counter',
  tsraft_network_peer_reconnects_total: 'counter',
  tsraft_network_peer_connected: 'gauge',
  tsraft_network_peer_queued_messages: 'gauge',
  tsraft_network_peer_queued_bytes: 'gauge',
  tsraft_network_rejected_streams_total: 'counter',
  tsraft_network_unknown_peer_messages_total: 'counter',
  tsraft_network_undecodable_frames_total: 'counter',
};

/** Parses the exposition into `series text -> value`, e.g. `tsraft_server_term{node="a"}` -> 3. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

function types(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(match[1]!, match[2]!);
  return out;
}

function value(text: string, series: string): number | undefined {
  return samples(text).get(series);
}

test('every metric appears in text() with the right TYPE line and a HELP line', async () => {
  const metrics = new RaftMetrics();
  try {
    const text = await metrics.text();
    const found = types(text);
    for (const [name, type] of Object.entries(EXPECTED_TYPES)) {
      assert.is(found.get(name), type, name);
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
    assert.equal([...found.keys()].sort(), Object.keys(EXPECTED_TYPES).sort(), 'no unexpected metrics');
    assert.is(metrics.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    // Plain gauges and counters show a value from the start, so dashboards see 0 rather than nothing.
    for (const name of ['tsraft_server_has_leader', 'tsraft_server_term', 'tsraft_server_proposals_committed_total', 'tsraft_wal_cache_hits_total']) {
      assert.is(value(text, name), 0, name);
    }
  } finally {
    metrics.stop();
  }
});

test('the typed methods move the values', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  metrics.setLeader(true, true);
  metrics.leaderChanged();
  metrics.leaderChanged();
  metrics.proposalCommitted(5);
  metrics.proposalCommitted();
  metrics.proposalApplied(4);
  metrics.proposalFailed(2);
  metrics.proposalRetried();
  metrics.duplicateSkipped();
  metrics.duplicateSkipped();
  metrics.setPendingProposals(7);
  metrics.setIndices({ term: 3, commit: 10, applied: 9 });
  metrics.setIndices({ applied: 10 });
  metrics.observeFsync(0.0015625); // binary fractions, so the sum is exact
  metrics.observeFsync(0.03125);
  metrics.observeSnapshotSave(0.5);
  metrics.countCorruptSnapshot('received');
  metrics.countCorruptSnapshot('received');
  metrics.countCorruptSnapshot('sent');
  metrics.observePeerRtt('10.0.0.2:7001', 0.00025);
  metrics.observePeerRtt('10.0.0.3:7001', 0.004);
  metrics.observePeerRtt('10.0.0.3:7001', 0.006);
  let cache = { hits: 11, misses: 3 };
  metrics.setWalCacheSource(() => cache);
  for (const outcome of ['confirmed', 'confirmed', 'refused', 'timedOut', 'stopped'] as const) metrics.countRead('index', outcome);
  metrics.countRead('lease', 'timedOut');
  metrics.countRead('lease', 'timedOut');
  metrics.countLeaseReadFallback();

  let text = await metrics.text();
  const expect: Record<string, number> = {
    tsraft_server_has_leader: 1,
    tsraft_server_is_leader: 1,
    tsraft_server_leader_changes_seen_total: 2,
    tsraft_server_proposals_committed_total: 6,
    tsraft_server_proposals_applied_total: 4,
    tsraft_server_proposals_failed_total: 2,
    tsraft_server_proposals_retried_total: 1,
    tsraft_server_duplicate_commands_skipped_total: 2,
    tsraft_server_proposals_pending: 7,
    tsraft_server_term: 3,
    tsraft_server_commit_index: 10,
    tsraft_server_applied_index: 10,
    tsraft_disk_wal_fsync_duration_seconds_count: 2,
    tsraft_disk_wal_fsync_duration_seconds_sum: 0.0328125,
    'tsraft_disk_wal_fsync_duration_seconds_bucket{le="0.0008"}': 0,
    'tsraft_disk_wal_fsync_duration_seconds_bucket{le="0.0016"}': 1,
    'tsraft_disk_wal_fsync_duration_seconds_bucket{le="0.0256"}': 1,
    'tsraft_disk_wal_fsync_duration_seconds_bucket{le="0.0512"}': 2,
    'tsraft_disk_wal_fsync_duration_seconds_bucket{le="+Inf"}': 2,
    tsraft_snapshot_save_duration_seconds_count: 1,
    'tsraft_snapshot_corrupt_total{side="received"}': 2,
    'tsraft_snapshot_corrupt_total{side="sent"}': 1,
    'tsraft_network_peer_round_trip_time_seconds_count{to="10.0.0.2:7001"}': 1,
    'tsraft_network_peer_round_trip_time_seconds_count{to="10.0.0.3:7001"}': 2,
    'tsraft_network_peer_round_trip_time_seconds_bucket{le="0.0004",to="10.0.0.2:7001"}': 1,
    tsraft_wal_cache_hits_total: 11,
    tsraft_wal_cache_misses_total: 3,
    'tsraft_server_reads_total{consistency="index",outcome="confirmed"}': 2,
    'tsraft_server_reads_total{consistency="index",outcome="refused"}': 1,
    'tsraft_server_reads_total{consistency="index",outcome="timed_out"}': 1,
    'tsraft_server_reads_total{consistency="index",outcome="stopped"}': 1,
    'tsraft_server_reads_total{consistency="lease",outcome="confirmed"}': 0,
    'tsraft_server_reads_total{consistency="lease",outcome="timed_out"}': 2,
    tsraft_server_lease_read_fallbacks_total: 1,
  };
  for (const [series, v] of Object.entries(expect)) assert.is(value(text, series), v, series);

  metrics.setLeader(true, false);
  metrics.setPendingProposals(0);
  cache = { hits: 20, misses: 4 }; // the WAL's cumulative counts moved on
  metrics.forgetPeer('10.0.0.2:7001');
  text = await metrics.text();
  assert.is(value(text, 'tsraft_server_is_leader'), 0);
  assert.is(value(text, 'tsraft_server_has_leader'), 1);
  assert.is(value(text, 'tsraft_server_proposals_pending'), 0);
  assert.is(value(text, 'tsraft_wal_cache_hits_total'), 20);
  assert.is(value(text, 'tsraft_wal_cache_misses_total'), 4);
  metrics.countRead('lease', 'confirmed');
  assert.is(value(await metrics.text(), 'tsraft_server_reads_total{consistency="lease",outcome="confirmed"}'), 1, 'counts move on between scrapes');
  assert.is(value(await metrics.text(), 'tsraft_server_reads_total{consistency="index",outcome="confirmed"}'), 2, 'a scrape does not add to the counts');
  assert.not.match(text, /to="10\.0\.0\.2:7001"/, 'a forgotten peer has no series');
  assert.match(text, /to="10\.0\.0\.3:7001"/);

  // A WAL source that throws (closed WAL) or is detached leaves the last values; text() still works.
  metrics.setWalCacheSource(() => {
    throw new Error('wal closed');
  });
  assert.is(value(await metrics.text(), 'tsraft_wal_cache_hits_total'), 20);
  metrics.setWalCacheSource(undefined);
  assert.is(value(await metrics.text(), 'tsraft_wal_cache_misses_total'), 4);
  metrics.stop();
});

test('histogram buckets: fsync from 0.1 ms doubling to 6.5 s (etcd\'s range plus sub-millisecond SSD appends), peer RTT from 0.1 ms doubling', async () => {
  assert.is(FSYNC_BUCKETS.length, 17);
  assert.is(FSYNC_BUCKETS[0], 0.0001);
  FSYNC_BUCKETS.forEach((b, i) => assert.ok(Math.abs(b - 0.0001 * 2 ** i) < 1e-12, `bucket ${i}`));
  assert.is(PEER_RTT_BUCKETS[0], 0.0001);
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  const text = await metrics.text();
  for (const le of ['0.0001', '0.0002', '0.0004', '0.0008', '0.0016', '3.2768', '6.5536', '+Inf']) {
    assert.ok(samples(text).has(`tsraft_disk_wal_fsync_duration_seconds_bucket{le="${le}"}`), le);
  }
  metrics.stop();
});

test('two instances in one process do not collide; default labels mark each', async () => {
  const a = new RaftMetrics({ defaultLabels: { node: 'a:1' }, eventLoopDelay: false });
  const b = new RaftMetrics({ defaultLabels: { node: 'b:2' }, eventLoopDelay: false });
  a.setIndices({ term: 5 });
  a.proposalCommitted(3);
  b.setIndices({ term: 9 });
  b.observePeerRtt('a:1', 0.001);
  a.setWalCacheSource(() => ({ hits: 1, misses: 2 }));
  b.setWalCacheSource(() => ({ hits: 30, misses: 40 }));
  const [ta, tb] = await Promise.all([a.text(), b.text()]);
  assert.is(value(ta, 'tsraft_server_term{node="a:1"}'), 5);
  assert.is(value(tb, 'tsraft_server_term{node="b:2"}'), 9);
  assert.is(value(ta, 'tsraft_server_proposals_committed_total{node="a:1"}'), 3);
  assert.is(value(tb, 'tsraft_server_proposals_committed_total{node="b:2"}'), 0);
  assert.is(value(ta, 'tsraft_wal_cache_hits_total{node="a:1"}'), 1);
  assert.is(value(tb, 'tsraft_wal_cache_hits_total{node="b:2"}'), 30);
  assert.not.match(ta, /b:2/);
  assert.not.match(tb, /node="a:1"/);
  assert.is(value(tb, 'tsraft_network_peer_round_trip_time_seconds_count{node="b:2",to="a:1"}'), 1);
  assert.not.match(ta, /tsraft_network_peer_round_trip_time_seconds_count/);
  assert.is.not(a.registry, b.registry);
  a.stop();
  b.stop();
});

test('event-loop delay: p50, p99 and max are present and a blocked loop shows up', async () => {
  const metrics = new RaftMetrics({ eventLoopResolutionMs: 5 });
  assert.ok(metrics.monitoring);
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    await metrics.text(); // start a fresh window
    await new Promise((resolve) => setTimeout(resolve, 20));
    const until = performance.now() + 120;
    while (performance.now() < until) {
      // block the event loop
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    const s = samples(await metrics.text());
    for (const stat of ['p50', 'p99', 'max']) {
      const v = s.get(`tsraft_server_event_loop_delay_seconds{stat="${stat}"}`);
      assert.ok(v !== undefined && Number.isFinite(v) && v >= 0, `${stat} = ${v}`);
    }
    const max = s.get('tsraft_server_event_loop_delay_seconds{stat="max"}')!;
    assert.ok(max >= 0.08, `max delay ${max} s after blocking the loop for 120 ms`);
    assert.ok(max < 10, `max delay ${max} s is in seconds`);
  } finally {
    metrics.stop();
  }
  assert.not.ok(metrics.monitoring);
  metrics.stop(); // idempotent
  assert.ok((await metrics.text()).includes('tsraft_server_event_loop_delay_seconds{stat="max"}'), 'still exposed after stop');
});

test('event-loop monitoring can be turned off', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  assert.not.ok(metrics.monitoring);
  assert.is(value(await metrics.text(), 'tsraft_server_event_loop_delay_seconds{stat="p99"}'), 0);
  metrics.stop();
});

test('a process that creates metrics, scrapes and stops them exits on its own', async () => {
  const moduleUrl = new URL('../../src/metrics.ts', import.meta.url).href;
  const script = `
    const { RaftMetrics } = await import(${JSON.stringify(moduleUrl)});
    const m = new RaftMetrics({ defaultLabels: { node: 'child' } });
    m.observeFsync(0.003);
    await new Promise((r) => setTimeout(r, 50));
    const text = await m.text();
    m.stop();
    console.log(text.includes('tsraft_server_event_loop_delay_seconds{stat="p50",node="child"}') ? 'ok' : 'missing');
  `;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const result = await new Promise<{ code: number | null; out: string; timedOut: boolean }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, out, timedOut: true });
    }, 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut: false });
    });
  });
  assert.not.ok(result.timedOut, `the process did not exit: ${result.out}`);
  assert.is(result.code, 0, result.out);
  assert.is(result.out.trim(), 'ok');
});

test.run();
