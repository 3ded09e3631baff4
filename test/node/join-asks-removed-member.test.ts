// A joiner given only a removed member to ask (an outdated member list) says why it is not added.
// Before, it logged "asking n1 to add this node" once a minute and nothing else: the removed node
// answered "not the leader" with no leader to name, and the joiner asked it again, silently
// (found on an operator's run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, waitUntil } from '../support/node-cluster.js';

test('a joiner that asks a removed member is told it was removed and knows no leader, and says so', async () => {
  const c = new TestCluster(3, { logLevel: 'info' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    const removed = c.addresses.find((a) => a !== leader.address)!;
    await leader.leave(removed);
    const removedAt = await waitUntil('the member to learn of its removal', () => c.node(removed).status().removedAt, 5000);
    const lines: string[] = [];
    const joiner = await c.start(await c.newAddress(), { join: true, members: removed, logger: (level, line) => lines.push(`${level} ${line}`) });
    const said = await waitUntil('the joiner to say why', () => lines.find((l) => l.includes('did not add this node')), 5000);
    assert.is(said, `info ${removed} did not add this node (${removed} was removed from the cluster (at index ${removedAt}) and knows no leader: ask a current member); asking again`);
    // Once a minute, not at every attempt.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.is(lines.filter((l) => l.includes('did not add this node')).length, 1, lines.join('\n'));
    assert.is(joiner.status().commitIndex, 0, 'not added');
  } finally {
    await c.close();
  }
});

test.run();
