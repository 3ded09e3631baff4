// A member back on a wiped data directory must not vote: its peers that heard from its earlier
// directory refuse its streams (peer-incarnations.ts), told apart by the data directory
// incarnation in the handshake. Before, a wiped member restarted with its founding members voted
// before any leader's heartbeat could give it away, and helped elect a member that lacked an entry
// it had acknowledged: a committed write was lost.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError, type Node } from '../../src/index.js';
import { INCARNATION_FILE } from '../../src/data-dir-incarnation.js';
import { PEER_INCARNATIONS_FILE } from '../../src/peer-incarnations.js';
import { interceptReceive, SetCommand, TestCluster, waitUntil, type Kv } from '../support/node-cluster.js';
import { wipe } from '../support/wiped-member.js';

const dirOf = (c: TestCluster, address: string): string => join(c.root, address.replace(':', '-'));
const incarnationOf = (c: TestCluster, address: string): string => readFileSync(join(dirOf(c, address), INCARNATION_FILE), 'utf8').trim();

/** Starts the cluster and applies one write everywhere; resolves with the leader and its two followers. */
async function startWithOneWrite(c: TestCluster): Promise<{ leader: Node<Kv>; victim: string; other: string }> {
  await c.startAll();
  const leader = await c.waitLeader();
  await leader.do(new SetCommand('k', 'v'));
  await c.waitConverged();
  const [victim, other] = c.addresses.filter((a) => a !== leader.address) as [string, string];
  return { leader, victim, other };
}

/**
 * Starts a cluster with one write, waits for the other follower to keep the victim's incarnation,
 * stops both, removes the victim and wipes its directory (the other follower, down, misses it).
 */
async function removedAndWipedWhileOtherDown(c: TestCluster): Promise<{ leader: Node<Kv>; victim: string; other: string; peersFile: string }> {
  const { leader, victim, other } = await startWithOneWrite(c);
  const peersFile = join(dirOf(c, other), PEER_INCARNATIONS_FILE);
  await waitUntil('the other follower to keep the victim\'s incarnation', () => readFileSync(peersFile, 'utf8').includes(`${victim} ${incarnationOf(c, victim)}`), 5000);
  await c.stop(other);
  await c.stop(victim);
  await leader.leave(victim);
  wipe(c, victim);
  return { leader, victim, other, peersFile };
}

/**
 * Starts a cluster with one write; with the other follower down (and kept, so that it then appends
 * the removal and the re-addition in one go), removes the victim, wipes it, adds it again and starts
 * it with join, and waits for its promotion on the leader.
 */
async function readdedWhileOtherDown(c: TestCluster): Promise<{ leader: Node<Kv>; victim: string; other: string; peersFile: string; isVoter: (n: Node<Kv>) => boolean }> {
  const { leader, victim, other, peersFile } = await removedAndWipedWhileOtherDown(c);
  await leader.join({ address: victim });
  const rejoined = await c.start(victim, { join: true });
  await rejoined.admitted();
  const isVoter = (n: Node<Kv>): boolean => n.members().some((m) => m.address === victim && !m.nonVoting && !m.promoting);
  await c.waitFor(() => isVoter(leader), 5000, 'the rejoined member\'s promotion');
  return { leader, victim, other, peersFile, isVoter };
}

/** Starts the old leader again: it or the member behind leads, and holds the write the wiped member acknowledged. */
async function oldLeaderBackKeepsTheWrite(c: TestCluster, leaderAddress: string, behind: string, value: string): Promise<void> {
  await c.start(leaderAddress);
  const next = await c.waitFor(() => [c.node(leaderAddress), c.node(behind)].find((n) => n.isLeader()), 5000, 'a leader among the members that kept their data');
  await next.readIndex();
  assert.is(next.context.data.get('acknowledged'), value);
}

