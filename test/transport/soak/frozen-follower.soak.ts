/**
 * Review (behaviour over time): a follower process frozen with SIGSTOP for 30 s while the leader
 * takes writes over the real gRPC transport. Two members (leader + healthy follower) run in this
 * process; the third runs in a child process (this same file, REVIEW_CHILD=1) that is frozen.
 *
 * Checks: the leader's memory stays bounded during the freeze, writes go on near the healthy rate,
 * the follower catches up (through a snapshot: the log is compacted meanwhile) in bounded time
 * after SIGCONT, and memory comes back down.
 *
 * Run: node --expose-gc --import tsx test/transport/soak/frozen-follower.soak.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Node } from '../../../src/node.js';
import { Kv, SetCommand, TestCluster, kvSnapshot } from '../../support/node-cluster.js';

const OPTIONS = {
  heartbeatMs: 50,
  electionTimeoutMs: 500,
  requestTimeoutMs: 5000,
  sync: 'none' as const,
  snapshotTrailingEntries: 200,
  snapshotEntryThreshold: 5000,
  snapshotsKept: 1,
  walSegmentBytes: 256 * 1024,
  logLevel: 'error' as const,
};

/**
 * The test context records every command applied (Kv.log, for convergence checks), and its
 * snapshots carry that record: over this run's ~140,000 writes of 1 KiB that is the process's
 * largest, ever-growing memory, which a bound on the transport's memory must not measure.
 */
function forgetAppliedOrder(kv: Kv): void {
  kv.log.push = () => 0;
}

