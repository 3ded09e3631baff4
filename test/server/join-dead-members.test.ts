// raft-node --join when members it lists are down (real processes). A joiner asked the listed
// members one at a time and waited out a whole --request-timeout on one that was down, silently: no
// log line said it was trying to join, whom it asked, or that they did not answer (found in
// review). Each attempt now waits at most two election timeouts, and the joiner says whom it asks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { ProcessCluster, RaftProcess, waitFor } from '../support/processes.js';
import { freePort } from '../support/node-cluster.js';

test('--join whose first listed member is down joins through the live ones promptly, not after --request-timeout', async () => {
  const c = await ProcessCluster.start(3);
  try {
    await c.waitLeader();
    const down = c.nodes[0]!; // the joiner's --members lists it first
    await down.kill();
    const leader = await c.waitLeader();
    const joiner = await c.joiner();
    joiner.start(['--request-timeout', '20s']);
    await waitFor('the joiner to serve', () => joiner.output.includes('serving'), 15_000);
    const started = Date.now();
    const joined = await waitFor(
      'the joiner to be a voting member',
      async () => (await leader.status())?.members.some((m) => m.address === joiner.peerAddress && !m.nonVoting),
      8_000,
    ).catch(() => false);
    assert.ok(joined, `two of three members are up and elected a leader, yet the joiner was not a member ${Date.now() - started} ms after it started (it waits out --request-timeout 20s on ${down.peerAddress}, which is down)`);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test('--join naming only members that are down says, in its log, that it is trying to join and whom it asked', async () => {
  const c = await ProcessCluster.start(0);
  const deadA = `127.0.0.1:${await freePort()}`;
  const deadB = `127.0.0.1:${await freePort()}`;
  const peer = `127.0.0.1:${await freePort()}`;
  const node = new RaftProcess(peer, await freePort(), join(c.root, 'joiner'), ['--heartbeat', '50ms', '--election-timeout', '500ms', '--members', `${deadA};${deadB}`, '--join', '--request-timeout', '1s']);
  c.nodes.push(node);
  try {
    node.start();
    await waitFor('the joiner to serve', () => node.output.includes('serving'), 15_000);
    // Four request timeouts: every listed member was asked at least once.
    await new Promise((r) => setTimeout(r, 4_500));
    assert.ok(node.running, 'it keeps trying');
    const lines = node.output.split('\n').filter((l) => !l.includes('cannot open stream'));
    const joinLines = lines.filter((l) => /join/i.test(l) && (l.includes(deadA) || l.includes(deadB)));
    assert.ok(joinLines.length > 0, `no log line says the node is asking ${deadA} or ${deadB} to add it, or that they do not answer; its output:\n${node.output}`);
  } finally {
    await c.close();
  }
});

test.run();
