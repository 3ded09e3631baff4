// A voter whose data directory was lost, restarted with --join (real processes). README: "a member
// that forgot what it acknowledged or voted must not rejoin as itself" — remove it first, then
// start it again with --join. Before, nothing enforced or explained it: the joiner was told
// "already a member", logged it once, and sat for good as a voter that never caught up (the leader
// kept its old match and ignored its rejections), able to grant votes it had forgotten (found in
// review). Now it stops (exit 1) naming the way back, and that way works.
//
// Restarted with its founding flags instead (no --join), it founded the cluster again on the empty
// directory and sat at its founding configuration: the leader, counting the entries it had
// acknowledged, sent it no appends until a new write came, and it could vote again in a term it had
// voted in (found 12-07). Now the leader's first heartbeat gives it away (a commit index past its
// log end) and it stops the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { ProcessCluster, http, waitFor, type RaftProcess } from '../support/processes.js';

/** Writes three keys, then kills a follower and deletes its --path (its output cleared). */
async function killAndWipeFollower(c: ProcessCluster): Promise<{ leader: RaftProcess; wiped: RaftProcess }> {
  const leader = await c.waitLeader();
  for (let i = 0; i < 3; i++) assert.is((await http(`${leader.url}/kv/k${i}`, { method: 'PUT', body: 'v' })).status, 200);
  const wiped = c.nodes.find((n) => n !== leader)!;
  await wiped.kill();
  rmSync(wiped.path, { recursive: true, force: true });
  wiped.output = '';
  return { leader, wiped };
}

test('a voter restarted with --join on an empty --path stops, saying to remove it first; removed, then started again with --join, it catches up', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const { leader, wiped } = await killAndWipeFollower(c);
    wiped.start(['--join']);
    await waitFor('the wiped joiner to stop', () => !wiped.running, 20_000);
    assert.match(wiped.output, /its data directory holds no log/);
    assert.match(wiped.output, new RegExp(`DELETE /members/${wiped.peerAddress.replace(/[.]/g, '\\.')}`));
    // The way back: remove it on a member, then start it again with --join.
    const removed = await http(`${leader.url}/members/${encodeURIComponent(wiped.peerAddress)}`, { method: 'DELETE' });
    assert.is(removed.status, 200, removed.text);
    rmSync(wiped.path, { recursive: true, force: true });
    wiped.start(['--join']);
    await waitFor('the rejoined node to hold the data', async () => (await http(`${wiped.url}/kv/k2?consistency=local`).catch(() => undefined))?.text === 'v', 20_000);
    await waitFor('it to be a voter again', async () => (await leader.status())?.members.some((m) => m.address === wiped.peerAddress && !m.nonVoting), 20_000);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test('a voter restarted with its founding flags on an empty --path stops (refused by the members that heard from its old directory, or at the first heartbeat), naming the lost data and the way back', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const { leader, wiped } = await killAndWipeFollower(c);
    wiped.start();
    await waitFor('the wiped member to stop', () => !wiped.running, 20_000);
    assert.is(wiped.child!.exitCode, 1);
    assert.match(
      wiped.output,
      /fatal: LostDataError: (the leader .* counts entries up to index \d+ as acknowledged by this node, whose log ends at index 1|the member .* refuses this node's streams: .* dialed in with data directory incarnation [0-9a-f]{16}, but this node heard from it as incarnation [0-9a-f]{16})/,
    );
    assert.match(wiped.output, new RegExp(`DELETE /members/${wiped.peerAddress.replace(/[.]/g, '\\.')}`));
    assert.not.match(wiped.output, /a restart recovers/, 'no advice to restart it as it is');
    // The others serve meanwhile.
    assert.is((await http(`${leader.url}/kv/after`, { method: 'PUT', body: 'w' })).status, 200);
    // The way back.
    const removed = await http(`${leader.url}/members/${encodeURIComponent(wiped.peerAddress)}`, { method: 'DELETE' });
    assert.is(removed.status, 200, removed.text);
    rmSync(wiped.path, { recursive: true, force: true });
    wiped.start(['--join']);
    await waitFor('the rejoined node to hold the data', async () => (await http(`${wiped.url}/kv/after?consistency=local`).catch(() => undefined))?.text === 'w', 20_000);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test('a wiped voter stopped by LostDataError (founding flags), then removed, then started with --join on the same --path joins and catches up (found on CI runs: the heartbeats the leader had queued for its old self reached it and stopped it again, telling it to remove itself)', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const { leader, wiped } = await killAndWipeFollower(c);
    wiped.start();
    await waitFor('the wiped member to stop', () => !wiped.running, 20_000);
    assert.match(wiped.output, /LostDataError/);
    const removed = await http(`${leader.url}/members/${encodeURIComponent(wiped.peerAddress)}`, { method: 'DELETE' });
    assert.is(removed.status, 200, removed.text);
    // Removed now, and started with --join on its --path as it is (the failed start wrote the
    // founding entry there, the one every founder holds): a new member to the cluster.
    wiped.output = '';
    wiped.start(['--join']);
    const outcome = await waitFor(
      'the joiner to hold the data or stop',
      async () => {
        if (!wiped.running) return 'stopped';
        const r = await http(`${wiped.url}/kv/k2?consistency=local`, { timeoutMs: 1000 }).catch(() => undefined);
        return r?.text === 'v' ? 'joined' : undefined;
      },
      20_000,
    );
    assert.is(outcome, 'joined', wiped.output);
    await waitFor('it to be a voter again', async () => (await leader.status())?.members.some((m) => m.address === wiped.peerAddress && !m.nonVoting), 20_000);
    assert.not.match(wiped.output, /LostDataError/);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test.run();
