// A read asked of a Node whose start() was never called (or failed) can never be confirmed: it is
// refused at once with NotStartedError, as do() is, rather than resolving false after leaderWaitMs
// (found in review: the mistake looked like a slow cluster). A read asked while start() recovers
// still waits for it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node, NotStartedError } from '../../src/index.js';
import { Kv, SetCommand, TestCluster, slowRecover } from '../support/node-cluster.js';
import type { ReadOutcome } from '../../src/node.js';

test('readIndex(), leaseRead() and confirmRead() before start() reject with NotStartedError at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsraft-read-before-start-'));
  try {
    const node = await Node.create<Kv>({ host: '127.0.0.1', port: 1, dataDir: dir, context: new Kv(), leaderWaitMs: 60_000, logLevel: 'silent' });
    const started = performance.now();
    for (const read of [() => node.readIndex(), () => node.leaseRead(), () => node.confirmRead('index'), () => node.confirmRead('lease')]) {
      const err = await read().then(() => undefined, (e: unknown) => e);
      assert.instance(err, NotStartedError);
    }
    assert.ok(performance.now() - started < 10_000, 'refused at once, not after leaderWaitMs');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a read asked while start() recovers waits for it and is confirmed', async () => {
  // leaderWaitMs: a read waits this long for a leader before resolving false; the default (two
  // 200 ms election timeouts) ran out once under CI load before the lone member elected itself.
  const c = new TestCluster(1, { logLevel: 'silent', leaderWaitMs: 10_000 });
  try {
    const address = c.addresses[0]!;
    let pending: Promise<boolean> | undefined;
    c.configure = (node) => {
      // configure runs just before start(); a microtask later start() is under way.
      queueMicrotask(() => {
        pending = node.readIndex();
      });
    };
    const node = await c.start(address);
    await c.waitLeader();
    await node.do(new SetCommand('a', '1'));
    assert.is(await pending, true);
  } finally {
    await c.close();
  }
});

test('a read asked while start() recovers for longer than leaderWaitMs still waits for it: leaderWaitMs counts from the end of the start (regression: it counted the recovery and answered refused)', async () => {
  // leaderWaitMs at its default, two 200 ms election timeouts; the recovery takes 1 s.
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    const address = c.addresses[0]!;
    const first = await c.start(address);
    await c.waitLeader();
    await first.do(new SetCommand('a', '1'));
    await first.snapshot();
    await c.stop(address);
    let pending: Promise<ReadOutcome> | undefined;
    c.configure = (node) => {
      slowRecover(node, 1000);
      queueMicrotask(() => {
        pending = node.confirmRead('index'); // start() is under way
      });
    };
    const node = await c.start(address);
    assert.ok(pending, 'the read was asked during start()');
    assert.is(await pending, 'confirmed');
    assert.is(node.context.data.get('a'), '1');
  } finally {
    await c.close();
  }
});

test.run();
