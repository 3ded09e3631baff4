// A Node runs once: start() after stop() says so and what to do instead (it said "start() called
// twice"), and a new Node over the same data directory starts with everything the first applied.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('start() after stop() is refused naming the way to restart; a new Node over the directory carries on', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    const address = c.addresses[0]!;
    const first = await c.start(address);
    await c.waitLeader();
    await first.do(new SetCommand('a', '1'));
    await c.stop(address);
    const err = await first.start().catch((e: Error) => e);
    assert.instance(err, Error);
    assert.match((err as Error).message, /^start\(\) after stop\(\): a Node runs once; create a new Node/);
    const second = await c.start(address);
    await c.waitFor(() => second.context.data.get('a') === '1', 5000, 'the new Node to replay a=1');
  } finally {
    await c.close();
  }
});

test.run();
