// POST /leader/transfer answered by a follower, with --leader-wait 0ms (real processes). The old
// leader answered a forwarded transfer as soon as it stepped down, before it knew the new leader;
// the asker, finding no leader and told to wait for none, answered 503 "not applied" although the
// transfer had taken place (found in review). The old leader now waits up to an election timeout
// to learn the new leader, and a transfer that ends in doubt is judged by whether the target leads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, http } from '../support/processes.js';

test('--leader-wait 0ms: a transfer sent to the target (a follower) that succeeds is not answered 503 "not applied"', async () => {
  const c = await ProcessCluster.start(3, { args: ['--leader-wait', '0ms'] });
  try {
    const leader = await c.waitLeader();
    const target = c.nodes.find((n) => n !== leader)!;
    const r = await http(`${target.url}/leader/transfer`, { method: 'POST', body: JSON.stringify({ address: target.peerAddress }) });
    const now = await c.waitLeader();
    assert.is(now.peerAddress, target.peerAddress, 'the transfer took place');
    assert.is(r.status, 200, `the transfer took place, yet it was answered ${r.status} ${r.text}`);
    assert.equal(r.json(), { leader: target.peerAddress });
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test.run();