test('wiped member refused: a member restarted on a wiped directory cannot vote for a peer that lacks the entry it acknowledged; the write survives', async () => {
  const c = await TestCluster.grpc(3, { sync: 'always' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('before', 'all'));
    await c.waitConverged();
    const [behind, victim] = c.addresses.filter((a) => a !== leader.address) as [string, string];
    const oldIncarnation = incarnationOf(c, victim);
    // Committed by the leader and the victim alone.
    await c.stop(behind);
    await leader.do(new SetCommand('acknowledged', 'by the victim'));
    const leaderAddress = leader.address;
    await c.stop(leaderAddress);
    await c.stop(victim);
    wipe(c, victim);

    const lines: string[] = [];
    const fatal: Error[] = [];
    await c.start(behind, { logLevel: 'warn', logger: (_level, line) => lines.push(line) });
    c.configure = (node, address) => {
      if (address === victim) node.onFatal((err) => fatal.push(err));
    };
    const wiped = await c.start(victim);
    c.configure = undefined;
    assert.is.not(incarnationOf(c, victim), oldIncarnation, 'the wiped directory has a new incarnation');
    await waitUntil('the member behind to refuse the wiped one', () => lines.find((l) => l.includes(`${victim} dialed in with data directory incarnation`)), 5000);
    const refusal = lines.find((l) => l.includes(`${victim} dialed in with data directory incarnation`))!;
    assert.match(refusal, `heard from it as incarnation ${oldIncarnation}`);
    assert.match(refusal, `Remove it (raft-node: DELETE /members/${victim}`);
    assert.match(refusal, `write ${oldIncarnation} back into it`);
    // Started with its founding members, it stops itself, naming the refusal.
    await waitUntil('the wiped member to stop with LostDataError', () => fatal[0], 5000);
    assert.instance(fatal[0], LostDataError);
    assert.match(fatal[0]!.message, `the member ${behind} refuses this node's streams: ${victim} dialed in with data directory incarnation`);
    // Ten election timeouts: the member behind did not win the wiped one's vote.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.not.ok(c.node(behind).isLeader(), 'the member behind the write was not elected with the wiped member\'s vote');
    assert.not.ok(wiped.isLeader());
    c.nodes.delete(victim);
    // Started again as it is (its new incarnation kept from the last start, its log only the
    // founding entry): it stops again.
    await wiped.stop();
    c.configure = (node) => node.onFatal((err) => fatal.push(err));
    const again = await c.start(victim);
    c.configure = undefined;
    await waitUntil('the wiped member to stop again', () => fatal[1], 5000);
    assert.instance(fatal[1], LostDataError);
    await again.stop();
    c.nodes.delete(victim);

    // The old leader comes back: the write it and the victim acknowledged is kept.
    await oldLeaderBackKeepsTheWrite(c, leaderAddress, behind, 'by the victim');
  } finally {
    await c.close();
  }
});

