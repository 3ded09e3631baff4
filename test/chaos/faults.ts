/**
 * The nemesis: carries out a {@link ScheduledFault} list against a {@link ChaosCluster}, one window
 * at a time, and records each window (what was done, to whom, and notes) for the report.
 *
 * - kill: kill -9 of 1..minority voters (half the time including the leader), restarted with the
 *   same --path when the window closes.
 * - pause: SIGSTOP of 1..minority voters, SIGCONT when the window closes.
 * - partition (needs a NetnsLab): random halves, the leader isolated, or a one-way cut from the
 *   minority to the majority or the other way round; healed when the window closes. The minority
 *   side never holds more than a minority of the voters.
 * - membership: a new node joins (--join, voter or non-voting), then a member is removed with
 *   DELETE /members/{address} (a non-voting one, or a voter while there are more voters than the
 *   cluster started with; possibly the leader); a removed node's process is killed.
 * - snapshot: a member is killed, POST /snapshot goes to every other member (each compacts its
 *   log), then the member restarts and must catch up from a snapshot.
 *
 * Never more than a minority of the voters is down, paused or cut off at once: a window first
 * waits (briefly) for nodes restarted by the previous one, and shrinks or skips itself when some
 * are still down.
 * @module
 */
import { SeededRandom } from '../../src/core/rng.js';
import type { NodeStatus } from '../../src/server/status.js';
import { http } from '../support/processes.js';
import type { ChaosCluster, ChaosNode } from './cluster.js';
import type { FaultKind, ScheduledFault } from './schedule.js';

/** One fault window as it happened (times in ms since the run's start). */
export interface FaultWindow {
  n: number;
  kind: FaultKind;
  start: number;
  end: number;
  description: string;
  notes: string[];
  /** Why it did nothing, when it did nothing. */
  skipped?: string;
}

/** How a node that was down during a snapshot caught up. */
export interface SnapshotCatchUp {
  node: string;
  /** true: it installed a snapshot; false: it caught up from the log; undefined: not within the window. */
  bySnapshot: boolean | undefined;
}

export class Nemesis {
  readonly windows: FaultWindow[] = [];
  readonly catchUps: SnapshotCatchUp[] = [];
  private stopped = false;
  private lastConfig: NodeStatus['members'] = [];

  constructor(
    private readonly cluster: ChaosCluster,
    seed: number,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
    /** The founding voter count: membership changes never go below it. */
    private readonly baseVoters: number,
    private readonly rng = new SeededRandom((seed ^ 0x5bd1e995) >>> 0),
  ) {}

  /** Ends the current window early (its faults are healed by `healAll`). */
  stop(): void {
    this.stopped = true;
  }

  /** Runs the schedule; resolves after the last window closed (or `stop`). */
  async run(schedule: readonly ScheduledFault[]): Promise<void> {
    for (const f of schedule) {
      while (!this.stopped && this.now() < f.at) await sleep(Math.min(200, f.at - this.now()));
      if (this.stopped) return;
      const w: FaultWindow = { n: this.windows.length + 1, kind: f.kind, start: this.now(), end: this.now(), description: '', notes: [] };
      this.windows.push(w);
      try {
        await this.window(f, w);
      } catch (err) {
        w.notes.push(`nemesis error: ${(err as Error).message}`);
      }
      w.end = this.now();
      this.log(`  [${(w.start / 1000).toFixed(1)}s-${(w.end / 1000).toFixed(1)}s] ${w.kind}: ${w.skipped ? `skipped (${w.skipped})` : w.description}${w.notes.length ? ` — ${w.notes.join('; ')}` : ''}`);
    }
  }

  /** Heals partitions, resumes paused nodes and restarts every member that is down. */
  async healAll(): Promise<void> {
    await this.cluster.lab?.heal();
    for (const n of this.cluster.members()) {
      if (n.proc.paused) n.proc.resume();
      if (!n.proc.running) n.start();
    }
  }

  private async window(f: ScheduledFault, w: FaultWindow): Promise<void> {
    const until = f.at + f.duration;
    await this.waitAllUp(4000);
    switch (f.kind) {
      case 'kill':
      case 'pause':
        return this.stopNodes(f, w, until);
      case 'partition':
        return this.partition(f, w, until);
      case 'membership':
        return this.membership(f, w, until);
      case 'snapshot':
        return this.snapshot(f, w, until);
    }
  }

  // -------------------------------------------------------------------------------------------

