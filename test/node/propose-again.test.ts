// A proposal whose leader failed before answering is in doubt: it may have applied. The proposer
// proposes it again to the next leader, and its session header makes every node apply it once,
// the later copy answering with the first one's result (Raft thesis §6.3).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node, NodeOptions } from '../../src/node.js';
import { NoLeaderError, ResultNotKeptError } from '../../src/errors.js';
import { SetCommand, TestCluster, interceptReceive, type Kv, type SeenMessage } from '../support/node-cluster.js';

const OPTIONS: Partial<NodeOptions<Kv>> = { logLevel: 'error', heartbeatMs: 20, electionTimeoutMs: 200, leaderWaitMs: 4000, requestTimeoutMs: 8000 };

/** A started 3-node cluster where k=old applied everywhere; closed after `body`. */
async function withCluster(body: (c: TestCluster, leader: Node<Kv>, followers: [Node<Kv>, Node<Kv>]) => Promise<void>): Promise<void> {
  const c = new TestCluster(3, OPTIONS);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('k', 'old'));
    const followers = c.addresses.filter((a) => a !== leader.address).map((a) => c.node(a)) as [Node<Kv>, Node<Kv>];
    await c.waitFor(() => followers.every((f) => f.context.data.get('k') === 'old'), 5000, 'k=old everywhere');
    await body(c, leader, followers);
  } finally {
    await c.close();
  }
}

const applications = (n: Node<Kv>, line: string): number => n.context.log.filter((l) => l === line).length;

async function retriedCount(n: Node<Kv>): Promise<number> {
  const metric = await n.metricsRegistry.registry.getSingleMetric('tsraft_server_proposals_retried_total')!.get();
  return metric.values[0]?.value ?? 0;
}

test('propose again: a forwarded write whose leader failed before answering applies once and answers with its result', async () => {
  await withCluster(async (c, leader, [asker, third]) => {
    // The leader's answers to the asker are lost; it still hears the asker and replicates to the third node.
    c.network.cut(leader.address, asker.address);
    const write = asker.do(new SetCommand('k', 'new')).catch((e: Error) => e);
    await c.waitFor(() => third.context.data.get('k') === 'new', 5000, 'the write to commit through the third node');
    // The leader fails: the asker never learnt the outcome, and proposes the write again to the next leader.
    await c.stop(leader.address);
    c.network.heal();
    const answer = await write;
    assert.is(answer, 'old', `the first application's result (${String(answer)})`);
    await c.waitFor(() => asker.context.data.get('k') === 'new', 5000, 'the write to apply on the asker');
    for (const n of [asker, third]) assert.is(applications(n, 'k=new'), 1, `applied once on ${n.address}`);
    assert.ok((await retriedCount(asker)) >= 1, 'counted as proposed again');
  });
});

test('propose again: a leader that lost leadership before its own proposal committed proposes it again to the new leader; it applies once', async () => {
  await withCluster(async (c, leader, [follower, other]) => {
    // The leader reaches one follower, but hears nothing back: it cannot commit.
    c.network.cut(follower.address, leader.address);
    c.network.cut(leader.address, other.address);
    c.network.cut(other.address, leader.address);
    const before = follower.status().lastIndex;
    const write = leader.do(new SetCommand('k', 'new')).catch((e: Error) => e);
    await c.waitFor(() => follower.status().lastIndex > before, 5000, 'the entry to reach the follower');
    // Cut off, the leader is replaced; the follower holding the entry is the one that can win.
    c.network.isolate(leader.address);
    const successor = await c.waitFor(() => [follower, other].find((n) => n.isLeader()), 5000, 'a new leader');
    c.network.heal();
    const answer = await write;
    assert.is(answer, 'old', `the first application's result (${String(answer)})`);
    await c.waitFor(() => [leader, follower, other].every((n) => n.context.data.get('k') === 'new'), 5000, 'the write everywhere');
    for (const n of [leader, follower, other]) assert.is(applications(n, 'k=new'), 1, `applied once on ${n.address}`);
    assert.is(successor.address, follower.address);
    assert.ok((await retriedCount(leader)) >= 1, 'counted as proposed again');
  });
});