if (process.env.REVIEW_CHILD) {
  const [address, members, dataDir] = [process.env.ADDR!, process.env.MEMBERS!, process.env.DIR!];
  const [host, port] = address.split(':') as [string, string];
  const kv = new Kv();
  forgetAppliedOrder(kv);
  const node = await Node.create<Kv>({ host, port: Number(port), dataDir, context: kv, members, ...OPTIONS });
  node.registerCommand(SetCommand);
  node.setSnapshot(kvSnapshot(kv));
  await node.start();
  setInterval(() => process.stdout.write(`applied ${node.status().appliedIndex}\n`), 100);
  process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
} else {
  const { test } = await import('uvu');
  const assert: typeof import('uvu/assert') = await import('uvu/assert');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const mib = (b: number) => Math.round(b / 1048576);
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

  let child: ChildProcess | undefined;
  let c: TestCluster | undefined;
  test.after.each(async () => {
    child?.kill('SIGCONT');
    child?.kill('SIGKILL');
    child = undefined;
    await c?.close();
    c = undefined;
  });

  test('a follower frozen 30 s: bounded leader memory, writes go on, catch-up via snapshot, memory back down', async () => {
    c = await TestCluster.grpc(3, OPTIONS);
    c.configure = (node) => forgetAppliedOrder(node.context);
    const [a1, a2, a3] = c.addresses as [string, string, string];
    await c.start(a1);
    await c.start(a2);
    const leader = await c.waitLeader(10_000);
    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, REVIEW_CHILD: '1', ADDR: a3, MEMBERS: c.addresses.join(';'), DIR: join(c.root, 'child') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let childApplied = 0;
    child.stdout!.on('data', (d: Buffer) => {
      const m = /applied (\d+)\s*$/.exec(d.toString());
      if (m) childApplied = Number(m[1]);
    });
    const transport = (leader as unknown as { transport: { stats(): { peers: Record<string, { queuedBytes: number; queuedMessages: number; dropped: number; connected: boolean; reconnects: number }> } } }).transport;
    const value = 'x'.repeat(1024);
    let done = 0;
    let failed = 0;
    let writing = true;
    const writers = Array.from({ length: 32 }, async (_, w) => {
      for (let i = 0; writing; i++) {
        try {
          await leader.do(new SetCommand(`k${w}-${i % 500}`, value));
          done++;
        } catch {
          failed++;
        }
      }
    });
    const rate = async (ms: number, sample?: () => void): Promise<number> => {
      const start = done;
      const t0 = Date.now();
      while (Date.now() - t0 < ms) {
        await sleep(1000);
        sample?.();
      }
      return ((done - start) * 1000) / (Date.now() - t0);
    };
    // Warm up until the child has caught up, then measure the healthy rate.
    const t0 = Date.now();
    while (childApplied < leader.status().commitIndex - 2000) {
      if (Date.now() - t0 > 20_000) throw new Error(`child never caught up before the freeze (${childApplied})`);
      await sleep(100);
    }
    const healthy = await rate(3000);
    gc();
    const base = process.memoryUsage();
    if (!process.env.CONTROL) child.kill('SIGSTOP');
    const timeline: string[] = [];
    const linkOf = () => (transport as unknown as { links: Map<string, Record<string, unknown>> }).links.get(a3)!;
    let peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
    let peakQueued = 0;
    const frozenRate = await rate(30_000, () => {
      const m = process.memoryUsage();
      peak = { rss: Math.max(peak.rss, m.rss), heapUsed: Math.max(peak.heapUsed, m.heapUsed), external: Math.max(peak.external, m.external), arrayBuffers: Math.max(peak.arrayBuffers, m.arrayBuffers) };
      peakQueued = Math.max(peakQueued, transport.stats().peers[a3]?.queuedBytes ?? 0);
      const l = linkOf();
      timeline.push(`${mib(m.rss)}/${mib(m.heapUsed)}/${mib(m.arrayBuffers)} ${l.state} infl=${l.inflightBytes} drain=${l.waitingDrain} q=${transport.stats().peers[a3]?.queuedMessages}`);
    });
    const leaderStatus = leader.status();
    writing = false;
    await Promise.all(writers);
    const target = leader.status().commitIndex;
    const resumedAt = Date.now();
    child.kill('SIGCONT');
    let caughtUpMs = -1;
    while (Date.now() - resumedAt < 20_000) {
      if (childApplied >= target) {
        caughtUpMs = Date.now() - resumedAt;
        break;
      }
      await sleep(50);
    }
    await sleep(2000);
    gc();
    const after = process.memoryUsage();
    const report =
      `healthy ${healthy.toFixed(0)} w/s, frozen ${frozenRate.toFixed(0)} w/s, failed ${failed}; ` +
      `rss base ${mib(base.rss)} peak ${mib(peak.rss)} after ${mib(after.rss)} MiB; heap base ${mib(base.heapUsed)} peak ${mib(peak.heapUsed)} after ${mib(after.heapUsed)}; ` +
      `arrayBuffers base ${mib(base.arrayBuffers)} peak ${mib(peak.arrayBuffers)} after ${mib(after.arrayBuffers)}; peak queued to frozen ${mib(peakQueued)} MiB; ` +
      `leader first/snapshot index at resume ${leaderStatus.firstIndex}/${leaderStatus.snapshotIndex}; target ${target}; caught up in ${caughtUpMs} ms; ` +
      `link ${JSON.stringify(transport.stats().peers[a3])}`;
    console.log(report);
    console.log(timeline.join('\n'));
    assert.ok(leaderStatus.firstIndex > 1 && leaderStatus.snapshotIndex > 0, `the log was not compacted: the test proves nothing about snapshot catch-up. ${report}`);
    // The bounds are on what the link to the frozen peer holds, plus a process bound. Until 12-07
    // the test context's record of every applied command (and its snapshots, which carried it)
    // grew the process to 1.3–1.6 GiB, as much in a control run without the freeze; without it,
    // 12-07: base 329, peak 504 MiB, heap back to 60 MiB after the catch-up.
    assert.ok(frozenRate >= healthy * 0.4, `writes slowed by the frozen follower. ${report}`);
    assert.ok(peakQueued <= 8 * 1048576, `queue to the frozen peer over its 8 MiB bound. ${report}`);
    assert.ok(peak.rss < 1024 * 1048576, `process RSS over 1 GiB. ${report}`);
    assert.ok(caughtUpMs >= 0 && caughtUpMs < 15_000, `the follower did not catch up within 15 s of SIGCONT. ${report}`);
  });

  test.run();
}
