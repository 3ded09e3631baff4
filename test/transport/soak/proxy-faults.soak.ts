/**
 * Review (behaviour over time): faults between real Nodes on the gRPC transport over loopback,
 * with the third member's peer port behind a small TCP proxy (it advertises the proxy's address
 * and listens on another port), so that its connections can be stalled (half-open: TCP stays up,
 * nothing is forwarded) or reset, and with the member itself restarted on the same port.
 *
 * Run: node --import tsx test/transport/soak/proxy-faults.soak.ts
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Kv, SetCommand } from '../../support/node-cluster.js';
import type { Node } from '../../../src/node.js';
import { proxiedCluster, type ProxiedCluster } from '../../support/proxied-cluster.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


interface LinkView {
  state: string;
  queue: { length: number };
}
type Stats = { peers: Record<string, { connected: boolean; reconnects: number; dropped: number; sent: number }> };
const transportOf = (n: Node<Kv>) => (n as unknown as { transport: { stats(): Stats; links: Map<string, LinkView> } }).transport;
const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
const fds = () => readdirSync('/proc/self/fd').length;

const OPTIONS = { heartbeatMs: 50, electionTimeoutMs: 500, requestTimeoutMs: 3000, sync: 'none' as const, logLevel: 'silent' as const };

/** `n` writers on the leader until stop(); counts successes and failures. */
function writers(leader: Node<Kv>, n: number, pauseMs = 5) {
  const s = { ok: 0, failed: 0, running: true, errors: new Set<string>() };
  const all = Array.from({ length: n }, async (_, w) => {
    for (let i = 0; s.running; i++) {
      try {
        await leader.do(new SetCommand(`w${w}`, String(i)));
        s.ok++;
      } catch (err) {
        s.failed++;
        s.errors.add((err as Error).constructor.name);
      }
      await sleep(pauseMs);
    }
  });
  return { s, stop: async () => ((s.running = false), await Promise.all(all)) };
}

let env: ProxiedCluster | undefined;
test.after.each(async () => {
  await env?.close();
  env = undefined;
});

test('half-open link (proxy stops forwarding for 20 s, TCP stays up): noticed, and recovers once it resumes', async () => {
  env = await proxiedCluster(OPTIONS);
  const { cluster: c, proxy, behind, leader } = env;
  const follower = c.node(behind);
  const w = writers(leader, 4);
  await c.waitFor(() => transportOf(leader).stats().peers[behind]?.connected, 5000, 'leader linked to the proxied member');
  await sleep(1000);
  proxy.stall();
  const stalledAt = Date.now();
  let noticedMs = -1;
  const states: string[] = [];
  while (Date.now() - stalledAt < 20_000) {
    const link = transportOf(leader).links.get(behind)!;
    if (noticedMs < 0 && !transportOf(leader).stats().peers[behind]!.connected) noticedMs = Date.now() - stalledAt;
    if (states.at(-1) !== link.state) states.push(link.state);
    await sleep(50);
  }
  const acceptedDuringStall = proxy.accepted;
  proxy.resume();
  const resumedAt = Date.now();
  let recoveredMs = -1;
  while (Date.now() - resumedAt < 30_000) {
    const committed = leader.status().commitIndex;
    if (transportOf(leader).stats().peers[behind]!.connected && follower.status().appliedIndex >= committed - 5) {
      recoveredMs = Date.now() - resumedAt;
      break;
    }
    await sleep(50);
  }
  await w.stop();
  const report = `noticed after ${noticedMs} ms; link states while stalled ${states.join('>')}; proxy connections accepted ${acceptedDuringStall}; recovered ${recoveredMs} ms after resume; writes ok ${w.s.ok} failed ${w.s.failed}; follower applied ${follower.status().appliedIndex} leader commit ${leader.status().commitIndex}`;
  console.log(report);
  assert.ok(noticedMs >= 0 && noticedMs < 10_000, `the leader's link kept claiming connected over a stalled connection. ${report}`);
  assert.ok(recoveredMs >= 0 && recoveredMs < 10_000, `the link did not recover within 10 s of the proxy resuming. ${report}`);
  await c.waitConverged(10_000);
});