  private async stopNodes(f: ScheduledFault, w: FaultWindow, until: number): Promise<void> {
    const { voters, leader, down } = await this.view();
    const minority = Math.floor((voters.length - 1) / 2);
    const budget = minority - down.filter((n) => voters.includes(n)).length;
    const want = Math.min(budget, 1 + Math.floor(f.variant * minority));
    if (want <= 0) {
      w.skipped = `no voter may go down (${voters.length} voters, ${down.length} down)`;
      return this.until(until);
    }
    const up = voters.filter((n) => n.state === 'up');
    const victims: ChaosNode[] = [];
    if (leader && up.includes(leader) && this.rng.chance(0.5)) victims.push(leader);
    for (const n of this.shuffle(up)) if (victims.length < want && !victims.includes(n)) victims.push(n);
    const names = victims.map((n) => `${n.name}${n === leader ? ' (leader)' : ''}`).join(', ');
    if (f.kind === 'kill') {
      w.description = `kill -9 ${names}`;
      await Promise.all(victims.map((n) => n.proc.kill()));
      await this.until(until);
      for (const n of victims) if (!n.removed) n.start();
    } else {
      w.description = `SIGSTOP ${names}`;
      for (const n of victims) n.proc.pause();
      await this.until(until);
      for (const n of victims) n.proc.resume();
    }
  }

  private async partition(f: ScheduledFault, w: FaultWindow, until: number): Promise<void> {
    const lab = this.cluster.lab;
    if (!lab) {
      w.skipped = 'no network namespaces';
      return this.until(until);
    }
    const { voters, learners, leader, down } = await this.view();
    const minority = Math.floor((voters.length - 1) / 2);
    // Voters still down after the previous window count against the minority that may be cut off
    // (found in a README audit: a leader was isolated while another voter of three was down).
    const downVoters = down.filter((n) => voters.includes(n));
    const budget = minority - downVoters.length;
    if (budget <= 0) {
      w.skipped = `no voter may be cut off (${voters.length} voters, ${downVoters.length} down)`;
      return this.until(until);
    }
    const variant = Math.floor(f.variant * 4);
    let small: ChaosNode[];
    if (variant === 1 && leader && !downVoters.includes(leader)) small = [leader];
    else small = this.shuffle(voters.filter((n) => !downVoters.includes(n))).slice(0, Math.min(budget, Math.max(1, 1 + this.rng.int(minority))));
    for (const n of learners) if (this.rng.chance(0.5)) small.push(n);
    const big = this.cluster.members().filter((n) => !small.includes(n));
    const s = small.map((n) => n.index);
    const b = big.map((n) => n.index);
    const names = (ns: ChaosNode[]): string => ns.map((n) => `${n.name}${n === leader ? '*' : ''}`).join(',');
    if (variant <= 1) {
      w.description = `${variant === 1 ? 'leader isolated' : 'halves'}: {${names(small)}} | {${names(big)}}`;
      await lab.partition(s, b);
    } else if (variant === 2) {
      w.description = `one-way: {${names(small)}} cannot send to {${names(big)}}`;
      await lab.cut(s.flatMap((from) => b.map((to) => ({ from, to }))));
    } else {
      w.description = `one-way: {${names(big)}} cannot send to {${names(small)}}`;
      await lab.cut(b.flatMap((from) => s.map((to) => ({ from, to }))));
    }
    await this.until(until);
    await lab.heal();
  }

  private async membership(f: ScheduledFault, w: FaultWindow, scheduledEnd: number): Promise<void> {
    let until = scheduledEnd;
    const start = this.now();
    const nonVoting = f.variant < 0.35;
    const joiner = await this.cluster.join(nonVoting);
    const parts = [`${joiner.name} joins${nonVoting ? ' non-voting' : ' as a voter'}`];
    w.description = parts[0]!;
    // Starting a process takes a second or more on a loaded machine: allow at least 8 s (the
    // window then runs over its scheduled end, and the next one starts late).
    const addDeadline = Math.max(start + (until - start) * 0.6, start + 8000);
    until = Math.max(until, addDeadline + 2000);
    let admitted = false;
    while (this.now() < addDeadline && !this.stopped) {
      const { config } = await this.view();
      const m = config.find((x) => x.address === joiner.address);
      if (m && (nonVoting || !m.nonVoting)) {
        admitted = true;
        break;
      }
      await sleep(200);
    }
    w.notes.push(admitted ? `${joiner.name} is a ${nonVoting ? 'non-voting member' : 'voter'} after ${((this.now() - start) / 1000).toFixed(1)}s` : `${joiner.name} not ${nonVoting ? 'admitted' : 'a voter'} within the window`);
    const { voters, learners, leader } = await this.view();
    const candidates = [...learners, ...(voters.length > this.baseVoters ? voters : [])].filter((n) => n !== joiner || admitted);
    if (candidates.length === 0) {
      w.notes.push(`no removal (${voters.length} voters, minimum ${this.baseVoters})`);
      return this.until(until);
    }
    const victim = this.rng.pick(candidates);
    parts.push(`remove ${victim.name}${victim === leader ? ' (leader)' : ''}`);
    w.description = parts.join(', then ');
    let result = 'not removed within the window';
    while (this.now() < until && !this.stopped) {
      const via = this.rng.pick(this.cluster.members().filter((n) => n.state === 'up' && n !== victim)) ?? leader;
      if (!via) break;
      const r = await http(`${via.url}/members/${encodeURIComponent(victim.address)}`, { method: 'DELETE', timeoutMs: 4000 }).catch((err: Error) => ({ status: 0, text: err.message }));
      if (r.status === 200) {
        result = `${victim.name} removed`;
        victim.removed = true;
        await victim.proc.kill();
        break;
      }
      result = `DELETE answered ${r.status} ${r.text.slice(0, 80)}`;
      await sleep(300);
    }
    w.notes.push(result);
    await this.until(until);
  }

