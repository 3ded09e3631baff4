// After stop(), a node that was leading answered isLeader() true, state 'leader' and leader =
// itself (found by a newcomer review). The README's own demo runs several Nodes in one process, and
// the natural way to find the leader there is nodes.find((n) => n.isLeader()): once the old leader
// was stopped and another elected, two nodes claim to lead and find() can return the stopped one
// (whose reads answer 'stopped' and whose do() rejects with StoppedError). The metrics of a stopped
// node already report "no leader" (README, Metrics); the accessors disagree with them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { oneMemberNode, TestCluster, waitUntil, SetCommand } from '../support/node-cluster.js';

test('a stopped node no longer says it leads (isLeader, state, leader)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tsraft-review-stopped-'));
  const node = await oneMemberNode(new MemoryNetwork(), 'rs1:9801', join(root, 'data'));
  try {
    await node.start();
    await waitUntil('the node to lead', () => node.isLeader(), 5000);
    await node.stop();
    assert.is(node.isLeader(), false, 'isLeader() after stop()');
    assert.is.not(node.state, 'leader', 'state after stop()');
    assert.is(node.leader, undefined, 'leader after stop()');
    assert.is(node.ready(), false, 'ready() after stop()');
  } finally {
    await node.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('in one process, after the leader stops and another is elected, only one node says it leads', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    await c.startAll();
    const old = await c.waitLeader();
    await old.do(new SetCommand('k', 'v'));
    const all = c.addresses.map((a) => c.node(a)!);
    await old.stop();
    await waitUntil('a new leader', () => all.some((n) => n !== old && n.isLeader()), 5000);
    const claiming = all.filter((n) => n.isLeader()).map((n) => n.address);
    assert.equal(claiming.length, 1, `nodes answering isLeader() true: ${claiming.join(', ')} (${old.address} is stopped)`);
  } finally {
    await c.close();
  }
});

test.run();
