// leaderWaitMs 0 refuses at once: the test of that in leader-wait.test.ts checks the error's class
// only, which a node still waiting 1.5 s for a leader passed (a test audit). Here the refusal comes
// well within that (a generous bound: no I/O is involved).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NotLeaderError } from '../../src/errors.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('leaderWaitMs 0: a write and a read on a node that knows no leader are refused at once, not after a wait for a leader', async () => {
  const c = new TestCluster(3, { logLevel: 'error', heartbeatMs: 20, electionTimeoutMs: 200, leaderWaitMs: 0, requestTimeoutMs: 5000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    const alone = c.node(c.addresses.find((a) => a !== leader.address)!);
    for (const a of c.addresses.filter((x) => x !== alone.address)) await c.stop(a);
    await c.waitFor(() => alone.leader === undefined, 5000, 'the last node to know no leader');
    let started = performance.now();
    const err = await alone.do(new SetCommand('b', '2')).catch((e: Error) => e);
    const writeMs = performance.now() - started;
    assert.ok(err instanceof NotLeaderError && err.leader === undefined, String(err));
    assert.ok(writeMs < 1000, `the write was refused after ${writeMs.toFixed(0)} ms, not at once`);
    started = performance.now();
    assert.is(await alone.confirmRead('lease'), 'refused');
    assert.is(await alone.confirmRead('index'), 'refused');
    const readMs = performance.now() - started;
    assert.ok(readMs < 1000, `the reads were refused after ${readMs.toFixed(0)} ms, not at once`);
  } finally {
    await c.close();
  }
});

test.run();
