/**
 * The fault schedule, drawn from the seed as it runs, in two lanes that overlap: the network lane
 * (partitions, one-way cuts, loss / duplication / delay with jitter) and the node lane (stop and
 * restart on the same data directory, a whole-cluster restart, leadership transfer, a member
 * removed and added again, on-demand snapshots). At most floor((size-1)/2) members are down or
 * removed at once, so the cluster can make progress between faults and a history holds more than
 * refusals; partitions are not limited (they heal on their own).
 *
 * Timing is real, so a seed reproduces the choices (which fault, which node, how long) but not
 * the interleaving with the nodes' timers: a replay is best-effort.
 */
import { SeededRandom } from '../../src/core/rng.js';
import type { Node } from '../../src/node.js';
import type { FuzzCluster } from './cluster.js';
import type { Kv } from './commands.js';
import { describeError } from './outcome.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The network lane's calm state: what every lossy spell returns to. */
export const CALM = { dropRate: 0, duplicateRate: 0, delayMs: 0, jitterMs: 0 } as const;

export class FaultRunner {
  /** One line per fault, with its time (ms since the cluster's start). */
  readonly applied: string[] = [];
  readonly counts = new Map<string, number>();
  /** Restarts that failed (a node that cannot start on its own data is a finding). */
  readonly anomalies: string[] = [];
  /** Not violations, but worth a look: a membership change that took many seconds under brief faults. */
  readonly warnings: string[] = [];
  /** Removed by a leave() that resolved, not yet added again. */
  readonly removed = new Set<string>();
  private stopping = false;
  private lanes: Promise<void>[] = [];
  private readonly maxDisrupted: number;

  constructor(
    private readonly cluster: FuzzCluster,
    seed: number,
    /** Mean pause between faults of a lane, ms. */
    private readonly pauseMs: number,
  ) {
    this.netRng = new SeededRandom((seed * 31 + 7) >>> 0);
    this.nodeRng = new SeededRandom((seed * 131 + 3) >>> 0);
    this.maxDisrupted = Math.floor((cluster.o.size - 1) / 2);
  }

  private readonly netRng: SeededRandom;
  private readonly nodeRng: SeededRandom;

  start(): void {
    this.lanes.push(this.lane(this.netRng, () => this.networkFault()), this.lane(this.nodeRng, () => this.nodeFault()));
  }