test('wiped member refused: a member that joined (its stream let in before it was a member) is kept once added; back on a wiped directory, it cannot vote for a peer that lacks the entry it acknowledged', async () => {
  const c = await TestCluster.grpc(2, { sync: 'always' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const behind = c.addresses.find((a) => a !== leader.address)!;
    const victim = await c.newAddress();
    const joiner = await c.start(victim, { join: true });
    await joiner.admitted();
    await c.waitFor(() => leader.members().find((m) => m.address === victim && !m.nonVoting && !m.promoting), 5000, 'the joiner\'s promotion');
    const oldIncarnation = incarnationOf(c, victim);
    for (const peer of c.addresses) {
      await waitUntil(`${peer} to keep the joiner's incarnation`, () => readFileSync(join(dirOf(c, peer), PEER_INCARNATIONS_FILE), 'utf8').includes(`${victim} ${oldIncarnation}`), 5000);
    }
    // Committed by the leader and the joiner alone.
    await c.stop(behind);
    await leader.do(new SetCommand('acknowledged', 'by the joiner'));
    const leaderAddress = leader.address;
    await c.stop(leaderAddress);
    await c.stop(victim);
    wipe(c, victim);

    const lines: string[] = [];
    await c.start(behind, { logLevel: 'warn', logger: (_level, line) => lines.push(line) });
    await c.start(victim, { join: true });
    await waitUntil('the member behind to refuse the wiped one', () => lines.find((l) => l.includes(`${victim} dialed in with data directory incarnation`)), 5000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.not.ok(c.node(behind).isLeader(), 'the member behind the write was not elected with the wiped member\'s vote');
    await c.stop(victim);
    await oldLeaderBackKeepsTheWrite(c, leaderAddress, behind, 'by the joiner');
  } finally {
    await c.close();
  }
});

test('wiped member refused: a member removed and added again on a new directory is heard at once, and the peers keep its new incarnation', async () => {
  const c = await TestCluster.grpc(3, { sync: 'always' });
  try {
    const { leader, victim, other } = await startWithOneWrite(c);
    const peersFile = join(dirOf(c, other), PEER_INCARNATIONS_FILE);
    await waitUntil('the other follower to keep the victim\'s incarnation', () => readFileSync(peersFile, 'utf8').includes(`${victim} ${incarnationOf(c, victim)}`), 5000);
    await c.stop(victim);
    await leader.leave(victim);
    await waitUntil('the other follower to forget the removed member', () => !readFileSync(peersFile, 'utf8').includes(victim), 5000);
    wipe(c, victim);
    await leader.join({ address: victim });
    const rejoined = await c.start(victim, { join: true });
    await rejoined.admitted();
    await waitUntil('the rejoined member to hold the write', () => rejoined.context.data.get('k') === 'v', 10_000);
    const fresh = incarnationOf(c, victim);
    await waitUntil('the other follower to keep the new incarnation', () => readFileSync(peersFile, 'utf8').includes(`${victim} ${fresh}`), 5000);
    // And it votes, once promoted: with the leader gone, it and the other follower elect one of them.
    await c.waitFor(() => c.node(other).members().find((m) => m.address === victim && !m.nonVoting && !m.promoting), 5000, 'its promotion, as the other follower sees it');
    await c.stop(leader.address);
    await c.waitFor(() => [c.node(victim), c.node(other)].find((n) => n.isLeader()), 5000, 'a leader elected with the rejoined member');
  } finally {
    await c.close();
  }
});

test('wiped member refused: a peer that appends a member\'s removal and its re-addition at once forgets its old directory; the member, restarted without join, is let in', async () => {
  const c = await TestCluster.grpc(4, { sync: 'always' });
  try {
    const { leader, victim, other, peersFile, isVoter } = await readdedWhileOtherDown(c);
    const fresh = incarnationOf(c, victim);
    await c.start(other);
    await c.waitFor(() => isVoter(c.node(other)), 5000, 'the other follower to catch up');
    await waitUntil('the other follower to keep the new incarnation', () => readFileSync(peersFile, 'utf8').includes(`${victim} ${fresh}`), 5000);
    // Restarted as a member (without join) on its intact directory, it is not refused.
    await c.stop(victim);
    const fatal: Error[] = [];
    c.configure = (node) => node.onFatal((err) => fatal.push(err));
    const back = await c.start(victim);
    c.configure = undefined;
    await leader.do(new SetCommand('k2', 'v2'));
    await waitUntil('the restarted member to catch up', () => back.context.data.get('k2') === 'v2', 5000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(fatal, []);
  } finally {
    await c.close();
  }
});

test('wiped member refused: a member added again on a new directory and restarted without join is refused by a peer that has not caught up with its re-addition, and goes on until it has', async () => {
  const c = await TestCluster.grpc(4, { sync: 'always' });
  try {
    const { leader, victim, other, peersFile, isVoter } = await readdedWhileOtherDown(c);
    await c.stop(victim);
    const fatal: Error[] = [];
    c.configure = (node) => node.onFatal((err) => fatal.push(err));
    const back = await c.start(victim);
    // The other follower comes back and hears nothing from the leader until it refused the victim.
    const lines: string[] = [];
    const refused = (): string | undefined => lines.find((l) => l.includes(`${victim} dialed in with data directory incarnation`));
    c.configure = (node) => interceptReceive(node, (from, messages, deliver) => (from === leader.address && !refused() ? undefined : deliver(from, messages)));
    await c.start(other, { logLevel: 'warn', logger: (_level, line) => lines.push(line) });
    c.configure = undefined;
    await waitUntil('the other follower, behind, to refuse the victim', refused, 5000);
    await c.waitFor(() => isVoter(c.node(other)), 5000, 'the other follower to catch up');
    await waitUntil('the other follower to keep the new incarnation', () => readFileSync(peersFile, 'utf8').includes(`${victim} ${incarnationOf(c, victim)}`), 5000);
    assert.equal(fatal, [], 'the victim did not stop');
    await leader.do(new SetCommand('k2', 'v2'));
    await waitUntil('the victim to apply a new write', () => back.context.data.get('k2') === 'v2', 5000);
  } finally {
    await c.close();
  }
});

test('wiped member refused: a joiner whose only seed refuses it for a moment (behind on its removal) does not stop, and joins once the seed caught up', async () => {
  const c = await TestCluster.grpc(4, { sync: 'always' });
  try {
    const { leader, victim, other } = await removedAndWipedWhileOtherDown(c);
    // The other follower comes back and hears nothing from the leader until a second after it
    // refused the victim, which asks it alone to be added.
    const lines: string[] = [];
    let refusedAt: number | undefined;
    const held = (): boolean => refusedAt === undefined || Date.now() - refusedAt < 1000;
    c.configure = (node) => interceptReceive(node, (from, messages, deliver) => (from === leader.address && held() ? undefined : deliver(from, messages)));
    await c.start(other, {
      logLevel: 'warn',
      logger: (_level, line) => {
        lines.push(line);
        if (refusedAt === undefined && line.includes(`${victim} dialed in with data directory incarnation`)) refusedAt = Date.now();
      },
    });
    const fatal: Error[] = [];
    c.configure = (node) => node.onFatal((err) => fatal.push(err));
    const joiner = await c.start(victim, { join: true, members: other });
    c.configure = undefined;
    await waitUntil('the seed, behind, to refuse the joiner', () => refusedAt, 5000);
    await joiner.admitted();
    assert.equal(fatal, [], 'the joiner did not stop');
    await waitUntil('the joiner to hold the write', () => joiner.context.data.get('k') === 'v', 5000);
    // The refusal is over once the seed let a stream in: it no longer counts toward a stop.
    const refusals = (joiner as unknown as { incarnations: { refusals: Map<number, unknown> } }).incarnations.refusals;
    await waitUntil('the joiner to forget the seed\'s refusal', () => refusals.size === 0, 5000);
  } finally {
    await c.close();
  }
});

test('wiped member refused: an intact directory whose INCARNATION file was lost is refused, and gets back in with the value the refusal names', async () => {
  const c = await TestCluster.grpc(3, { sync: 'always' });
  try {
    const { leader, victim } = await startWithOneWrite(c);
    const kept = incarnationOf(c, victim);
    await c.stop(victim);
    rmSync(join(dirOf(c, victim), INCARNATION_FILE));
    const fatal: Error[] = [];
    c.configure = (node) => node.onFatal((err) => fatal.push(err));
    const refused = await c.start(victim);
    c.configure = undefined;
    await waitUntil('the member with a new incarnation to stop', () => fatal[0], 5000);
    await refused.stop();
    assert.instance(fatal[0], LostDataError);
    assert.match(fatal[0]!.message, `write ${kept} back into it`);
    c.nodes.delete(victim);
    writeFileSync(join(dirOf(c, victim), INCARNATION_FILE), `${kept}\n`);
    const back = await c.start(victim);
    await leader.do(new SetCommand('k2', 'v2'));
    await waitUntil('the member to catch up', () => back.context.data.get('k2') === 'v2', 5000);
  } finally {
    await c.close();
  }
});

test.run();
