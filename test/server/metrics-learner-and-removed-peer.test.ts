// A learner's metrics, and peer labels after a member is removed (real processes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, http, waitFor, type RaftProcess } from '../support/processes.js';
import { parseExposition, value, type Family } from '../support/prometheus-text.js';

async function scrape(n: RaftProcess): Promise<Map<string, Family>> {
  const r = await http(`${n.url}/metrics`);
  assert.is(r.status, 200);
  return parseExposition(r.text);
}
const put = (n: RaftProcess, k: string, v: string) => http(`${n.url}/kv/${k}`, { method: 'PUT', body: v });
const rttPeers = (f: Map<string, Family>) => [...new Set(f.get('tsraft_network_peer_round_trip_time_seconds')!.samples.map((s) => s.labels.to!))].sort();

test('a learner names the leader, is not leader, applies every write, sees one leader change', async () => {
  const c = await ProcessCluster.start(4, { nonVoting: [3] });
  try {
    const leader = await c.waitLeader();
    const learner = c.nodes[3]!;
    for (let i = 0; i < 15; i++) assert.is((await put(learner, `k${i}`, 'v')).status, 200);
    const target = (await leader.status())!.commitIndex;
    await waitFor('learner applied', async () => (await learner.status())?.appliedIndex === target);
    await new Promise((r) => setTimeout(r, 2000));
    const fams = await scrape(learner);
    const st = (await learner.status())!;
    assert.is(st.state, 'follower');
    assert.ok(st.members.find((m) => m.address === learner.peerAddress)?.nonVoting);
    assert.is(value(fams, 'tsraft_server_has_leader'), 1);
    assert.is(value(fams, 'tsraft_server_is_leader'), 0);
    assert.is(value(fams, 'tsraft_server_leader_changes_seen_total'), 1);
    assert.is(value(fams, 'tsraft_server_proposals_applied_total'), 15);
    assert.is(value(fams, 'tsraft_server_applied_index'), st.appliedIndex);
    assert.is(value(fams, 'tsraft_http_requests_total', { route: 'PUT /kv/{key}', code: '200' }), 15);
    assert.is(st.requests.writes, 15);
    const ls = (await leader.status())!;
    assert.is(ls.members.find((m) => m.address === learner.peerAddress)?.match, target, 'leader reports learner match');
  } finally {
    await c.close();
  }
});

test('a removed and stopped peer disappears from the others\' peer metrics (README: "its peer metrics go")', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    assert.is((await put(leader, 'a', '1')).status, 200);
    const [gone, stay] = c.nodes.filter((n) => n !== leader) as [RaftProcess, RaftProcess];
    const r = await http(`${leader.url}/members/${encodeURIComponent(gone.peerAddress)}`, { method: 'DELETE' });
    assert.is(r.status, 200, r.text);
    await gone.kill();
    assert.is((await put(leader, 'b', '2')).status, 200);
    // ten election timeouts of 500 ms, plus margin
    const deadline = Date.now() + 9000;
    let last: string[] = [];
    for (;;) {
      const peers = await Promise.all([leader, stay].map(async (n) => rttPeers(await scrape(n))));
      last = peers.flat();
      if (!last.includes(gone.peerAddress)) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.not.ok(last.includes(gone.peerAddress), `removed peer still labelled: ${last.join(' ')}`);
    const st = (await leader.status())!;
    assert.equal(st.members.map((m) => m.address).sort(), [leader.peerAddress, stay.peerAddress].sort());
  } finally {
    await c.close();
  }
});

test.run();
