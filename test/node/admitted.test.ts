// Node.admitted(): a program that starts a node with `join` learns when the cluster has taken it
// in (start() resolves once the node runs, long before). It resolves at once on a founding member,
// rejects before start() and when the node stops first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NotStartedError, StoppedError } from '../../src/index.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('admitted() resolves on a joiner once its addition is committed, and not before', async () => {
  const c = new TestCluster(3, { logLevel: 'error' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    const joinerAddress = await c.newAddress();
    // The joiner's requests cannot reach anyone until the cut heals: start() resolves, admitted() must not.
    for (const a of c.addresses) c.network.cut(joinerAddress, a);
    const joiner = await c.start(joinerAddress, { join: true, members: leader.address });
    let admitted = false;
    const admission = joiner.admitted().then(() => {
      admitted = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.is(admitted, false, 'not admitted while no member hears it');
    assert.not.ok(leader.members().some((m) => m.address === joinerAddress));
    c.network.heal();
    await admission;
    const committedHere = joiner.members().some((m) => m.address === joinerAddress);
    assert.ok(committedHere, 'the joiner is in its own committed configuration');
    await c.waitFor(() => leader.members().some((m) => m.address === joinerAddress), 3000, 'the leader to list the joiner');
    await c.waitFor(() => joiner.context.data.get('a') === '1', 5000, 'the joiner to catch up');
  } finally {
    await c.close();
  }
});

test('admitted() resolves at once on a founding member, rejects before start(), and rejects with StoppedError when the node stops first', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    let before: unknown;
    c.configure = (node) => {
      before = node.admitted().then(() => undefined, (e: unknown) => e);
    };
    const founder = await c.start(c.addresses[0]!);
    assert.instance(await before, NotStartedError);
    await c.waitLeader();
    await founder.admitted();
    // A joiner nobody answers (the only member is cut off from it), stopped while it asks.
    const joinerAddress = await c.newAddress();
    c.network.cut(joinerAddress, c.addresses[0]!);
    const joiner = await c.start(joinerAddress, { join: true, members: c.addresses[0]! });
    const pending = joiner.admitted().then(() => undefined, (e: unknown) => e);
    await c.stop(joinerAddress);
    const err = await pending;
    assert.instance(err, StoppedError);
    assert.match((err as Error).message, /stopped before it was admitted/);
  } finally {
    await c.close();
  }
});

test.run();