test('propose again: with no leader by the request timeout the error says the outcome is unknown', async () => {
  const c = new TestCluster(3, { ...OPTIONS, leaderWaitMs: 300, requestTimeoutMs: 1500 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const [asker, third] = c.addresses.filter((a) => a !== leader.address).map((a) => c.node(a)) as [Node<Kv>, Node<Kv>];
    c.network.cut(leader.address, asker.address);
    const write = asker.do(new SetCommand('k', 'new')).catch((e: Error) => e);
    await c.waitFor(() => third.context.data.get('k') === 'new', 5000, 'the write to commit through the third node');
    // No quorum is left: the asker's second attempt finds no leader.
    await c.stop(leader.address);
    await c.stop(third.address);
    const err = (await write) as Error & { outcomeUnknown?: boolean };
    // The refusal itself is definite, but it follows an attempt that may apply.
    assert.instance(err, NoLeaderError);
    assert.ok(err.outcomeUnknown, `outcome unknown (${err.name}: ${err.message})`);
    assert.match(err.message, /an earlier attempt of this proposal may still apply/);
    assert.ok((await retriedCount(asker)) >= 1, 'proposed again first');
  } finally {
    await c.close();
  }
});

/** White box: proposes `command` as proposal `seq` of `session` (by default the node's own), as a copy proposed again would be. */
function proposeCopy(node: Node<Kv>, command: SetCommand, seq: number, session = ownSession(node)): Promise<{ result: unknown; index: number }> {
  const inner = node as unknown as {
    registry: { encode(c: SetCommand, session: { session: number; seq: number; floor: number }): Uint8Array };
    submit(op: { op: 'propose'; data: Uint8Array; address: string }): Promise<{ result: unknown; index: number }>;
  };
  const data = inner.registry.encode(command, { session, seq, floor: 1 });
  return inner.submit({ op: 'propose', data, address: '' });
}

const ownSession = (node: Node<Kv>): number => (node as unknown as { proposer: { session: number } }).proposer.session;

test('propose again: copies apply once across a log replay and a snapshot; after a snapshot a copy answers ResultNotKeptError', async () => {
  const c = new TestCluster(1, OPTIONS);
  try {
    await c.startAll();
    const address = c.addresses[0]!;
    await c.waitLeader();
    // A session no proposal of this node used: seq 1 is free.
    const session = ownSession(c.node(address)) + 1;
    await proposeCopy(c.node(address), new SetCommand('k', 'v1'), 1, session);
    const again = await proposeCopy(c.node(address), new SetCommand('k', 'v1'), 1, session).catch((e: Error) => e);
    // Only a node's own session keeps results; this one is not its own.
    assert.instance(again, ResultNotKeptError);
    const mine = await proposeCopy(c.node(address), new SetCommand('m', 'x'), 1_000_000);
    const mineAgain = await proposeCopy(c.node(address), new SetCommand('m', 'x'), 1_000_000);
    assert.is(mineAgain.result, mine.result, "a copy of the node's own proposal answers with the first result");
    assert.ok(mineAgain.index > mine.index, 'the copy is an entry of its own');
    await c.node(address).do(new SetCommand('k', 'v2'));
    // The log replays at a restart: the copy still does not run (it would set k back to v1).
    await c.stop(address);
    await c.start(address);
    await c.waitLeader();
    await c.waitFor(() => c.node(address).context.data.get('k') === 'v2', 5000, 'the replay');
    assert.equal(c.node(address).context.log, ['k=v1', 'm=x', 'k=v2']);
    // A snapshot carries the sessions: after a restart from it, another copy is skipped too.
    await c.node(address).snapshot();
    await c.stop(address);
    await c.start(address);
    await c.waitLeader();
    const err = await proposeCopy(c.node(address), new SetCommand('k', 'v1'), 1, session).catch((e: Error) => e);
    assert.instance(err, ResultNotKeptError);
    assert.is(c.node(address).context.data.get('k'), 'v2');
    assert.equal(c.node(address).context.log, ['k=v1', 'm=x', 'k=v2']);
  } finally {
    await c.close();
  }
});

for (const answered of ['before', 'after'] as const) test(`propose again: a forwarded write whose entry applied on the asker through a snapshot installed ${answered} the answer arrived is proposed again, and answers that it applied (it used to time out, outcome unknown)`, async () => {
  const c = new TestCluster(3, { ...OPTIONS, snapshotTrailingEntries: 0, snapshotsKept: 1, walSegmentBytes: 1024 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const [asker, third] = c.addresses.filter((a) => a !== leader.address).map((a) => c.node(a)) as [Node<Kv>, Node<Kv>];
    // The asker hears the leader's heartbeats but not its appends, and its answers are held back.
    let holding = true;
    const held: SeenMessage[] = [];
    const receive = interceptReceive(asker, (from, messages, deliver) => {
      if (!holding || from !== leader.address) return deliver(from, messages);
      if (answered === 'after') held.push(...messages.filter((m) => m.type === 'forwardResp'));
      const rest = messages.filter((m) => (answered === 'before' || m.type !== 'forwardResp') && m.type !== 'append' && m.type !== 'snapshot');
      if (rest.length > 0) deliver(from, rest);
    });
    const write = asker.do(new SetCommand('k', 'new')).catch((e: Error) => e);
    const waiting = (): number => (asker as unknown as { proposals: Map<number, unknown> }).proposals.size;
    const answerArrived = (): boolean => (answered === 'after' ? held.length > 0 : waiting() > 0);
    await c.waitFor(() => third.context.data.get('k') === 'new' && answerArrived(), 5000, 'the write to commit without the asker');
    const index = leader.status().appliedIndex;
    for (let i = 0; i < 5; i++) await leader.do(new SetCommand(`after${i}`, String(i)));
    await leader.snapshot();
    assert.ok(leader.status().firstIndex > index, 'the leader compacted past the write: the asker needs the snapshot');
    holding = false;
    await c.waitFor(() => asker.status().snapshotIndex > index && asker.status().appliedIndex >= asker.status().snapshotIndex, 5000, 'the asker to install and recover the snapshot');
    assert.is(asker.context.data.get('k'), 'new');
    if (answered === 'after') receive(leader.address, held); // the answer arrives: a position the asker applied unseen
    const answer = await write;
    assert.instance(answer, ResultNotKeptError, `it applied, once, through the snapshot: ${String(answer)}`);
    assert.is((answer as ResultNotKeptError).outcomeUnknown, false);
    for (const n of [leader, third]) assert.is(applications(n, 'k=new'), 1, `applied once on ${n.address}`);
    await c.waitFor(() => asker.status().appliedIndex === leader.status().appliedIndex, 5000, 'the asker to apply the copy');
    assert.is(asker.context.data.get('k'), 'new');
    assert.ok((await retriedCount(asker)) >= 1, 'counted as proposed again');
  } finally {
    await c.close();
  }
});

test.run();
