// /metrics and /status against a real 3-process raft-node cluster.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, http, waitFor, type RaftProcess } from '../support/processes.js';
import type { NodeStatus } from '../../src/server/status.js';
import { parseExposition, value, type Family } from '../support/prometheus-text.js';

async function scrape(n: RaftProcess): Promise<Map<string, Family>> {
  const r = await http(`${n.url}/metrics`);
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(r.text);
}
const put = (n: RaftProcess, k: string, v: string) => http(`${n.url}/kv/${k}`, { method: 'PUT', body: v });

const DOCUMENTED: Array<[string, string, string[]]> = [
  ['tsraft_server_has_leader', 'gauge', []],
  ['tsraft_server_is_leader', 'gauge', []],
  ['tsraft_server_leader_changes_seen_total', 'counter', []],
  ['tsraft_server_proposals_committed_total', 'counter', []],
  ['tsraft_server_proposals_applied_total', 'counter', []],
  ['tsraft_server_proposals_failed_total', 'counter', []],
  ['tsraft_server_proposals_retried_total', 'counter', []],
  ['tsraft_server_duplicate_commands_skipped_total', 'counter', []],
  ['tsraft_server_proposals_pending', 'gauge', []],
  ['tsraft_server_term', 'gauge', []],
  ['tsraft_server_commit_index', 'gauge', []],
  ['tsraft_server_applied_index', 'gauge', []],
  ['tsraft_disk_wal_fsync_duration_seconds', 'histogram', []],
  ['tsraft_wal_cache_hits_total', 'counter', []],
  ['tsraft_wal_cache_misses_total', 'counter', []],
  ['tsraft_wal_size_bytes', 'gauge', []],
  ['tsraft_wal_segments', 'gauge', []],
  ['tsraft_snapshot_bytes', 'gauge', []],
  ['tsraft_snapshot_save_duration_seconds', 'histogram', []],
  ['tsraft_snapshot_corrupt_total', 'counter', ['side']],
  ['tsraft_network_peer_round_trip_time_seconds', 'histogram', ['to']],
  ['tsraft_server_event_loop_delay_seconds', 'gauge', ['stat']],
  ['tsraft_server_reads_total', 'counter', ['consistency', 'outcome']],
  ['tsraft_server_lease_read_fallbacks_total', 'counter', []],
  ['tsraft_server_proposal_duration_seconds', 'histogram', []],
  ['tsraft_server_apply_batch_duration_seconds', 'histogram', []],
  ['tsraft_server_follower_lag_entries', 'gauge', ['to']],
  ['tsraft_server_follower_last_contact_seconds', 'gauge', ['to']],
  ['tsraft_snapshot_transfers_started_total', 'counter', []],
  ['tsraft_snapshot_install_duration_seconds', 'histogram', []],
  ['tsraft_network_peer_sent_bytes_total', 'counter', ['to']],
  ['tsraft_network_peer_received_bytes_total', 'counter', ['from']],
  ['tsraft_network_peer_sent_messages_total', 'counter', ['to']],
  ['tsraft_network_peer_received_messages_total', 'counter', ['from']],
  ['tsraft_network_peer_dropped_messages_total', 'counter', ['to']],
  ['tsraft_network_peer_decode_errors_total', 'counter', ['from']],
  ['tsraft_network_peer_reconnects_total', 'counter', ['to']],
  ['tsraft_network_peer_connected', 'gauge', ['to']],
  ['tsraft_network_peer_queued_messages', 'gauge', ['to']],
  ['tsraft_network_peer_queued_bytes', 'gauge', ['to']],
  ['tsraft_network_rejected_streams_total', 'counter', []],
  ['tsraft_network_unknown_peer_messages_total', 'counter', []],
  ['tsraft_network_undecodable_frames_total', 'counter', []],
  ['tsraft_http_requests_total', 'counter', ['route', 'code']],
  ['process_resident_memory_bytes', 'gauge', []],
  ['process_cpu_seconds_total', 'counter', []],
  ['nodejs_heap_size_used_bytes', 'gauge', []],
  ['nodejs_external_memory_bytes', 'gauge', []],
  ['nodejs_gc_duration_seconds', 'histogram', ['kind']],
];

