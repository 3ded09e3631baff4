// Leader transfer counted once on every member; a removed (still running) member's
// /status and metrics (real processes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, http, waitFor, type RaftProcess } from '../support/processes.js';
import { parseExposition, value, type Family } from '../support/prometheus-text.js';

async function scrape(n: RaftProcess): Promise<Map<string, Family>> {
  const r = await http(`${n.url}/metrics`);
  assert.is(r.status, 200);
  return parseExposition(r.text);
}

test('a leader transfer is one leader change on every member; is_leader follows', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    const to = c.nodes.find((n) => n !== leader)!;
    const r = await http(`${leader.url}/leader/transfer`, { method: 'POST', body: JSON.stringify({ address: to.peerAddress }) });
    assert.is(r.status, 200, r.text);
    assert.is((await c.waitLeader()).peerAddress, to.peerAddress);
    await new Promise((res) => setTimeout(res, 1000));
    for (const n of c.nodes) {
      const f = await scrape(n);
      assert.is(value(f, 'tsraft_server_leader_changes_seen_total'), 2, n.peerAddress);
      assert.is(value(f, 'tsraft_server_is_leader'), n === to ? 1 : 0);
      assert.is(value(f, 'tsraft_server_term'), (await n.status())!.term);
    }
  } finally {
    await c.close();
  }
});

test('a removed member that keeps running: /status and metrics agree it has no leader role in the cluster', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    const gone = c.nodes.find((n) => n !== leader)!;
    const r = await http(`${leader.url}/members/${encodeURIComponent(gone.peerAddress)}`, { method: 'DELETE' });
    assert.is(r.status, 200, r.text);
    const st = await waitFor('removed', async () => { const s = await gone.status(); return s?.removedAt ? s : undefined; });
    await new Promise((res) => setTimeout(res, 1500));
    const s2 = (await gone.status())!;
    const f = await scrape(gone);
    assert.ok(st.removedAt! > 0);
    assert.ok(!s2.members.some((m) => m.address === gone.peerAddress));
    assert.is(value(f, 'tsraft_server_applied_index'), s2.appliedIndex);
    assert.is(value(f, 'tsraft_server_has_leader'), s2.leader ? 1 : 0, 'has_leader agrees with /status leader');
  } finally {
    await c.close();
  }
});

test.run();
