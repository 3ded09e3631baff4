// A command whose do() throws one of tsraft's own "retriable" error classes (ProposalDroppedError,
// or NotLeaderError with outcomeUnknown) was taken for a replication failure and proposed again
// and again until requestTimeoutMs, though it applied at the first attempt (found in review).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NotLeaderError, ProposalDroppedError } from '../../src/errors.js';
import { TestCluster, type Kv } from '../support/node-cluster.js';

class Refuse {
  static readonly type = 77;
  do(kv: Kv): never {
    kv.log.push('refuse');
    throw new ProposalDroppedError('the application refuses this command');
  }
}

test('a command that throws ProposalDroppedError rejects at once, its entry appended once', async () => {
  const c = new TestCluster(1, { logLevel: 'silent', requestTimeoutMs: 1500 });
  c.configure = (n) => n.registerCommand(Refuse);
  try {
    await c.startAll();
    const node = await c.waitLeader();
    const before = node.status().lastIndex;
    const t0 = performance.now();
    const err = (await node.do(new Refuse()).catch((e: Error) => e)) as ProposalDroppedError;
    const ms = performance.now() - t0;
    const appended = node.status().lastIndex - before;
    console.log(`appended ${appended} entries, answered after ${ms.toFixed(0)} ms: ${err.message}`);
    assert.ok(err instanceof ProposalDroppedError, String(err));
    assert.is(err.outcomeUnknown, false, `the command applied; told outcome unknown: ${err.message}`);
    assert.is(appended, 1, `entries appended for one do(): ${appended} (in ${ms.toFixed(0)} ms)`);
    assert.ok(ms < 500, `answered after ${ms.toFixed(0)} ms`);
  } finally {
    await c.close();
  }
});

/** A command whose state machine reports an in-doubt NotLeaderError of its own (e.g. rethrown from a nested client). */
class RelayedNotLeader {
  static readonly type = 78;
  do(kv: Kv): never {
    kv.log.push('relayed');
    throw Object.assign(new NotLeaderError(undefined, 'downstream service: not the leader'), { outcomeUnknown: true });
  }
}

test('a forwarded command that throws an in-doubt NotLeaderError applies once and answers once', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 1500 });
  c.configure = (n) => n.registerCommand(RelayedNotLeader);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    const before = leader.status().lastIndex;
    const t0 = performance.now();
    const err = (await follower.do(new RelayedNotLeader()).catch((e: Error) => e)) as NotLeaderError;
    const ms = performance.now() - t0;
    const appended = leader.status().lastIndex - before;
    console.log(`forwarded: appended ${appended} entries, answered after ${ms.toFixed(0)} ms: ${err.message}`);
    assert.is(appended, 1, `entries appended for one do(): ${appended}`);
    assert.ok(ms < 500, `answered after ${ms.toFixed(0)} ms`);
  } finally {
    await c.close();
  }
});

test.run();
