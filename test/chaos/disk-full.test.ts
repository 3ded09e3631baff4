// A member's disk fills up (ENOSPC) under writes: first a follower's, then the leader's. The rules:
// a node that cannot write its log stops and says why (it cannot keep its promises; raft-node exits
// 1 so a supervisor restarts it), the other members go on serving, a restart while the disk is
// still full fails the same clear way, and once space is freed the member restarts from its data
// directory and catches up, with every acknowledged write still there.
//
// Each member's --path is its own small tmpfs, filled by a filler file as another program would
// fill a shared disk. Mounting needs root (CI runs as root); without it the test's name says it was
// skipped and why, as the network-namespace test does.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, type RaftProcess, waitFor } from '../support/processes.js';
import { send, sleep } from './clients.js';

const MOUNT = 'size=64m';
const WRITERS = 4;
/** Values of about 512 bytes: the WAL grows a few MiB over the whole test, far from filling 64 MiB by itself. */
const PADDING = 'x'.repeat(500);

interface PutState {
  acked: number;
  attempted: number;
}

/** Whether this process can mount a tmpfs (root, with the capability), and if not, why. */
function tmpfsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root, so no tmpfs can be mounted' };
  const probe = mkdtempSync(join(tmpdir(), 'tsraft-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Writes zeros into `dir/filler` until the file system is full; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const chunk of [Buffer.alloc(1 << 20), Buffer.alloc(4096)]) {
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Resolves with the process's exit code once it exits; rejects after `timeoutMs`. */
function exitOf(node: RaftProcess, timeoutMs: number): Promise<number | null> {
  const child = node.child!;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${node.peerAddress} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const can = tmpfsAvailable();
test(`a full disk stops that member with an error naming it; the others serve; freed, it restarts and catches up; nothing acknowledged is lost${can.ok ? '' : ` (skipped: ${can.reason})`}`, async () => {
  if (!can.ok) return;
  const mounts: string[] = [];
  const c = await ProcessCluster.start(3, {
    args: ['--request-timeout', '2s', '--sync', 'always'],
    beforeStart: (node) => {
      mkdirSync(node.path, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', MOUNT, 'tmpfs', node.path]);
      mounts.push(node.path);
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const puts: PutState[] = Array.from({ length: WRITERS }, () => ({ acked: 0, attempted: 0 }));
  let acked = 0;
  let writing = true;
  const writers: Promise<void>[] = [];
  try {
    await c.waitLeader(30_000);
    for (let w = 0; w < WRITERS; w++) {
      writers.push(
        (async () => {
          for (let i = 0; writing; i++) {
            const n = puts[w]!.attempted + 1;
            puts[w]!.attempted = n;
            const node = c.nodes[(w + i) % c.nodes.length]!;
            const a = await send(agent, `${node.url}/kv/p${w}`, 'PUT', `${n}:${PADDING}`, 3000);
            if (!('error' in a) && a.status === 200) {
              puts[w]!.acked = n;
              acked++;
            } else await sleep(20);
          }
        })(),
      );
    }

    /** Fills `victim`'s disk under the writes and checks each rule; frees it again at the end. */
    const diskFills = async (victim: RaftProcess, role: string): Promise<void> => {
      await waitFor(`writes acknowledged before the ${role}'s disk fills`, () => acked >= 100, 20_000);
      const filler = fill(victim.path);
      // It stops, saying why.
      const code = await exitOf(victim, 30_000);
      assert.is(code, 1, `the ${role} whose disk filled exits with status 1`);
      assert.match(victim.output, /raft-node: fatal: .*(ENOSPC|no space left on device)/, `the ${role} names the full disk:\n${victim.output.slice(-2000)}`);
      // The others go on: a leader among them, and writes acknowledged.
      await c.waitLeader(20_000);
      const before = acked;
      await waitFor(`writes acknowledged with the ${role} down`, () => acked >= before + 100, 20_000);
      // Restarted while the disk is still full: it stops again, saying why (or refuses to start).
      const outputBefore = victim.output.length;
      victim.start();
      const again = await exitOf(victim, 30_000);
      assert.is(again, 1, `the ${role} restarted on a full disk exits with status 1`);
      assert.match(victim.output.slice(outputBefore), /ENOSPC|no space left on device/, `the restart names the full disk:\n${victim.output.slice(outputBefore, outputBefore + 2000)}`);
      const said = (text: string): string => text.split('\n').find((line) => /ENOSPC|no space left/.test(line))?.slice(0, 240) ?? '';
      console.log(`    ${role}: ${said(victim.output.slice(0, outputBefore))}\n    ${role} restarted on the full disk: ${said(victim.output.slice(outputBefore))}`);
      // Space freed: it restarts from its data directory and catches up.
      rmSync(filler);
      victim.start();
      await waitFor(
        `the ${role} to catch up after the disk was freed`,
        async () => {
          const leader = await c.waitLeader(20_000);
          const [mine, theirs] = await Promise.all([victim.status(), leader.status()]);
          return mine !== undefined && theirs !== undefined && mine.appliedIndex >= theirs.commitIndex && mine.leader?.address === theirs.address;
        },
        30_000,
      );
    };

    const first = await c.waitLeader(20_000);
    await diskFills(c.nodes.find((n) => n !== first)!, 'follower');
    await diskFills(await c.waitLeader(20_000), 'leader');

    writing = false;
    await Promise.all(writers);
    // Every member holds the same state, and every acknowledged write is there.
    const leader = await c.waitLeader(20_000);
    await waitFor(
      'every member at the same applied index and digest',
      async () => {
        const statuses = await Promise.all(c.nodes.map((n) => n.status()));
        if (statuses.some((s) => s === undefined)) return false;
        return statuses.every((s) => s!.appliedIndex === statuses[0]!.appliedIndex && s!.digest === statuses[0]!.digest);
      },
      20_000,
    );
    for (const [w, s] of puts.entries()) {
      const a = await send(agent, `${leader.url}/kv/p${w}?consistency=index`, 'GET', undefined, 3000);
      assert.ok(!('error' in a) && a.status === 200, `p${w} read back: ${JSON.stringify(a)}`);
      const got = Number((a as { text: string }).text.split(':')[0]);
      assert.ok(got >= s.acked, `p${w} = ${got}, but ${s.acked} was acknowledged (lost write)`);
      assert.ok(got <= s.attempted, `p${w} = ${got}, never written (last attempted ${s.attempted})`);
    }
    console.log(`    disk-full: a follower's and then the leader's disk filled; ${acked} acknowledged writes, all present`);
  } catch (err) {
    console.error(c.logs().split('\n').slice(-80).join('\n'));
    throw err;
  } finally {
    writing = false;
    await Promise.all(writers);
    agent.destroy();
    await c.close(true);
    for (const dir of mounts) {
      try {
        execFileSync('umount', [dir]);
      } catch {
        execFileSync('umount', ['-l', dir]);
      }
    }
    rmSync(c.root, { recursive: true, force: true });
  }
});

test.run();
