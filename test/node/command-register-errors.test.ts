// registerCommand and do() misuse must give errors that name the actual mistake.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BadTypeIdError, NotRegisteredError } from '../../src/errors.js';
import { TestCluster } from '../support/node-cluster.js';

test('registerCommand: a static type given as a string ("1") or a bigint (1n) is refused with a message that shows it is not a number (not "got 1")', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    const node = await c.start(c.addresses[0]!);
    for (const type of ['1', 1n] as const) {
      const cls = class Wrong {
        static readonly type = type;
        do(): void {}
      };
      let err: unknown;
      try {
        node.registerCommand(cls as never);
      } catch (e) {
        err = e;
      }
      assert.instance(err, BadTypeIdError);
      assert.not.match((err as Error).message, /got 1$/, `the message hides the type id's type: ${(err as Error).message}`);
    }
  } finally {
    await c.close();
  }
});

test('do(null) / do(undefined) reject with NotRegisteredError naming the mistake, not a TypeError about reading "constructor"', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    await c.startAll();
    const node = await c.waitLeader();
    for (const command of [null, undefined]) {
      const err = await node.do(command as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.instance(err, NotRegisteredError, `do(${String(command)}) rejected with ${String(err)}`);
    }
  } finally {
    await c.close();
  }
});

test.run();