test('documented metrics exist with their types and labels; N writes count N on every node; gauges equal /status', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    const N = 37;
    for (let i = 0; i < N; i++) assert.is((await put(leader, `k${i}`, 'v')).status, 200);
    const target = (await leader.status())!.commitIndex;
    await waitFor('all applied', async () => (await Promise.all(c.nodes.map((n) => n.status()))).every((s) => s?.appliedIndex === target));
    // A peer appears in the round-trip histogram at its first pong. A member that started before
    // another dials it with a backoff of up to 2 s, so on a slow machine the 37 writes can be
    // applied before that link is up (CI failed once here: a follower without its sibling).
    const othersOf = (n: RaftProcess) => c.nodes.filter((m) => m !== n).map((m) => m.peerAddress).sort();
    const rttPeersOf = async (n: RaftProcess) => [...new Set((await scrape(n)).get('tsraft_network_peer_round_trip_time_seconds')?.samples.map((s) => s.labels.to) ?? [])].sort();
    await waitFor('a round trip to every peer on every node', async () => {
      for (const n of c.nodes) if (JSON.stringify(await rttPeersOf(n)) !== JSON.stringify(othersOf(n))) return false;
      return true;
    });
    for (const n of c.nodes) {
      const fams = await scrape(n);
      const st = (await n.status())!;
      for (const [name, type, labels] of DOCUMENTED) {
        const f = fams.get(name);
        assert.ok(f, `${n.peerAddress}: ${name} missing`);
        assert.is(f!.type, type, `${name} type`);
        for (const s of f!.samples) {
          const names = Object.keys(s.labels).filter((l) => l !== 'le');
          assert.equal(names.sort(), [...labels].sort(), `${s.raw}: labels`);
        }
      }
      assert.is(value(fams, 'tsraft_server_proposals_committed_total'), N, `${n.peerAddress} committed`);
      assert.is(value(fams, 'tsraft_server_proposals_applied_total'), N, `${n.peerAddress} applied`);
      assert.is(value(fams, 'tsraft_server_commit_index'), st.commitIndex, 'commit index = /status');
      assert.is(value(fams, 'tsraft_server_applied_index'), st.appliedIndex, 'applied index = /status');
      assert.is(value(fams, 'tsraft_server_term'), st.term, 'term = /status');
      assert.is(value(fams, 'tsraft_server_has_leader'), 1);
      assert.is(value(fams, 'tsraft_server_is_leader'), n === leader ? 1 : 0);
      assert.is(value(fams, 'tsraft_server_leader_changes_seen_total'), 1, `${n.peerAddress} leader changes`);
      assert.is(value(fams, 'tsraft_server_proposals_pending'), 0);
      const puts = value(fams, 'tsraft_http_requests_total', { route: 'PUT /kv/{key}', code: '200' }) ?? 0;
      assert.is(puts, n === leader ? N : 0);
      assert.is(st.requests.writes, puts, '/status requests.writes = PUT 200s');
      assert.equal(
        fams.get('tsraft_server_follower_lag_entries')!.samples.map((s) => s.labels.to).sort(),
        n === leader ? othersOf(n) : [],
        'lag series: the leader\'s followers, none on a follower',
      );
      assert.is(value(fams, 'tsraft_server_proposal_duration_seconds_count'), n === leader ? N : 0, 'PUTs timed where proposed');
      assert.ok(value(fams, 'tsraft_wal_size_bytes')! > N, `${n.peerAddress}: the WAL holds the ${N} writes`);
      assert.ok(value(fams, 'tsraft_wal_segments')! >= 1, `${n.peerAddress}: WAL segments`);
      const peers = fams.get('tsraft_network_peer_round_trip_time_seconds')!.samples.map((s) => s.labels.to);
      assert.equal([...new Set(peers)].sort(), othersOf(n), 'rtt peers = the others');
      // /status self-consistency
      assert.ok(st.firstIndex <= st.appliedIndex + 1 && st.appliedIndex <= st.commitIndex && st.commitIndex <= st.lastIndex, JSON.stringify(st));
      assert.is(st.keys, N);
      assert.is(st.members.length, 3);
    }
    const sts = (await Promise.all(c.nodes.map((n) => n.status()))) as NodeStatus[];
    assert.is(new Set(sts.map((s) => s.digest)).size, 1, 'same digest');
    assert.is(new Set(sts.map((s) => s.term)).size, 1, 'same term');
    assert.is(new Set(sts.map((s) => JSON.stringify(s.leader))).size, 1, 'same leader');
  } finally {
    await c.close();
  }
});

test('leader_changes_seen_total counts one change per survivor when the leader dies', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    assert.is((await put(leader, 'a', '1')).status, 200);
    await leader.kill();
    const next = await c.waitLeader();
    await new Promise((r) => setTimeout(r, 1500));
    for (const n of c.nodes.filter((m) => m.running)) {
      const fams = await scrape(n);
      assert.is(value(fams, 'tsraft_server_leader_changes_seen_total'), 2, `${n.peerAddress}${n === next ? ' (new leader)' : ''}`);
      assert.is(value(fams, 'tsraft_server_is_leader'), n === next ? 1 : 0);
      assert.is(value(fams, 'tsraft_server_has_leader'), 1);
    }
  } finally {
    await c.close();
  }
});

test('after a restart, counters and gauges are sane', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    for (let i = 0; i < 10; i++) assert.is((await put(leader, `k${i}`, 'v')).status, 200);
    const f = c.nodes.find((n) => n !== leader)!;
    await f.kill();
    f.start();
    await c.waitLeader();
    const target = (await leader.status())!.commitIndex;
    await waitFor('restarted follower applied', async () => (await f.status())?.appliedIndex === target);
    const after = await scrape(f);
    const st = (await f.status())!;
    assert.is(value(after, 'tsraft_server_commit_index'), st.commitIndex);
    assert.is(value(after, 'tsraft_server_applied_index'), st.appliedIndex);
    assert.is(value(after, 'tsraft_server_term'), st.term);
    assert.is(value(after, 'tsraft_server_has_leader'), 1);
    assert.is(value(after, 'tsraft_server_leader_changes_seen_total'), 1);
  } finally {
    await c.close();
  }
});

test.run();
