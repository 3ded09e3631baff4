// node.metrics() fed by a running cluster: the leader's per-follower lag and last contact (read from
// the core at scrape time), proposal and apply durations, snapshot transfers begun and installed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node } from '../../src/node.js';
import { TimeoutError } from '../../src/errors.js';
import { parseExposition, value, type Family } from '../support/prometheus-text.js';
import { SetCommand, TestCluster, snapshotPastStoppedFollower, snapshotTransferCluster, transferRetrying, type Kv } from '../support/node-cluster.js';

async function scrape(node: Node<Kv>): Promise<Map<string, Family>> {
  return parseExposition(await node.metrics());
}

/** The `to` labels of a per-follower family's samples, sorted. */
function followers(fams: Map<string, Family>, name: string): string[] {
  return (fams.get(name)?.samples ?? []).map((s) => s.labels.to!).sort();
}

/** A command whose do() throws one of the node's own error classes: it applied all the same. */
class ThrowsRaftError {
  static readonly type = 71;
  constructor(readonly key: string) {}
  do(): never {
    throw new TimeoutError(`the command ${this.key} says so`);
  }
}

test('the leader exports each follower\'s lag and last contact: 0 when caught up, growing for a stopped follower; a removed member\'s series leave, and a follower exports none', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', heartbeatMs: 20 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const others = c.addresses.filter((a) => a !== leader.address).sort();
    for (let i = 0; i < 5; i++) await leader.do(new SetCommand(`k${i}`, 'v'));
    await c.waitConverged();
    let fams = await scrape(leader);
    assert.equal(followers(fams, 'tsraft_server_follower_lag_entries'), others);
    assert.equal(followers(fams, 'tsraft_server_follower_last_contact_seconds'), others);
    for (let tries = 0; ; tries++) {
      fams = await scrape(leader);
      if (others.every((to) => value(fams, 'tsraft_server_follower_lag_entries', { to }) === 0)) break;
      if (tries === 100) assert.unreachable(`followers not caught up: ${JSON.stringify(fams.get('tsraft_server_follower_lag_entries')?.samples.map((s) => s.raw))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const to of others) assert.ok(value(fams, 'tsraft_server_follower_last_contact_seconds', { to })! <= 0.1, `heard from ${to} lately`);
    const follower = c.node(others[0]!);
    const ffams = await scrape(follower);
    assert.equal(followers(ffams, 'tsraft_server_follower_lag_entries'), [], 'a follower has no followers');
    assert.equal(followers(ffams, 'tsraft_server_follower_last_contact_seconds'), []);

    const [down, up] = others as [string, string];
    await c.stop(down);
    for (let i = 0; i < 10; i++) await leader.do(new SetCommand(`d${i}`, 'v'));
    await new Promise((r) => setTimeout(r, 300)); // 15 heartbeats
    fams = await scrape(leader);
    assert.ok(value(fams, 'tsraft_server_follower_lag_entries', { to: down })! >= 10, `lag of the stopped follower: ${value(fams, 'tsraft_server_follower_lag_entries', { to: down })}`);
    assert.ok(value(fams, 'tsraft_server_follower_last_contact_seconds', { to: down })! >= 0.2, `last contact of the stopped follower: ${value(fams, 'tsraft_server_follower_last_contact_seconds', { to: down })}`);
    assert.ok(value(fams, 'tsraft_server_follower_last_contact_seconds', { to: up })! <= 0.1, 'the running follower is heard from');

    await leader.leave(down);
    fams = await scrape(leader);
    assert.equal(followers(fams, 'tsraft_server_follower_lag_entries'), [up], 'the removed member\'s lag series left');
    assert.equal(followers(fams, 'tsraft_server_follower_last_contact_seconds'), [up]);

    // Leadership moves: the new leader exports the old one as its follower, the old one nothing.
    await transferRetrying(leader, up); // given up within 200 ms on a busy machine: asked again
    const next = c.node(up);
    await c.waitFor(() => leader.leader === up, 5000, 'the old leader to see the new one');
    assert.equal(followers(await scrape(next), 'tsraft_server_follower_lag_entries'), [leader.address]);
    assert.equal(followers(await scrape(leader), 'tsraft_server_follower_lag_entries'), [], 'an ex-leader has no followers');
    // A stopped leader (its registry may still be scraped) has none either.
    await c.stop(up);
    assert.equal(followers(await scrape(next), 'tsraft_server_follower_lag_entries'), []);
    assert.equal(followers(await scrape(next), 'tsraft_server_follower_last_contact_seconds'), []);
  } finally {
    await c.close();
  }
});

test('proposals are timed where they were proposed (forwarded ones on the follower), a command that threw too; failed ones are not; every member times its apply batches', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  c.configure = (n) => n.registerCommand(ThrowsRaftError);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    for (let i = 0; i < 7; i++) await leader.do(new SetCommand(`l${i}`, 'v'));
    for (let i = 0; i < 3; i++) await follower.do(new SetCommand(`f${i}`, 'v'));
    const threw = await leader.do(new ThrowsRaftError('x')).catch((e: Error) => e);
    assert.instance(threw, TimeoutError);
    // Proposed together, they commit and apply in a few batches: a batch is timed once, not per entry.
    await Promise.all(Array.from({ length: 50 }, (_, i) => leader.do(new SetCommand(`b${i}`, 'v'))));
    await c.waitConverged();
    const lfams = await scrape(leader);
    const ffams = await scrape(follower);
    assert.is(value(lfams, 'tsraft_server_proposal_duration_seconds_count'), 58, 'the leader\'s 57 proposals and the one whose command threw');
    assert.is(value(lfams, 'tsraft_server_proposals_failed_total'), 0, 'a command that threw is no failed proposal, whatever it threw');
    assert.is(value(ffams, 'tsraft_server_proposal_duration_seconds_count'), 3, 'the follower\'s forwarded proposals');
    assert.ok(value(ffams, 'tsraft_server_proposal_duration_seconds_sum')! > 0);
    for (const address of c.addresses) {
      const fams = await scrape(c.node(address));
      const batches = value(fams, 'tsraft_server_apply_batch_duration_seconds_count')!;
      const applied = c.node(address).status().appliedIndex;
      assert.ok(batches >= 1 && batches < applied / 2, `${address}: ${batches} apply batches for ${applied} entries`);
      assert.ok(value(fams, 'tsraft_server_apply_batch_duration_seconds_sum')! > 0, `${address}: apply time`);
    }
    // Idle, heartbeats go on but nothing applies: no batch is timed.
    const before = await Promise.all(c.addresses.map(async (a) => value(await scrape(c.node(a)), 'tsraft_server_apply_batch_duration_seconds_count')));
    await new Promise((r) => setTimeout(r, 200)); // 10 heartbeats
    const after = await Promise.all(c.addresses.map(async (a) => value(await scrape(c.node(a)), 'tsraft_server_apply_batch_duration_seconds_count')));
    assert.equal(after, before, 'no batch timed while idle');
  } finally {
    await c.close();
  }
});

test('a proposal that fails is not timed', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 300, leaderWaitMs: 100 });
  try {
    const lonely = await c.start(c.addresses[0]!);
    await lonely.do(new SetCommand('x', 'y')).catch(() => undefined);
    const fams = await scrape(lonely);
    assert.is(value(fams, 'tsraft_server_proposals_failed_total'), 1);
    assert.is(value(fams, 'tsraft_server_proposal_duration_seconds_count'), 0);
  } finally {
    await c.close();
  }
});

test('a follower that catches up by snapshot: the leader counts the transfer it began, the follower the install; the follower that kept up neither', async () => {
  const { c } = snapshotTransferCluster();
  try {
    const { leader, lagging, at } = await snapshotPastStoppedFollower(c);
    const steady = c.node(c.addresses.find((a) => a !== leader.address && a !== lagging)!);
    assert.is(value(await scrape(leader), 'tsraft_snapshot_transfers_started_total'), 0, 'none before the follower is back');
    const node = await c.start(lagging);
    await c.waitFor(() => node.status().appliedIndex >= at, 10000, 'the lagging follower to install the snapshot');
    const lfams = await scrape(leader);
    const nfams = await scrape(node);
    assert.is(value(lfams, 'tsraft_snapshot_transfers_started_total'), 1);
    assert.is(value(nfams, 'tsraft_snapshot_install_duration_seconds_count'), 1);
    assert.ok(value(nfams, 'tsraft_snapshot_install_duration_seconds_sum')! > 0);
    assert.is(value(nfams, 'tsraft_snapshot_transfers_started_total'), 0, 'a follower begins none');
    assert.is(value(lfams, 'tsraft_snapshot_install_duration_seconds_count'), 0);
    assert.is(value(await scrape(steady), 'tsraft_snapshot_install_duration_seconds_count'), 0);
  } finally {
    await c.close();
  }
});

test.run();
