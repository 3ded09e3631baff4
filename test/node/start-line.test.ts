// The line a node logs once started names its log's bounds, or says it is empty: a joiner's read
// "log [1, 0]", like a typo (README walkthrough).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCluster, waitUntil } from '../support/node-cluster.js';

test('a founding member logs its log bounds, a joiner that its log is empty', async () => {
  const lines: string[] = [];
  const c = new TestCluster(1, { logLevel: 'info', logger: (_level, line) => lines.push(line) });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    assert.ok(lines.some((l) => /started at term \d+, applied \d+, log \[1, 1\]$/.test(l)), lines.join('\n'));
    const joiner = 'n2:9002';
    await c.start(joiner, { join: true, members: c.addresses[0]! });
    assert.ok(lines.some((l) => /started at term 0, applied 0, log empty$/.test(l)), lines.join('\n'));
    await waitUntil('the joiner to be added', () => leader.members().length === 2, 5000);
  } finally {
    await c.close();
  }
});

test.run();
