// The nemesis keeps to "never more than a minority of the voters down, paused or cut off at once"
// when a voter is still down from the previous window: a partition window shrinks or skips itself
// (found in a README audit: it isolated the leader of three voters while another was down). Run
// against a fake cluster (no raft-node, no namespaces) on a fast clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChaosCluster } from './cluster.js';
import { Nemesis } from './faults.js';
import type { ScheduledFault } from './schedule.js';

/** A stand-in for a raft-node member: up or down, and whether it restarted (then it lags forever). */
interface FakeNode {
  index: number;
  name: string;
  address: string;
  url: string;
  removed: boolean;
  up: boolean;
  restarted: boolean;
  readonly state: 'up' | 'down' | 'removed';
  proc: { paused: boolean; readonly running: boolean; kill(): Promise<void>; pause(): void; resume(): void };
  start(): void;
  status(): Promise<Record<string, unknown> | undefined>;
}

function fakeCluster(size: number, leaderIndex: number): { cluster: ChaosCluster; nodes: FakeNode[]; partitions: Array<[number[], number[]]>; cuts: unknown[] } {
  const nodes: FakeNode[] = [];
  const members = () => nodes.map((n) => ({ address: n.address, nonVoting: false }));
  for (let i = 0; i < size; i++) {
    const n: FakeNode = {
      index: i,
      name: `n${i}`,
      address: `10.99.0.${10 + i}:7000`,
      url: 'http://127.0.0.1:1', // nothing listens: POST /snapshot fails fast, which the nemesis tolerates
      removed: false,
      up: true,
      restarted: false,
      get state() {
        return n.removed ? 'removed' : n.up ? 'up' : 'down';
      },
      proc: {
        paused: false,
        get running() {
          return n.up;
        },
        kill: async () => {
          n.up = false;
        },
        pause() {},
        resume() {},
      },
      start() {
        n.up = true;
        n.restarted = true;
      },
      status: async () =>
        n.up
          ? { state: i === leaderIndex ? 'leader' : 'follower', term: 1, commitIndex: 100, appliedIndex: n.restarted ? 0 : 100, snapshotIndex: 0, members: members(), leader: { address: nodes[leaderIndex]!.address } }
          : undefined,
    };
    nodes.push(n);
  }
  const partitions: Array<[number[], number[]]> = [];
  const cuts: unknown[] = [];
  const cluster = {
    lab: {
      partition: async (a: number[], b: number[]) => void partitions.push([[...a], [...b]]),
      cut: async (c: unknown[]) => void cuts.push(...c),
      heal: async () => {},
    },
    members: () => nodes.filter((n) => !n.removed),
    byAddress: (address: string) => nodes.find((n) => n.address === address),
    leader: async () => {
      const l = nodes[leaderIndex]!;
      const s = await l.status();
      return s ? { node: l, status: s } : undefined;
    },
  };
  return { cluster: cluster as unknown as ChaosCluster, nodes, partitions, cuts };
}

/** A clock running `factor` times faster than real time. */
function fastClock(factor: number): () => number {
  const t0 = performance.now();
  return () => (performance.now() - t0) * factor;
}

test('a partition window while one of three voters is still down skips itself (no voter may be cut off)', async () => {
  const { cluster, nodes, partitions, cuts } = fakeCluster(3, 0);
  nodes[2]!.up = false; // restarted by the previous window but not answering yet
  const nemesis = new Nemesis(cluster, 1234, fastClock(20), () => {}, 3);
  for (const variant of [0.1, 0.3, 0.6, 0.9]) await nemesis.run([{ at: 0, duration: 3000, kind: 'partition', variant }]);
  for (const w of nemesis.windows) assert.ok(w.skipped !== undefined, `window ${w.n}: ${w.description}`);
  assert.equal(partitions, []);
  assert.equal(cuts, []);
});

test('a partition window while one of five voters is down cuts off at most one more, never the down one', async () => {
  for (const variant of [0.1, 0.3, 0.6, 0.9]) {
    for (const seed of [1, 2, 3, 4]) {
      const { cluster, nodes, partitions, cuts } = fakeCluster(5, 0);
      nodes[3]!.up = false;
      const nemesis = new Nemesis(cluster, seed, fastClock(20), () => {}, 5);
      await nemesis.run([{ at: 0, duration: 3000, kind: 'partition', variant }] as ScheduledFault[]);
      const w = nemesis.windows[0]!;
      const small = new Set([...partitions.map(([a]) => a), ...(cuts as Array<{ from: number; to: number }>).map((c) => (variant < 0.75 ? [c.from] : [c.to]))].flat());
      assert.ok(w.skipped === undefined, `seed ${seed}, variant ${variant}: skipped (${w.skipped})`);
      assert.ok(small.size === 1 && !small.has(3), `seed ${seed}, variant ${variant}: cut off {${[...small].join(',')}} with n3 down: ${w.description}`);
    }
  }
});

test.run();
