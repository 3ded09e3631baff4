// README audit (Known limitations, "Without `capture`, requests wait for a snapshot save"): "a save
// longer than `requestTimeoutMs` times such requests out (`TimeoutError`, outcome unknown)"; and
// (API table, setSnapshot) "reads that need them wait".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TimeoutError } from '../../src/errors.js';
import { SetCommand, waitUntil, withSaveHeld } from '../support/node-cluster.js';

test('a write and a ReadIndex read that need entries committed during a held save time out (TimeoutError, outcome unknown; the read timedOut); the write applies once the save ends', async () => {
  await withSaveHeld({ requestTimeoutMs: 400 }, async (node, _c, release) => {
    const snap = node.snapshot();
    const started = performance.now();
    const write = node.do(new SetCommand('b', '2')).then(() => undefined, (e: unknown) => e);
    await waitUntil('b to commit', () => node.status().commitIndex > node.status().appliedIndex, 3000);
    const read = node.confirmRead('index');
    const err = await write;
    assert.ok(err instanceof TimeoutError, String(err));
    assert.is(err.outcomeUnknown, true);
    assert.ok(performance.now() - started >= 350, 'after requestTimeoutMs');
    assert.is(await read, 'timedOut');
    assert.is(node.context.data.get('b'), undefined, 'not applied while the save runs');
    release();
    assert.ok((await snap) >= 1);
    await waitUntil('b to apply after the save', () => node.context.data.get('b') === '2', 3000);
  });
});

test.run();
