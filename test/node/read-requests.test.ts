// From a mutation review of src/read-requests.ts (ReadRequests), with a fake ReadHost and a fake core:
// timers cleared once a read is answered, a removed node's reads answered at once, a retried read
// that asked a leader timing out (504) rather than being refused (503), and a read state with no
// index refusing its read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Raft } from '../../src/core/index.js';
import { ReadRequests, type ReadHost, type ReadOutcome } from '../../src/read-requests.js';

/** The timers this process holds (Node.js counts each live setTimeout as one 'Timeout'). */
const liveTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface FakeHost extends ReadHost {
  isRunning: boolean;
  /** start() under way (when not running yet). */
  isStarting: boolean;
  isRemoved: boolean;
  applied: number;
  /** Contexts the core was asked, with their lease flag. */
  asked: Array<{ ctx: string; lease: boolean }>;
  /** Resolves the pending nextLeaderChangeOrTick() calls. */
  tick(): void;
  waitsForLeader: number;
}

function fakeHost(): FakeHost {
  let waiting: Array<() => void> = [];
  const host: FakeHost = {
    isRunning: true,
    isStarting: false,
    isRemoved: false,
    applied: 0,
    asked: [],
    waitsForLeader: 0,
    running: () => host.isRunning,
    starting: () => host.isStarting,
    stopping: () => false,
    removed: () => host.isRemoved,
    raft: () =>
      ({
        role: 'follower',
        leaseValid: () => false,
        log: { committed: 0 },
        readIndex: (ctx: string, lease: boolean) => void host.asked.push({ ctx, lease }),
      }) as unknown as Raft,
    appliedIndex: () => host.applied,
    recoverRunning: () => false,
    wake: () => undefined,
    nextLeaderChangeOrTick: () => {
      host.waitsForLeader++;
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    leaseFellBack: () => undefined,
    tick: () => {
      const w = waiting;
      waiting = [];
      for (const resolve of w) resolve();
    },
  };
  return host;
}

test('a confirmed read clears its request timer (none is left running until requestTimeoutMs)', async () => {
  const host = fakeHost();
  const reads = new ReadRequests(host, 'n:1', { requestTimeoutMs: 60_000, leaderWaitMs: 1000 });
  const before = liveTimers();
  const outcomes: ReadOutcome[] = [];
  reads.ask(false, (o) => outcomes.push(o));
  assert.is(liveTimers(), before + 1, 'the request has its timer');
  reads.submit(host.raft());
  reads.record([{ context: host.asked[0]!.ctx, index: 0 }], []);
  reads.serve();
  assert.equal(outcomes, ['confirmed']);
  assert.is(liveTimers(), before, 'the confirmed request left a timer running');
});

test('a read retried for want of a leader and then answered clears its retry timer', async () => {
  const host = fakeHost();
  host.isRunning = false; // still starting: refused, waits for a leader
  host.isStarting = true;
  const reads = new ReadRequests(host, 'n:1', { requestTimeoutMs: 60_000, leaderWaitMs: 30_000 });
  const before = liveTimers();
  const outcomes: ReadOutcome[] = [];
  reads.ask(false, (o) => outcomes.push(o));
  assert.is(host.waitsForLeader, 1, 'waits for a leader');
  host.isRunning = true;
  host.isStarting = false;
  host.tick();
  await nextTurn();
  reads.submit(host.raft());
  assert.is(host.asked.length, 1, 'asked again');
  reads.record([{ context: host.asked[0]!.ctx, index: 0 }], []);
  reads.serve();
  assert.equal(outcomes, ['confirmed']);
  assert.is(liveTimers(), before, 'the answered read left its retry timer running (60 s)');
});

test("a removed node's reads are refused at once, not retried for leaderWaitMs", async () => {
  const host = fakeHost();
  const reads = new ReadRequests(host, 'n:1', { requestTimeoutMs: 60_000, leaderWaitMs: 30_000 });
  const outcomes: ReadOutcome[] = [];
  reads.ask(false, (o) => outcomes.push(o));
  host.isRemoved = true;
  reads.settleAll('refused'); // what the node does when it learns it was removed
  assert.equal(outcomes, ['refused'], 'answered at once');
  assert.is(host.waitsForLeader, 0, 'did not wait for a leader');
});

test('a read asked again of a leader and unanswered at its deadline times out (504), not refused (503)', async () => {
  const host = fakeHost();
  host.isRunning = false;
  host.isStarting = true;
  const reads = new ReadRequests(host, 'n:1', { requestTimeoutMs: 150, leaderWaitMs: 1000 });
  const outcome = new Promise<ReadOutcome>((resolve) => reads.ask(false, resolve));
  host.isRunning = true;
  host.isStarting = false;
  host.tick(); // a leader is known: asked again, and the core never answers
  await nextTurn();
  reads.submit(host.raft());
  assert.is(host.asked.length, 1, 'asked again');
  assert.is(await outcome, 'timedOut');
  reads.settleAll('stopped'); // the request's own timer
});

test('a read state without an index (< 0) refuses its read', async () => {
  const host = fakeHost();
  const reads = new ReadRequests(host, 'n:1', { requestTimeoutMs: 60_000, leaderWaitMs: 0 });
  const outcomes: ReadOutcome[] = [];
  reads.ask(false, (o) => outcomes.push(o));
  reads.submit(host.raft());
  reads.record([{ context: host.asked[0]!.ctx, index: -1 }], []);
  reads.serve();
  assert.equal(outcomes, ['refused']);
});

test('a read is not confirmed before the context applied its read index', async () => {
  const host = fakeHost();
  const reads = new ReadRequests(host, 'n:1', { requestTimeoutMs: 60_000, leaderWaitMs: 0 });
  const outcomes: ReadOutcome[] = [];
  reads.ask(false, (o) => outcomes.push(o));
  reads.submit(host.raft());
  host.applied = 6;
  reads.record([{ context: host.asked[0]!.ctx, index: 7 }], []);
  reads.serve();
  assert.equal(outcomes, [], 'confirmed at applied 6 < read index 7');
  host.applied = 7;
  reads.serve();
  assert.equal(outcomes, ['confirmed']);
});

test.run();
