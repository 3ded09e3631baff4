// From a mutation review of src/node.ts (stopRunning): stop() answers everything still waiting, at once
// and with a clear outcome — a read with 'stopped', a snapshot() asked with StoppedError, a
// proposal handed to the leader with StoppedError (outcome unknown), admitted() with StoppedError —
// instead of leaving it to its own timer (or forever), and tells leaderChange callbacks that this
// node follows no one any more. Messages that arrive after stop() change nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoppedError } from '../../src/errors.js';
import { Node, type LeaderChange } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { Kv, SetCommand, TestCluster, interceptReceive, slowSave, waitUntil, withSaveHeld } from '../support/node-cluster.js';
import { outcomeWithin } from '../support/outcome.js';

test("stop() answers a read still waiting for the applied index with 'stopped' (not 'timedOut' at its timer)", async () => {
  await withSaveHeld({ requestTimeoutMs: 4000 }, async (node, c, release) => {
    const snap = node.snapshot().catch(() => undefined);
    // A save holds applying: a write commits but waits, and a read at its index waits for it.
    const write = node.do(new SetCommand('k', 'v')).catch(() => undefined);
    await c.waitFor(() => node.status().commitIndex > node.status().appliedIndex, 3000, 'the write to commit unapplied');
    const read = node.confirmRead('index');
    await new Promise((r) => setTimeout(r, 100));
    const stopped = node.stop();
    const outcome = await outcomeWithin(read, 2000);
    release();
    await stopped;
    await snap;
    await write;
    assert.equal(outcome, { value: 'stopped' });
  });
});

test('stop() rejects a snapshot() asked behind a save in progress with StoppedError (it does not hang)', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const c = new TestCluster(1, { logLevel: 'silent' });
  let saving = { saving: () => false };
  c.configure = (n) => void (saving = slowSave(n, gate));
  try {
    await c.startAll();
    const node = await c.waitLeader();
    await node.do(new SetCommand('a', '1'));
    const first = node.snapshot().catch(() => undefined);
    await waitUntil('the first save to start', () => saving.saving(), 3000);
    const second = node.snapshot();
    second.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const stopped = node.stop();
    const outcome = await outcomeWithin(second, 2000);
    release();
    await stopped;
    await first;
    assert.instance(outcome.error, StoppedError, `the second snapshot() ended ${JSON.stringify(outcome)}`);
  } finally {
    release();
    await c.close();
  }
});

test('stop() answers a proposal forwarded to a leader that has not answered: StoppedError, outcome unknown (not a timeout later)', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 5000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    // The leader never sees forwarded requests: the follower's stays unanswered.
    interceptReceive(leader, (from, messages, deliver) => deliver(from, messages.filter((m) => m.type !== 'forward')));
    const pending = follower.do(new SetCommand('k', 'v'));
    pending.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const stopped = follower.stop();
    const outcome = await outcomeWithin(pending, 2000);
    await stopped;
    assert.instance(outcome.error, StoppedError, `the forwarded proposal ended ${JSON.stringify(outcome)}`);
    assert.ok((outcome.error as StoppedError).outcomeUnknown, 'handed to the leader: it may still apply (outcome unknown)');
  } finally {
    await c.close();
  }
});

test('stop() ends admitted() of a joiner that no member answers, with StoppedError', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tsraft-review-stop-'));
  const network = new MemoryNetwork();
  const address = 'rj1:9871';
  const node = await Node.create<Kv>({
    port: 9871,
    host: 'rj1',
    dataDir: join(root, 'data'),
    context: new Kv(),
    members: `${address};rj2:9872`,
    join: true,
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    sync: 'none',
    logLevel: 'silent',
    transport: new MemoryTransport(network, { address, logger: { info() {}, warn() {} } }),
  });
  try {
    await node.start();
    const admitted = node.admitted();
    admitted.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const stopped = node.stop();
    const outcome = await outcomeWithin(admitted, 2000);
    await stopped;
    assert.instance(outcome.error, StoppedError, `admitted() ended ${JSON.stringify(outcome)}`);
  } finally {
    await node.stop();
    network.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a node that knew a leader tells leaderChange callbacks "no leader" when it stops', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    const seen: LeaderChange[] = [];
    follower.leaderChange((change) => seen.push(change));
    await c.stop(follower.address);
    assert.equal(seen.at(-1), { leader: undefined, term: seen.at(-1)?.term, isLeader: false }, `changes seen: ${JSON.stringify(seen)}`);
    assert.equal(seen.length, 1, 'one change: no leader');
  } finally {
    await c.close();
  }
});

test('messages delivered after stop() are ignored: no term change, nothing stepped into the stopped core', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const followerAddress = c.addresses.find((a) => a !== leader.address)!;
    const follower = c.node(followerAddress);
    let deliver!: (from: string, messages: unknown[]) => void;
    deliver = interceptReceive(follower, (from, messages, pass) => pass(from, messages)) as typeof deliver;
    const before = follower.status().term;
    await c.stop(followerAddress);
    // A vote request of a much later term (a transfer's, which no lease ignores), as a late batch
    // from the transport would hand it.
    const raft = (follower as unknown as { raft: { term: number } }).raft;
    const from = c.addresses.find((a) => a !== leader.address && a !== followerAddress)!;
    const { memberId } = await import('../../src/members.js');
    deliver(from, [{ type: 'vote', from: memberId(from), to: memberId(followerAddress), term: before + 50, lastIndex: 1_000_000, lastTerm: before + 49, preVote: false, transfer: true }]);
    assert.is(raft.term, before, 'the stopped core took a message after stop()');
  } finally {
    await c.close();
  }
});

test.run();