  private async snapshot(_f: ScheduledFault, w: FaultWindow, until: number): Promise<void> {
    const start = this.now();
    const { voters, learners, leader, down } = await this.view();
    const minority = Math.floor((voters.length - 1) / 2);
    const upVoters = voters.filter((n) => n.state === 'up');
    let pool = [...learners.filter((n) => n.state === 'up')];
    if (down.filter((n) => voters.includes(n)).length < minority) pool.push(...upVoters);
    if (leader && pool.length > 1 && this.rng.chance(0.75)) pool = pool.filter((n) => n !== leader);
    const victim = pool.length > 0 ? this.rng.pick(pool) : undefined;
    if (!victim) {
      w.skipped = 'no member may go down';
      return this.until(until);
    }
    const before = await victim.status();
    if (!before) {
      w.skipped = `${victim.name} does not answer`;
      return this.until(until);
    }
    w.description = `kill -9 ${victim.name}${victim === leader ? ' (leader)' : ''}, POST /snapshot on the others, restart ${victim.name}`;
    await victim.proc.kill();
    await this.until(start + (until - start) * 0.4);
    const taken: string[] = [];
    for (const n of this.cluster.members()) {
      if (n === victim || n.state !== 'up') continue;
      const r = await http(`${n.url}/snapshot`, { method: 'POST', timeoutMs: 5000 }).catch((err: Error) => ({ status: 0, text: err.message, json: () => ({}) }));
      taken.push(r.status === 200 ? `${n.name}@${(r.json() as { index?: number }).index}` : `${n.name}:${r.status}`);
    }
    w.notes.push(`snapshots ${taken.join(' ')}`);
    await this.until(start + (until - start) * 0.6);
    if (victim.removed) return this.until(until);
    victim.start();
    const target = (await this.cluster.leader())?.status.commitIndex ?? 0;
    let caught: boolean | undefined;
    while (!this.stopped) {
      const s = await victim.status();
      if (s && s.appliedIndex >= target) {
        caught = s.snapshotIndex > before.snapshotIndex;
        break;
      }
      if (this.now() > until + 5000) break;
      await sleep(200);
    }
    this.catchUps.push({ node: victim.name, bySnapshot: caught });
    w.notes.push(caught === undefined ? `${victim.name} had not caught up with index ${target} by the window's end` : `${victim.name} caught up ${caught ? 'by installing a snapshot' : 'from the log (no snapshot needed)'}`);
    await this.until(until);
  }

  // -------------------------------------------------------------------------------------------

  /** The configuration as the leader reports it (the last one seen when there is no leader). */
  private async view(): Promise<{ config: NodeStatus['members']; voters: ChaosNode[]; learners: ChaosNode[]; leader: ChaosNode | undefined; down: ChaosNode[] }> {
    const l = await this.cluster.leader();
    if (l) this.lastConfig = l.status.members;
    const config = this.lastConfig;
    const nodes = (nonVoting: boolean): ChaosNode[] =>
      config
        .filter((m) => m.nonVoting === nonVoting)
        .map((m) => this.cluster.byAddress(m.address))
        .filter((n): n is ChaosNode => n !== undefined && !n.removed);
    const members = this.cluster.members();
    const down: ChaosNode[] = [];
    await Promise.all(
      members.map(async (n) => {
        if (n.state !== 'up' || !(await n.status())) down.push(n);
      }),
    );
    return { config, voters: nodes(false), learners: nodes(true), leader: l?.node, down };
  }

  /** Waits up to `ms` until every member answers /status. */
  private async waitAllUp(ms: number): Promise<void> {
    const deadline = this.now() + ms; // the nemesis's clock, as every other wait here
    while (this.now() < deadline && !this.stopped) {
      const statuses = await Promise.all(this.cluster.members().map((n) => n.status()));
      if (statuses.every((s) => s)) return;
      await sleep(200);
    }
  }

  private async until(t: number): Promise<void> {
    while (!this.stopped && this.now() < t) await sleep(Math.min(200, t - this.now()));
  }

  private shuffle<T>(items: readonly T[]): T[] {
    const a = [...items];
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
