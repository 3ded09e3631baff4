// a non-voting member's leader gauge and /status once the cluster has no
// leader. Voters drop the dead leader within an election timeout (they campaign); a non-voting
// member never campaigns and goes on naming the dead leader for good.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';
import { metricValue } from '../support/prometheus.js';

test('a non-voting member stops reporting a leader once the cluster has none (has_leader, /status leader)', async () => {
  const members = 'n1:9101;n2:9102;n3:9103;n4:9104,true';
  const c = await KvCluster.start(4, { members });
  try {
    const leader = await c.waitLeader();
    const learner = c.members.get('n4:9104')!;
    assert.ok(learner.node.members().find((m) => m.address === learner.address)?.nonVoting, 'n4 is non-voting');
    // Quorum lost: the leader and one more voter stop; the last voter cannot win an election.
    const voter = c.addresses.find((a) => a !== leader.address && a !== learner.address)!;
    await c.stopNode(leader.address);
    await c.stopNode(voter);
    const survivor = [...c.members.values()].find((m) => m.address !== learner.address)!;
    // Five election timeouts (200 ms each): every voter knows there is no leader by now.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.is(survivor.node.leader, undefined, 'the surviving voter knows there is no leader');
    assert.is(metricValue(await survivor.node.metrics(), 'tsraft_server_has_leader'), 0);
    const status = JSON.parse((await raw(learner.url, 'GET', '/status')).text) as { leader: unknown };
    const metrics = (await raw(learner.url, 'GET', '/metrics')).text;
    assert.is(status.leader, null, `learner /status names a stopped leader: ${JSON.stringify(status.leader)}`);
    assert.is(metricValue(metrics, 'tsraft_server_has_leader'), 0, 'learner tsraft_server_has_leader');
  } finally {
    await c.close();
  }
});

test.run();
