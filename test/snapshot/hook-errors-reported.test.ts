// User hooks that throw, and policies handed bad values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Readable, Writable } from 'node:stream';
import { CustomSync } from '../../src/snapshot/policy.js';
import { SetCommand, TestCluster, kvSnapshot } from '../support/node-cluster.js';

test('a save() that throws under a policy is logged as an error naming it, the node goes on serving, and snapshot() rejects with it', async () => {
  const lines: Array<[string, string]> = [];
  const c = new TestCluster(1, { logLevel: 'info', logger: (level, line) => lines.push([level, line]) });
  try {
    await c.startAll();
    const node = await c.waitLeader();
    const plain = kvSnapshot(node.context);
    let saves = 0;
    node.setSnapshot({
      async save(): Promise<void> {
        saves++;
        throw new Error('disk of the application is gone');
      },
      recover: plain.recover,
    });
    node.setSnapshotPolicy(CustomSync([{ seconds: 0, changes: 1 }]));
    await node.do(new SetCommand('a', '1'));
    await c.waitFor(() => lines.some(([lv, l]) => lv === 'error' && /disk of the application is gone/.test(l)), 3000, 'the failed save to be logged');
    assert.is(await node.do(new SetCommand('b', '2')), undefined);
    assert.is(node.context.data.get('b'), '2');
    try {
      await node.snapshot();
      assert.unreachable('snapshot() should reject');
    } catch (err) {
      assert.match(String((err as Error).message), /disk of the application is gone/);
    }
    assert.ok(saves >= 2);
  } finally {
    await c.close();
  }
});

test('a recover() that throws at start: start() rejects with an error that says a snapshot (which one) could not be recovered', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    await c.startAll();
    const node = await c.waitLeader();
    await node.do(new SetCommand('a', '1'));
    const index = await node.snapshot();
    const address = node.address;
    await c.stop(address);
    c.configure = (n) =>
      n.setSnapshot({
        save: (w: Writable) => kvSnapshot(n.context).save(w),
        async recover(r: Readable): Promise<void> {
          r.destroy();
          throw new Error('boom');
        },
      });
    let error: Error | undefined;
    try {
      await c.start(address);
    } catch (err) {
      error = err as Error;
    }
    assert.ok(error, 'start() rejects');
    // The failure of the application's own hook is reported bare ("boom"): nothing says a snapshot
    // (nor which file, index) was being recovered, unlike the follower's path ("recovering snapshot N
    // received from the leader failed: ...").
    assert.match(error!.message, new RegExp(`snapshot.*${index}|${index}.*snapshot`), `the error names the snapshot being recovered, got "${error!.message}"`);
  } finally {
    c.configure = undefined;
    await c.close();
  }
});

test('a save() that throws for a snapshot() call is logged as an error too (README: "A save that throws ... is logged as an error")', async () => {
  const lines: Array<[string, string]> = [];
  const c = new TestCluster(1, { logLevel: 'info', logger: (level, line) => lines.push([level, line]) });
  try {
    await c.startAll();
    const node = await c.waitLeader();
    const plain = kvSnapshot(node.context);
    node.setSnapshot({ save: () => Promise.reject(new Error('save failed on request')), recover: plain.recover });
    await node.do(new SetCommand('a', '1'));
    await node.snapshot().then(
      () => assert.unreachable('snapshot() should reject'),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(lines.some(([lv, l]) => lv === 'error' && /save failed on request/.test(l)), 'the failed save is logged at error level');
  } finally {
    await c.close();
  }
});

test.run();