  /** Ends both lanes after their fault in progress (each undoes what it did). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.lanes);
  }

  private record(kind: string, what: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.applied.push(`${this.cluster.now()} ms ${kind}: ${what}`);
    this.cluster.note(`FAULT ${kind}: ${what}`);
  }

  private async lane(rng: SeededRandom, fault: () => Promise<void>): Promise<void> {
    while (!this.stopping) {
      await sleep(this.pauseMs / 2 + rng.int(this.pauseMs));
      if (this.stopping) return;
      await fault();
    }
  }

  private hold(rng: SeededRandom): Promise<void> {
    return sleep(150 + rng.int(1200));
  }

  // --- network lane -------------------------------------------------------------------------

  private async networkFault(): Promise<void> {
    const rng = this.netRng;
    const net = this.cluster.network;
    const all = this.cluster.addresses;
    const roll = rng.int(100);
    if (roll < 25) {
      const a = rng.pick(all);
      this.record('isolate', a);
      for (const b of all) if (b !== a) net.partition(a, b);
      await this.hold(rng);
      for (const b of all) if (b !== a) net.heal(a, b);
    } else if (roll < 40) {
      const side = all.filter(() => rng.chance(0.5));
      const other = all.filter((a) => !side.includes(a));
      this.record('split', `${side.join(',') || '-'} | ${other.join(',') || '-'}`);
      for (const a of side) for (const b of other) net.partition(a, b);
      await this.hold(rng);
      for (const a of side) for (const b of other) net.heal(a, b);
    } else if (roll < 60) {
      // One-way: the leader (when there is one) often, since a leader that is heard but cannot
      // hear, or hears but is not heard, is where lease and ReadIndex bugs live.
      const leader = this.leaderAddress();
      const from = leader !== undefined && rng.chance(0.5) ? leader : rng.pick(all);
      const toAll = rng.chance(0.5);
      const targets = toAll ? all.filter((a) => a !== from) : [rng.pick(all.filter((a) => a !== from))];
      const inbound = rng.chance(0.5);
      this.record('one-way', inbound ? `${targets.join(',')} -/-> ${from}` : `${from} -/-> ${targets.join(',')}`);
      for (const t of targets) inbound ? net.cut(t, from) : net.cut(from, t);
      await this.hold(rng);
      for (const t of targets) net.heal(from, t);
    } else if (roll < 85) {
      const faults = {
        dropRate: rng.chance(0.7) ? rng.next() * 0.25 : 0,
        duplicateRate: rng.chance(0.6) ? rng.next() * 0.25 : 0,
        delayMs: rng.int(4),
        jitterMs: rng.chance(0.7) ? rng.int(40) : 0,
      };
      this.record('lossy', `drop ${faults.dropRate.toFixed(2)} dup ${faults.duplicateRate.toFixed(2)} delay ${faults.delayMs} jitter ${faults.jitterMs}`);
      net.setFaults(faults);
      await this.hold(rng);
      net.setFaults(CALM);
    }
    // else: a calm spell
  }

  // --- node lane ----------------------------------------------------------------------------

  private leaderAddress(): string | undefined {
    return this.cluster.nodes().find(([, n]) => n.isLeader())?.[0];
  }

  private disrupted(): number {
    const down = this.cluster.addresses.filter((a) => !this.cluster.isRunning(a)).length;
    return down + [...this.removed].filter((a) => this.cluster.isRunning(a)).length;
  }

  /** A running node other than those listed, or undefined. */
  private pickRunning(rng: SeededRandom, except: string[] = []): [string, Node<Kv>] | undefined {
    const nodes = this.cluster.nodes().filter(([a]) => !except.includes(a) && !this.removed.has(a));
    return nodes.length ? rng.pick(nodes) : undefined;
  }

  private async nodeFault(): Promise<void> {
    const rng = this.nodeRng;
    const roll = rng.int(100);
    if (roll < 35) await this.restartOne(rng);
    else if (roll < 42) await this.restartAll(rng);
    else if (roll < 62) await this.transfer(rng);
    else if (roll < 80) await this.removeAndAddAgain(rng);
    else await this.snapshot(rng);
  }

  private async restartOne(rng: SeededRandom): Promise<void> {
    if (this.disrupted() + 1 > this.maxDisrupted) return;
    // The leader a third of the time: its failover is the interesting case.
    const leader = this.leaderAddress();
    const target = leader !== undefined && rng.chance(0.35) ? leader : this.pickRunning(rng)?.[0];
    if (target === undefined) return;
    this.record('restart', target);
    await this.cluster.stop(target);
    await sleep(50 + rng.int(1000));
    await this.startAgain(target);
  }

  private async restartAll(rng: SeededRandom): Promise<void> {
    if (this.removed.size > 0) return;
    const running = this.cluster.nodes().map(([a]) => a);
    this.record('restart-all', running.join(','));
    await Promise.all(running.map((a) => this.cluster.stop(a)));
    await sleep(50 + rng.int(400));
    await Promise.all(running.map((a) => this.startAgain(a)));
  }

