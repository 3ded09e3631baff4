// A follower partway through receiving a snapshot whose leader goes away: the core gives the
// transfer up when the term changes (any later leader sends from offset 0), and the driver
// deletes the partial file and its handle (found in review: they stayed until another transfer
// began or the node restarted, and receivingSnapshot() stayed true, stretching a joiner's patience).
// Mutants: forgetPartialReceive dropped from Raft.reset; the run loop's dropPartial call dropped.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snapshotDir } from '../../src/snapshot/store.js';
import { type SeenMessage, interceptReceive, snapshotPastStoppedFollower, snapshotTransferCluster } from '../support/node-cluster.js';

test('a transfer given up at a new term: the partial snapshot file is deleted and the node no longer counts as receiving', async () => {
  const { c } = snapshotTransferCluster();
  try {
    const { leader, lagging } = await snapshotPastStoppedFollower(c);
    // The lagging node gets the first chunk only, while the old leader leads.
    let firstChunks = 0;
    let holding = true;
    c.configure = (node, address) => {
      if (address !== lagging) return;
      interceptReceive(node, (from, messages, deliver) => {
        if (!holding) return deliver(from, messages);
        const kept = messages.filter((m: SeenMessage & { offset?: number }) => m.type !== 'snapshot' || m.offset === 0);
        firstChunks += kept.filter((m) => m.type === 'snapshot').length;
        deliver(from, kept);
      });
    };
    const node = await c.start(lagging);
    const raft = (node as unknown as { raft: { receivingSnapshot(): boolean } }).raft;
    const dir = snapshotDir(join(c.root, lagging.replace(':', '-')));
    const temps = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    await c.waitFor(() => firstChunks > 0 && temps().length === 1, 10_000, 'the first chunk stored in a temporary file');
    assert.ok(raft.receivingSnapshot());

    // The leader goes; the third member (its log whole, no snapshot of its own) leads next, at a
    // later term, and catches the lagging node up by appends.
    holding = false;
    await c.stop(leader.address);
    const next = await c.waitLeader(10_000);
    assert.is.not(next.address, lagging);
    await c.waitConverged(10_000);
    await c.waitFor(() => temps().length === 0, 5000, `the partial snapshot file deleted (left: ${temps().join(', ')})`);
    assert.not.ok(raft.receivingSnapshot(), 'the transfer is given up');
  } finally {
    await c.close();
  }
});

test.run();
