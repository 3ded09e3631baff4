// README audit (API table, `isRemoved()`): "it no longer campaigns, `do()`, `join()`, `leave()` and
// `transferLeadership()` reject with `RemovedError` and reads are refused". removed-member.test.ts
// pins do() and a ReadIndex read; this pins join(), leave() (of itself and of another member),
// transferLeadership() and lease reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RemovedError } from '../../src/errors.js';
import { SetCommand, TestCluster, retryInFlight } from '../support/node-cluster.js';

test('a removed member: join(), leave() and transferLeadership() reject with RemovedError; lease reads are refused', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    const gone = c.node(c.addresses.find((a) => a !== leader.address)!);
    const other = c.addresses.find((a) => a !== leader.address && a !== gone.address)!;
    await c.waitFor(() => gone.context.data.get('a') === '1', 5000, 'the follower to apply a');
    await retryInFlight(() => leader.leave(gone.address));
    await c.waitFor(() => gone.isRemoved(), 5000, 'the removed follower to learn it');
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['join() of a new address', () => gone.join({ address: 'n9:9009' })],
      ['leave() of itself', () => gone.leave(gone.address)],
      ['leave() of another member', () => gone.leave(other)],
      ['transferLeadership() to the leader', () => gone.transferLeadership(leader.address)],
      ['transferLeadership() to another member', () => gone.transferLeadership(other)],
    ];
    for (const [what, call] of calls) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof RemovedError, `${what}: ${String(err)}`);
    }
    assert.is(await gone.confirmRead('lease'), 'refused');
    assert.is(await gone.leaseRead(), false);
    assert.is(leader.members().length, 2, 'nothing changed');
    assert.ok(leader.isLeader());
  } finally {
    await c.close();
  }
});

test.run();
