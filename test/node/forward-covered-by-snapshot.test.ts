// A follower's forwarded write whose entry is exactly the last entry of the snapshot the follower
// then installs (src/node.ts, receiveSnapshot: proposals at or below the snapshot's index settle).
// The entry applied here only through the snapshot, so the follower cannot see its outcome: the
// write is proposed again under its session, which skips the copy, and the caller learns at once
// that it applied once. Missing the boundary left the write waiting for an entry that never applies here, until
// its request timeout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ResultNotKeptError } from '../../src/errors.js';
import { SetCommand, TestCluster, interceptReceive } from '../support/node-cluster.js';

const REQUEST_TIMEOUT_MS = 6000;

test('a forwarded write whose entry is the last one of an installed snapshot is answered without waiting for its timeout, and applies once', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', snapshotTrailingEntries: 0, snapshotsKept: 1, walSegmentBytes: 1024, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    await leader.do(new SetCommand('k', 'v0'));
    await c.waitFor(() => follower.context.data.get('k') === 'v0', 5000, 'k=v0 on the follower');
    const other = c.node(c.addresses.find((a) => a !== leader.address && a !== follower.address)!);
    // The follower stops receiving the leader's log (forward answers still reach it).
    let blocked = true;
    const withoutLog = (messages: readonly { type: string }[]) => messages.filter((m) => m.type !== 'append' && m.type !== 'snapshot');
    interceptReceive(follower, (from, messages, deliver) => deliver(from, blocked ? withoutLog(messages) : messages));
    const index = leader.status().lastIndex + 1;
    const started = Date.now();
    const write = follower.do(new SetCommand('w', 'once')).then(
      (result) => ({ result, ms: Date.now() - started }),
      (error: Error) => ({ error, ms: Date.now() - started }),
    );
    await c.waitFor(() => leader.context.data.get('w') === 'once', 5000, 'the write to apply on the leader');
    // The log is compacted by whole WAL segments only: an entry after the write, too big to share
    // its segment, seals that segment. Held uncommitted (the other follower stops receiving too),
    // it leaves the snapshot ending exactly at the write, and the compaction dropping it.
    let otherBlocked = true;
    interceptReceive(other, (from, messages, deliver) => deliver(from, otherBlocked ? withoutLog(messages) : messages));
    const filler = leader.do(new SetCommand('filler', 'f'.repeat(4096)));
    await c.waitFor(() => leader.status().lastIndex === index + 1, 5000, 'the filler entry in the leader log');
    const at = await leader.snapshot();
    assert.is(at, index, 'the snapshot ends exactly at the forwarded write');
    assert.ok(leader.status().firstIndex > index, `the log was compacted past the write (first index ${leader.status().firstIndex}): the follower can only learn it through the snapshot`);
    blocked = false;
    otherBlocked = false;
    await filler;
    const outcome = await write;
    // Proposed again, the copy is skipped by its session: the caller learns that the write applied
    // once (its result, computed on the leader only, is not kept here).
    if ('error' in outcome) assert.instance(outcome.error, ResultNotKeptError, `the forwarded write failed: ${outcome.error}`);
    assert.ok(outcome.ms < REQUEST_TIMEOUT_MS - 1000, `the forwarded write waited ${outcome.ms} ms, as long as its request timeout`);
    assert.ok(follower.status().snapshotIndex >= at, 'the follower installed the snapshot');
    await leader.do(new SetCommand('after', 'yes'));
    await c.waitFor(() => [...c.nodes.values()].every((n) => n.context.data.get('after') === 'yes'), 5000, 'every member to apply past the write');
    const applications = (log: readonly string[]) => log.filter((l) => l.includes('w=once')).length;
    for (const n of c.nodes.values()) assert.is(applications(n.context.log), 1, `the write applied once on ${n.address}`);
  } finally {
    await c.close();
  }
});

test.run();