test('half-open then reset: connections stalled 20 s are then reset (not resumed); the link comes back', async () => {
  env = await proxiedCluster(OPTIONS);
  const { cluster: c, proxy, behind, leader } = env;
  const follower = c.node(behind);
  const w = writers(leader, 4);
  await c.waitFor(() => transportOf(leader).stats().peers[behind]?.connected, 5000, 'leader linked to the proxied member');
  proxy.stall();
  await sleep(20_000);
  proxy.reset();
  proxy.resume();
  const at = Date.now();
  let recoveredMs = -1;
  while (Date.now() - at < 20_000) {
    if (transportOf(leader).stats().peers[behind]!.connected && follower.status().appliedIndex >= leader.status().commitIndex - 5) {
      recoveredMs = Date.now() - at;
      break;
    }
    await sleep(50);
  }
  await w.stop();
  const report = `recovered ${recoveredMs} ms after the reset; writes ok ${w.s.ok} failed ${w.s.failed}`;
  console.log(report);
  assert.ok(recoveredMs >= 0 && recoveredMs < 5_000, report);
});

test('member restarted on the same port 20 times, 300 ms apart, under writes: reconnects every time, no handle/fd growth, logs converge', async () => {
  env = await proxiedCluster(OPTIONS);
  const { cluster: c, behind, leader, startBehind } = env;
  const w = writers(leader, 4);
  await c.waitFor(() => transportOf(leader).stats().peers[behind]?.connected, 5000, 'leader linked');
  await sleep(500);
  const h0 = handles();
  const f0 = fds();
  const r0 = transportOf(leader).stats().peers[behind]!.reconnects;
  const reconnectMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    await c.stop(behind);
    await sleep(300);
    await startBehind();
    const t = Date.now();
    const before = transportOf(leader).stats().peers[behind]!.reconnects;
    await c.waitFor(() => transportOf(leader).stats().peers[behind]!.reconnects > before || undefined, 10_000, `reconnect #${i + 1}`);
    reconnectMs.push(Date.now() - t);
  }
  await w.stop();
  await c.waitConverged(10_000);
  await sleep(3000);
  const h1 = handles();
  const f1 = fds();
  const stats = transportOf(leader).stats().peers[behind]!;
  const report = `reconnects ${stats.reconnects - r0}; ms from start to leader reconnect: ${reconnectMs.join(',')}; handles ${h0} -> ${h1}; fds ${f0} -> ${f1}; writes ok ${w.s.ok} failed ${w.s.failed} (${[...w.s.errors].join(',')}); dropped to it ${stats.dropped}`;
  console.log(report);
  assert.ok(h1 - h0 <= 5, `active handles grew. ${report}`);
  assert.ok(f1 - f0 <= 5, `fds grew. ${report}`);
});

test('proxy reset + refused for 300 ms, 20 times (peer "crashes" without a goodbye): reconnects each time, no growth', async () => {
  env = await proxiedCluster(OPTIONS);
  const { cluster: c, proxy, behind, leader } = env;
  const follower = c.node(behind);
  const w = writers(leader, 4);
  await c.waitFor(() => transportOf(leader).stats().peers[behind]?.connected, 5000, 'leader linked');
  await sleep(500);
  const h0 = handles();
  const f0 = fds();
  const reconnectMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const before = transportOf(leader).stats().peers[behind]!.reconnects;
    await proxy.close();
    await sleep(300);
    await proxy.listen();
    const t = Date.now();
    await c.waitFor(() => transportOf(leader).stats().peers[behind]!.reconnects > before || undefined, 10_000, `reconnect #${i + 1}`);
    reconnectMs.push(Date.now() - t);
  }
  await w.stop();
  await c.waitConverged(10_000);
  await sleep(3000);
  const h1 = handles();
  const f1 = fds();
  const report = `ms from listen to leader reconnect: ${reconnectMs.join(',')}; handles ${h0} -> ${h1}; fds ${f0} -> ${f1}; writes ok ${w.s.ok} failed ${w.s.failed}; follower applied ${follower.status().appliedIndex}`;
  console.log(report);
  assert.ok(Math.max(...reconnectMs) < 5000, `a reconnect took longer than 5 s. ${report}`);
  assert.ok(h1 - h0 <= 5, `active handles grew. ${report}`);
  assert.ok(f1 - f0 <= 5, `fds grew. ${report}`);
});

test.run();
