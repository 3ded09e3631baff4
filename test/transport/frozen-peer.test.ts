/**
 * A peer that freezes without closing its connection (SIGSTOP: a hung process, a paused VM, a
 * pulled cable) while the link is ready. The link pings every pingIntervalMs; it ignored missing
 * pongs, reporting the stream as connected with a stale round trip and "sending" into the void
 * until gRPC keepalive (hard-coded 10 s + 5 s) gave up.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { numbered, sleep, waitFor } from './fixtures.js';
import { makeNode, stopCreated } from './grpc-helpers.js';

let child: ChildProcess | undefined;
test.after.each(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await stopCreated();
});

test('a frozen peer is noticed from missing pongs, not 15 s later: stats stop claiming connected with a fresh rtt', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'test/transport/peer-child.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await waitFor('peer process up', () => out.includes('address '), 20_000);
  const address = /address (\S+)/.exec(out)![1]!;
  const pingIntervalMs = 100;
  const a = makeNode({ pingIntervalMs });
  await a.t.start();
  a.t.setPeers([address]);
  let n = 0;
  const pump = setInterval(() => a.t.send(address, [numbered(++n)]), 10); // heartbeats, every 10 ms
  try {
    await waitFor('connected', () => a.t.stats().peers[address]!.connected && a.t.stats().peers[address]!.rttMs !== undefined, 5000);
    await sleep(300);
    child.kill('SIGSTOP');
    const sentBefore = a.t.stats().peers[address]!.sent;
    await sleep(4000); // 40 ping intervals without a single pong
    const peer = a.t.stats().peers[address]!;
    const intoTheVoid = peer.sent - sentBefore;
    assert.not.ok(
      peer.connected,
      `4 s (${4000 / pingIntervalMs} ping intervals) without a pong the link still says connected, rttMs ${peer.rttMs?.toFixed(2)} ms, ` +
        `and counted ${intoTheVoid} messages as sent into the frozen stream`,
    );
    assert.ok(peer.rttMs! >= 1000, `the round trip shown grows with the wait (${peer.rttMs} ms)`);
    // Back from the freeze: the link connects again and messages flow.
    child.kill('SIGCONT');
    const heard = out.length;
    await waitFor('connected again, and heartbeats received', () => a.t.stats().peers[address]!.connected && out.length > heard + 20, 10_000);
  } finally {
    clearInterval(pump);
    child.kill('SIGCONT');
  }
});

test.run();
