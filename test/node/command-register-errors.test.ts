// registerCommand and do() misuse must give errors that name the actual mistake.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BadTypeIdError, NotRegisteredError } from '../../src/errors.js';
import { msgpackCodec } from '../../src/codec.js';
import type { Node } from '../../src/node.js';
import { SetCommand, TestCluster, type Kv } from '../support/node-cluster.js';

test('registerCommand and setCodec are refused while the node starts, runs or stops', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    const calls: Array<[string, (n: Node<Kv>) => void]> = [
      ['registerCommand()', (n) => n.registerCommand(SetCommand)],
      ['setCodec()', (n) => n.setCodec(msgpackCodec)],
    ];
    // Called right after start() began (configure runs just before it): the node is starting.
    const whileStarting: string[] = [];
    c.configure = (n) =>
      queueMicrotask(() => {
        for (const [name, call] of calls) {
          try {
            call(n);
            whileStarting.push(`${name} accepted`);
          } catch (e) {
            whileStarting.push((e as Error).message);
          }
        }
      });
    const started = c.start(c.addresses[0]!);
    const node = await started;
    assert.is(whileStarting.length, 2);
    assert.match(whileStarting[0]!, /^registerCommand\(\) must be called before start\(\)/);
    assert.match(whileStarting[1]!, /^setCodec\(\) must be called before start\(\)/);
    for (const [name, call] of calls) assert.throws(() => call(node), /must be called before start\(\)/, `${name} while running`);
    const stopping = node.stop();
    for (const [name, call] of calls) assert.throws(() => call(node), /must be called before start\(\)/, `${name} while stopping`);
    await stopping;
  } finally {
    await c.close();
  }
});

test('setCodec refuses a value that is not a codec, naming what it lacks', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    const errors: string[] = [];
    // The last three lack a name (members announce and compare it): their announcements would
    // fail every peer's check of the message.
    const unnamed = [undefined, 7, ''].map((name) => ({ name, encode: () => new Uint8Array(0), decode: () => ({}) }));
    c.configure = (node) => {
      for (const codec of [{}, 'msgpack', { encode() {} }, ...unnamed]) {
        try {
          node.setCodec(codec as never);
        } catch (e) {
          errors.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    };
    await c.start(c.addresses[0]!);
    assert.is(errors.length, 6, errors.join('\n'));
    for (const e of errors.slice(0, 3)) assert.match(e, /^TypeError: setCodec: the codec must be an object with encode, decode methods/);
    for (const e of errors.slice(3)) assert.match(e, /^TypeError: setCodec: the codec must have a name \(a non-empty string, which members compare\)/);
  } finally {
    await c.close();
  }
});

test('registerCommand: a static type given as a string ("1") or a bigint (1n) is refused with a message that shows it is not a number (not "got 1")', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    const errors: unknown[] = [];
    c.configure = (node) => {
      for (const type of ['1', 1n] as const) {
        const cls = class Wrong {
          static readonly type = type;
          do(): void {}
        };
        try {
          node.registerCommand(cls as never);
        } catch (e) {
          errors.push(e);
        }
      }
    };
    await c.start(c.addresses[0]!);
    assert.is(errors.length, 2);
    for (const err of errors) {
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
