// Mutation review of the session check (src/node.ts, applyCommand): a command whose do() threw
// applied all the same (its changes before the throw stand, and whether it throws may depend on
// the state: a compare-and-set that failed may succeed later). A copy of it (the proposal proposed
// again after a leader failure, both copies committed) must not run again: it answers with the
// first copy's error. If the thrown outcome is not recorded in the session, the copy runs again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node } from '../../src/node.js';
import { TestCluster, type Kv } from '../support/node-cluster.js';

/** Notes that it ran, then throws (a failed check after a partial change, say). */
class Boom {
  static readonly type = 2;
  constructor(readonly tag: string) {}
  do(kv: Kv): never {
    kv.log.push(`boom ${this.tag}`);
    throw new Error(`boom ${this.tag}`);
  }
}

/** Proposes `command` with this node's own session and sequence number `seq` (a copy when repeated). */
function proposeCopy(node: Node<Kv>, command: Boom, seq: number): Promise<{ result: unknown; index: number }> {
  const inner = node as unknown as {
    proposer: { session: number };
    registry: { encode(c: Boom, session: { session: number; seq: number; floor: number }): Uint8Array };
    submit(op: { op: 'propose'; data: Uint8Array; address: string }): Promise<{ result: unknown; index: number }>;
  };
  const data = inner.registry.encode(command, { session: inner.proposer.session, seq, floor: 1 });
  return inner.submit({ op: 'propose', data, address: '' });
}

test('a copy of a proposal whose command threw does not run again: it answers with the first error', async () => {
  const c = new TestCluster(1, { logLevel: 'silent', heartbeatMs: 20, electionTimeoutMs: 200 });
  c.configure = (node) => node.registerCommand(Boom);
  try {
    await c.startAll();
    const node = await c.waitLeader();
    const first = await proposeCopy(node, new Boom('a'), 1_000_000).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(first instanceof Error && first.message === 'boom a', `the first copy threw (${String(first)})`);
    const again = await proposeCopy(node, new Boom('a'), 1_000_000).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.equal(node.context.log.filter((l) => l === 'boom a'), ['boom a'], 'do() ran once for the two copies');
    assert.ok(again instanceof Error && again.message === 'boom a', `the copy answers with the first error (${String(again)})`);
  } finally {
    await c.close();
  }
});

test.run();
