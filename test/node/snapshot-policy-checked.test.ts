// Node.create checks every option and fails at once, naming it (README: "never later, at
// start(), and never by quietly misbehaving"); setSnapshotPolicy() took anything (found by a
// newcomer review). A JavaScript caller who writes the policy as raft-node's flag spells it
// (setSnapshotPolicy('EverySecond')) got no error; the node then stopped itself (onFatal,
// "Cannot read properties of undefined (reading 'some')") at its first apply, and every request
// failed with StoppedError.
// (The second test: a rules policy with no rules was accepted and never snapshotted; CustomSync([])
// and setSyncTypes([]) refuse the same thing with a RangeError.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryNetwork } from '../../src/transport/memory.js';
import type { SnapshotPolicy } from '../../src/snapshot/index.js';
import { oneMemberNode, SetCommand, waitUntil } from '../support/node-cluster.js';

test('setSnapshotPolicy refuses a value that is not a policy, at the call', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tsraft-policy-'));
  const node = await oneMemberNode(new MemoryNetwork(), 'rp1:9821', join(root, 'data'));
  let fatal: Error | undefined;
  node.onFatal((err) => (fatal = err));
  try {
    let refused: unknown;
    try {
      node.setSnapshotPolicy('EverySecond' as unknown as SnapshotPolicy);
    } catch (err) {
      refused = err;
    }
    if (refused === undefined) {
      // Accepted: show what it costs.
      await node.start();
      await waitUntil('the node to lead or stop itself', () => node.isLeader() || fatal !== undefined, 5000);
      const outcome = await node.do(new SetCommand('k', 'v')).then(
        () => 'applied',
        (err: Error) => `${err.name}: ${err.message}`,
      );
      assert.unreachable(`setSnapshotPolicy('EverySecond') was accepted; then do() -> ${outcome}; onFatal -> ${fatal?.message ?? 'not called'}`);
    }
    assert.instance(refused, TypeError);
  } finally {
    await node.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('setSnapshotPolicy refuses a rules policy with no rules (it would never snapshot, silently)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tsraft-policy-'));
  const node = await oneMemberNode(new MemoryNetwork(), 'rp2:9822', join(root, 'data'));
  try {
    assert.throws(() => node.setSnapshotPolicy({ kind: 'rules', name: 'mine', rules: [] }), (err: Error) => err instanceof RangeError || err instanceof TypeError);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
