// A command too large for one peer message is refused before it is appended, with an error
// naming the limit, and the node goes on serving (found in review: such an entry was appended,
// could never be sent, and every later write waited behind it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_COMMAND_BYTES } from '../../src/node.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('a command larger than an entry may hold is refused with a RangeError; later writes go on', async () => {
  const c = new TestCluster(3, { logLevel: 'error' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const huge = 'x'.repeat(MAX_COMMAND_BYTES + 1);
    const refused = await leader.do(new SetCommand('big', huge)).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.instance(refused, RangeError);
    assert.match(refused!.message, `more than the ${MAX_COMMAND_BYTES} bytes an entry may hold`);
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    await follower.do(new SetCommand('k', 'v'));
    await c.waitFor(() => leader.context.data.get('k') === 'v', 5000, 'a later write applied');
    assert.is(leader.context.data.get('big'), undefined);
  } finally {
    await c.close();
  }
});

test.run();
