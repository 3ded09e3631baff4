// tsraft_server_reads_total{consistency,outcome} counts every read asked of a member by how it
// ended; tsraft_server_lease_read_fallbacks_total counts lease reads a leader without a valid
// lease had to confirm with a heartbeat round (src/node.ts read()).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, type Kv } from '../support/node-cluster.js';
import type { Node } from '../../src/node.js';

const OUTCOMES = ['confirmed', 'refused', 'timed_out', 'stopped'] as const;

/** Every read series of `node`'s exposition, `consistency/outcome` -> value, plus `fallbacks`. */
async function readCounts(node: Node<Kv>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await node.metrics()).split('\n')) {
    const read = /^tsraft_server_reads_total\{consistency="(\w+)",outcome="(\w+)"\} (\d+)$/.exec(line);
    if (read) out[`${read[1]}/${read[2]}`] = Number(read[3]);
    const fallbacks = /^tsraft_server_lease_read_fallbacks_total (\d+)$/.exec(line);
    if (fallbacks) out['fallbacks'] = Number(fallbacks[1]);
  }
  return out;
}

/** The expected counts: every series at 0 but those given. */
function counts(nonZero: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { fallbacks: 0 };
  for (const consistency of ['index', 'lease']) for (const outcome of OUTCOMES) out[`${consistency}/${outcome}`] = 0;
  return { ...out, ...nonZero };
}

test('reads are counted by consistency and outcome on the member asked: confirmed, timed_out, stopped', async () => {
  // Reads time out (400 ms) well before a partitioned leader steps down (checkQuorum, 1000 ms).
  const c = new TestCluster(3, { heartbeatMs: 50, electionTimeoutMs: 1000, requestTimeoutMs: 400 });
  const realNow = performance.now.bind(performance);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('k', 'v'));
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    assert.equal(await readCounts(follower), counts({}), 'every series exported at 0 from the start');

    for (let i = 0; i < 3; i++) assert.ok(await leader.readIndex());
    for (let i = 0; i < 2; i++) assert.ok(await leader.leaseRead());
    assert.ok(await follower.readIndex());
    assert.ok(await follower.leaseRead());
    assert.equal(await readCounts(follower), counts({ 'index/confirmed': 1, 'lease/confirmed': 1 }), 'a follower counts what was asked of it, and no fallback');
    const before = await readCounts(leader);
    assert.is(before['index/confirmed'], 3);
    assert.is(before['lease/confirmed'], 2);

    // Cut off, with the clock moved past its lease: a lease read falls back to a round that never
    // completes, and times out like the ReadIndex read beside it.
    for (const other of c.addresses) if (other !== leader.address) c.network.partition(leader.address, other);
    performance.now = () => realNow() + 10_000;
    const [lease, index] = await Promise.all([leader.confirmRead('lease'), leader.confirmRead('index')]);
    performance.now = realNow;
    assert.is(lease, 'timedOut');
    assert.is(index, 'timedOut');
    assert.equal(
      await readCounts(leader),
      counts({ 'index/confirmed': 3, 'lease/confirmed': 2, 'index/timed_out': 1, 'lease/timed_out': 1, fallbacks: before['fallbacks']! + 1 }),
    );

    // A read pending when its node stops ends 'stopped'; the counts stay readable after stop().
    const pending = leader.confirmRead('index');
    await c.stop(leader.address);
    assert.is(await pending, 'stopped');
    assert.is((await readCounts(leader))['index/stopped'], 1);
  } finally {
    performance.now = realNow;
    await c.close();
  }
});

test("a read refused for want of a leader is counted 'refused'", async () => {
  const c = new TestCluster(3);
  try {
    const lone = await c.start(c.addresses[0]!, { leaderWaitMs: 50 });
    assert.is(await lone.confirmRead('lease'), 'refused');
    assert.is(await lone.readIndex(), false);
    assert.equal(await readCounts(lone), counts({ 'index/refused': 1, 'lease/refused': 1 }), 'no fallback: it was not leading');
  } finally {
    await c.close();
  }
});

test('lease_read_fallbacks_total: a leader whose lease ran out by the clock counts the lease read it confirms by a round', async () => {
  const c = new TestCluster(3);
  const realNow = performance.now.bind(performance);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('k', 'v'));
    const before = (await readCounts(leader))['fallbacks']!;
    performance.now = () => realNow() + 10_000;
    const outcome = leader.confirmRead('lease');
    const indexOutcome = leader.confirmRead('index');
    performance.now = realNow;
    assert.is(await outcome, 'confirmed', 'confirmed by a heartbeat round');
    assert.is(await indexOutcome, 'confirmed');
    const after = await readCounts(leader);
    assert.is(after['fallbacks'], before + 1, 'one fallback: the lease read, not the ReadIndex read');
  } finally {
    performance.now = realNow;
    await c.close();
  }
});

test.run();