  /** Starts `address` on its data again; a failure is a finding, and the heal phase retries. */
  async startAgain(address: string): Promise<void> {
    try {
      await this.cluster.start(address);
    } catch (err) {
      this.anomalies.push(`${this.cluster.now()} ms: ${address} failed to start on its own data: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private async transfer(rng: SeededRandom): Promise<void> {
    const asker = this.pickRunning(rng);
    if (!asker) return;
    const voters = asker[1].members().filter((m) => !m.nonVoting && m.address !== asker[1].leader);
    if (voters.length === 0) return;
    const target = rng.pick(voters).address;
    try {
      await asker[1].transferLeadership(target);
      this.record('transfer', `to ${target} via ${asker[0]}: done`);
    } catch (err) {
      this.record('transfer', `to ${target} via ${asker[0]}: ${describeError(err)}`);
    }
  }

  /**
   * leave() of a voter through a random member (the voter itself sometimes), a pause, then the
   * voter added again: half the time as it is (running, its data kept: join() by a member), half
   * the time as a new node (stopped, its directory wiped, started with `join`).
   */
  private async removeAndAddAgain(rng: SeededRandom): Promise<void> {
    if (this.removed.size > 0 || this.disrupted() + 1 > this.maxDisrupted) return;
    const asker = this.pickRunning(rng);
    if (!asker) return;
    const voters = asker[1].members().filter((m) => !m.nonVoting && this.cluster.isRunning(m.address));
    if (voters.length < 3) return;
    const target = rng.pick(voters).address;
    try {
      await asker[1].leave(target);
    } catch (err) {
      // In doubt or refused: the heal phase adds back whoever the leader no longer lists.
      this.record('leave', `${target} via ${asker[0]}: ${describeError(err)}`);
      return;
    }
    this.removed.add(target);
    this.record('leave', `${target} via ${asker[0]}: done`);
    await this.hold(rng);
    await this.addAgain(target, rng.chance(0.5), rng);
  }

  /** Adds `address` back (see removeAndAddAgain); on failure the heal phase tries again. */
  async addAgain(address: string, fresh: boolean, rng: SeededRandom = this.nodeRng): Promise<void> {
    if (fresh) {
      await this.cluster.stop(address);
      this.cluster.wipe(address);
      const via = this.cluster.addresses.filter((a) => a !== address).join(';');
      this.record('rejoin-fresh', `${address} (wiped) via ${via}`);
      try {
        const node = await this.cluster.start(address, via);
        await withTimeout(node.admitted(), 10_000, `${address} admitted`);
        this.removed.delete(address);
      } catch (err) {
        this.record('rejoin-fresh', `${address}: ${describeError(err)} ${(err as Error).message}`);
      }
      return;
    }
    const began = Date.now();
    const errors = new Map<string, number>();
    const slow = (outcome: string): void => {
      if (Date.now() - began < 5000) return;
      const seen = [...errors].map(([e, n]) => `${n}x ${e}`).join('; ');
      this.warnings.push(`${this.cluster.now()} ms: adding ${address} back took ${Date.now() - began} ms (${outcome}); refusals: ${seen}`);
    };
    while (Date.now() - began < 10_000) {
      const asker = this.pickRunning(rng, [address]);
      if (!asker) return;
      try {
        await asker[1].join({ address });
        this.removed.delete(address);
        this.record('rejoin', `${address} via ${asker[0]}: done after ${errors.size ? [...errors.values()].reduce((a, b) => a + b) : 0} refusals`);
        return slow('done');
      } catch (err) {
        const e = `${describeError(err)} via ${asker[0]}: ${(err as Error).message}`;
        errors.set(e, (errors.get(e) ?? 0) + 1);
        // An attempt in doubt (the leader changed before answering) may have added it: then the
        // next attempts are refused as "already a member", which is the success asked for.
        if (asker[1].members().some((m) => m.address === address)) {
          this.removed.delete(address);
          this.record('rejoin', `${address} via ${asker[0]}: found a member after ${describeError(err)}`);
          return slow('found a member');
        }
        await sleep(100);
      }
    }
    this.record('rejoin', `${address}: gave up after ${[...errors.values()].reduce((a, b) => a + b, 0)} refusals`);
    slow('gave up');
  }

  private async snapshot(rng: SeededRandom): Promise<void> {
    const picked = this.pickRunning(rng);
    if (!picked) return;
    try {
      const at = await picked[1].snapshot();
      this.record('snapshot', `${picked[0]} at ${at}`);
    } catch (err) {
      this.record('snapshot', `${picked[0]}: ${describeError(err)} ${(err as Error).message}`);
    }
  }
}

/** Rejects with "timed out waiting for `what`" after `ms`; clears its timer either way. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
