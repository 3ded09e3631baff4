/**
 * Review (behaviour over time): a snapshot transfer over the real gRPC transport interrupted
 * mid-way, by resetting the receiver's connections (proxy) or by stopping the receiver, must
 * restart and finish, leave no temp file on the receiver and no file handle leaked on the sender.
 *
 * Run: node --import tsx test/transport/soak/snapshot-interrupt.soak.ts
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Kv, SetCommand, TestCluster } from '../../support/node-cluster.js';
import type { Node } from '../../../src/node.js';
import { proxiedCluster, type ProxiedCluster } from '../../support/proxied-cluster.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


const OPTIONS = {
  heartbeatMs: 50,
  electionTimeoutMs: 500,
  requestTimeoutMs: 5000,
  sync: 'none' as const,
  logLevel: 'silent' as const,
  snapshotTrailingEntries: 5,
  snapshotsKept: 1,
  walSegmentBytes: 64 * 1024,
  snapshotChunkBytes: 64 * 1024,
};

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
/** Paths this process holds open under `dir`. */
function openUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {}
  }
  return out;
}

let env: ProxiedCluster | undefined;
test.after.each(async () => {
  await env?.close();
  env = undefined;
});

async function setup() {
  env = await proxiedCluster(OPTIONS);
  const { cluster: cc, leader, behind, startBehind } = env;
  await leader.do(new SetCommand('first', '1'));
  await cc.waitFor(() => cc.node(behind).context.data.get('first') === '1', 5000, 'follower has first');
  await cc.stop(behind);
  const big = 'v'.repeat(32 * 1024);
  for (let i = 0; i < 400; i++) await leader.do(new SetCommand(`k${i}`, big + i));
  const at = await leader.snapshot();
  assert.ok(leader.status().firstIndex > 3, 'log compacted past the stopped follower');
  const behindDir = join(cc.root, behind.replace(':', '-'));
  const leaderDir = join(cc.root, leader.address.replace(':', '-'));
  return { cc, leader, behind, startBehind, at, behindDir, leaderDir };
}

const tmpFiles = (dir: string) => walk(dir).filter((p) => p.endsWith('.tmp'));

async function waitTransferStarted(dir: string): Promise<void> {
  const t = Date.now();
  while (tmpFiles(dir).length === 0) {
    if (Date.now() - t > 10_000) throw new Error('no snapshot temp file appeared on the receiver');
    await sleep(5);
  }
  await sleep(300); // part-way
}

async function waitCaughtUp(cc: TestCluster, leader: Node<Kv>, behind: string, ms: number): Promise<number> {
  const t = Date.now();
  await cc.waitFor(() => cc.nodes.get(behind) && cc.node(behind).context.data.get('k399')?.endsWith('399'), ms, 'the follower to install the snapshot');
  await leader.do(new SetCommand('after', 'yes'));
  await cc.waitFor(() => cc.node(behind).context.data.get('after') === 'yes', 5000, 'replication after the snapshot');
  return Date.now() - t;
}

test('snapshot transfer cut mid-way by a connection reset (receiver down 1 s): restarts, finishes, no temp file, no sender fd leak', async () => {
  const { cc, leader, behind, startBehind, behindDir, leaderDir } = await setup();
  const t0 = Date.now();
  await startBehind();
  await waitTransferStarted(behindDir);
  const tmpAtCut = tmpFiles(behindDir).length;
  await env!.proxy.close();
  await sleep(1000);
  await env!.proxy.listen();
  const caughtUp = await waitCaughtUp(cc, leader, behind, 30_000);
  await sleep(500);
  const leftover = tmpFiles(behindDir);
  const leaderOpen = openUnder(leaderDir).filter((p) => !p.endsWith('.wal') && !p.includes('LOCK') && !p.endsWith('lock'));
  const report = `temp files at cut ${tmpAtCut}; caught up ${caughtUp} ms after the cut (${Date.now() - t0} ms after restart); temp files left ${JSON.stringify(leftover)}; leader holds open ${JSON.stringify(leaderOpen)}`;
  console.log(report);
  assert.equal(leftover, [], `temp files left on the receiver. ${report}`);
});

test('snapshot transfer cut mid-way by stopping the receiver: restart resumes/finishes, no temp file left', async () => {
  const { cc, leader, behind, startBehind, behindDir, leaderDir } = await setup();
  await startBehind();
  await waitTransferStarted(behindDir);
  await cc.stop(behind);
  const tmpAfterStop = tmpFiles(behindDir);
  await sleep(500);
  await startBehind();
  const caughtUp = await waitCaughtUp(cc, leader, behind, 30_000);
  await sleep(500);
  const leftover = tmpFiles(behindDir);
  const leaderOpen = openUnder(leaderDir).filter((p) => !p.endsWith('.wal'));
  const report = `temp files right after stop ${JSON.stringify(tmpAfterStop.map((p) => p.slice(behindDir.length)))}; caught up ${caughtUp} ms after restart; temp files left ${JSON.stringify(leftover)}; leader holds open ${JSON.stringify(leaderOpen.map((p) => p.slice(leaderDir.length)))}`;
  console.log(report);
  assert.equal(leftover, [], `temp files left on the receiver. ${report}`);
});

test.run();
