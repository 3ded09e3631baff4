// A voter whose data directory was lost, restarted with --join (real processes). README: "a member
// that forgot what it acknowledged or voted must not rejoin as itself" — remove it first, then
// start it again with --join. Before, nothing enforced or explained it: the joiner was told
// "already a member", logged it once, and sat for good as a voter that never caught up (the leader
// kept its old match and ignored its rejections), able to grant votes it had forgotten (found in
// review). Now it stops (exit 1) naming the way back, and that way works.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { ProcessCluster, http, waitFor } from '../support/processes.js';

test('a voter restarted with --join on an empty --path stops, saying to remove it first; removed, then started again with --join, it catches up', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    for (let i = 0; i < 3; i++) assert.is((await http(`${leader.url}/kv/k${i}`, { method: 'PUT', body: 'v' })).status, 200);
    const wiped = c.nodes.find((n) => n !== leader)!;
    await wiped.kill();
    rmSync(wiped.path, { recursive: true, force: true });
    wiped.output = '';
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

test.run();
