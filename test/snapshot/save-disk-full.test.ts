// A snapshot file that cannot be written (ENOSPC) must "stop nothing"
// (README, setSnapshot row): snapshot() rejects with the error, the log is kept, and the node goes
// on applying. The application's save here is the README's own example (write; on false wait for
// 'drain'; end): once the snapshot writer fails, 'drain' never comes, the save never returns, and
// the node holds every later apply behind it forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { SetCommand, TestCluster, kvSnapshot } from '../support/node-cluster.js';

/** Makes the next FileHandle.write calls fail with ENOSPC while `armed()` says so (the seam: every snapshot byte goes through fh.write). */
async function injectEnospc(armed: () => boolean, fired: () => void): Promise<() => void> {
  const probe = join(tmpdir(), `tsraft-enospc-probe-${process.pid}`);
  const fh = await open(probe, 'w');
  const proto = Object.getPrototypeOf(fh) as { write: (...args: unknown[]) => Promise<unknown> };
  await fh.close();
  await rm(probe, { force: true });
  const original = proto.write;
  proto.write = function (this: unknown, ...args: unknown[]) {
    if (armed()) {
      fired();
      const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      return Promise.reject(err);
    }
    return original.apply(this, args);
  };
  return () => {
    proto.write = original;
  };
}

const settleWithin = <T>(p: Promise<T>, ms: number): Promise<{ settled: boolean; value?: T; error?: unknown }> =>
  Promise.race([
    p.then(
      (value) => ({ settled: true, value }),
      (error: unknown) => ({ settled: true, error }),
    ),
    new Promise<{ settled: boolean }>((resolve) => setTimeout(() => resolve({ settled: false }), ms).unref()),
  ]);

test('ENOSPC while a snapshot is written, with the README save example: snapshot() rejects and the node goes on applying writes', async () => {
  let armed = false;
  let injected = 0;
  const restore = await injectEnospc(
    () => armed,
    () => {
      injected++;
      armed = false; // one failure is enough
    },
  );
  const c = new TestCluster(1, { logLevel: 'silent', requestTimeoutMs: 1500 });
  let giveUp = false;
  let writer: Writable | undefined;
  try {
    await c.startAll();
    const node = await c.waitLeader();
    await node.do(new SetCommand('before', '1'));
    // The state is 4 MiB: more than the snapshot writer's buffer, so the README's save waits for 'drain'.
    const state = new Map<string, string>();
    for (let i = 0; i < 4096; i++) state.set(`k${i}`, 'x'.repeat(1024));
    const plain = kvSnapshot(node.context);
    node.setSnapshot({
      // README "The Node API" example, verbatim but for the state it walks.
      async save(w: Writable) {
        writer = w;
        armed = true;
        for (const [k, v] of state) {
          if (!w.write(JSON.stringify([k, v]) + '\n')) await new Promise((r) => w.once('drain', r));
          if (giveUp) throw new Error('test cleanup');
        }
        await new Promise<void>((resolve, reject) => w.end((err?: Error | null) => (err ? reject(err) : resolve())));
      },
      recover: plain.recover,
    });
    const snap = await settleWithin(node.snapshot(), 5000);
    const write = await settleWithin(node.do(new SetCommand('after', '2')), 4000);
    assert.is(injected, 1, 'the injected ENOSPC hit the snapshot file');
    assert.ok(
      snap.settled && write.settled && write.error === undefined,
      `snapshot() settles (${snap.settled ? 'settled' : 'hangs: the save waits for a drain that never comes'}) and a write after it is applied (got ${String(write.error ?? (write.settled ? 'ok' : 'no answer'))})`,
    );
    assert.ok(snap.error instanceof Error && /ENOSPC/.test(String((snap.error as Error).message)), `snapshot() rejects with the ENOSPC error, got ${String(snap.error)}`);
    assert.is(node.context.data.get('after'), '2');
  } finally {
    armed = false;
    restore();
    // Let a hung save return, so that stop() (which waits for it) can end.
    giveUp = true;
    writer?.emit('drain');
    await c.close();
  }
});

test.run();
