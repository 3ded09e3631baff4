// a command's do() that throws a value that is not an Error (legal JavaScript).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node } from '../../src/node.js';
import { StoppedError } from '../../src/errors.js';
import { SetCommand, TestCluster, withOneMember, type Kv } from '../support/node-cluster.js';

/** Throws whatever `value` holds (null, undefined, 0, '' ...) after recording that it ran. */
class ThrowValue {
  static readonly type = 41;
  constructor(readonly what: 'null' | 'zero' | 'empty') {}
  do(kv: Kv): string {
    kv.log.push(`throw ${this.what}`);
    // eslint-disable-next-line no-throw-literal
    throw this.what === 'null' ? null : this.what === 'zero' ? 0 : '';
  }
}

/** A started one-member cluster that knows ThrowValue. */
const withNode = (body: (node: Node<Kv>, c: TestCluster) => Promise<void>): Promise<void> =>
  withOneMember({ requestTimeoutMs: 2000 }, body, (n) => n.registerCommand(ThrowValue));

test('a command whose do() throws null rejects that do() and the node keeps running (not a fatal stop of every member)', async () => {
  await withNode(async (node) => {
    let fatal: Error | undefined;
    node.onFatal((err) => (fatal = err));
    const outcome = await node.do(new ThrowValue('null')).then(
      (v) => ({ resolved: v }),
      (e: unknown) => ({ rejected: e }),
    );
    assert.is(fatal, undefined, `the node stopped itself: ${fatal?.message}`);
    assert.ok('rejected' in outcome && !(outcome.rejected instanceof StoppedError), `do() should reject with what do() threw (or an error wrapping it), got ${String((outcome as { rejected?: unknown }).rejected)}`);
    // The node goes on applying.
    assert.is(await node.do(new SetCommand('after', 'yes')), undefined);
  });
});

for (const what of ['zero', 'empty'] as const) {
  test(`a command whose do() throws a falsy value (${what}) rejects that do(), it does not resolve as if it succeeded`, async () => {
    await withNode(async (node) => {
      const outcome = await node.do(new ThrowValue(what)).then(
        (v) => ({ resolved: v }),
        (e: unknown) => ({ rejected: e }),
      );
      assert.ok('rejected' in outcome, `do() threw ${what === 'zero' ? '0' : "''"} but node.do() resolved with ${JSON.stringify(outcome)}`);
    });
  });
}

test.run();
