/**
 * One chaos run end to end: a raft-node cluster (in network namespaces when possible), concurrent
 * clients recording a history, the nemesis working through the seeded schedule, then heal, settle,
 * final reads, and the four checks (see report.ts). Used by scripts/chaos.ts and
 * test/chaos/chaos-short.test.ts.
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHistory, HistoryRecorder } from '../support/lincheck/index.js';
import { ChaosCluster } from './cluster.js';
import { Workload, sleep } from './clients.js';
import { Nemesis } from './faults.js';
import { NetnsLab, netnsAvailable } from './netns.js';
import { acknowledgedCheck, countOps, countWindows, formatReport, linearizabilityCheck, servedCheck, type ChaosReport, type CheckOutcome } from './report.js';
import { describeSchedule, makeSchedule, type FaultKind } from './schedule.js';

export interface ChaosOptions {
  /** Seconds of workload and faults. */
  time: number;
  nodes: number;
  faults: FaultKind[];
  seed: number;
  clients: number;
  /** Keep the run directory even when every check passes. */
  keep?: boolean;
  /** Number of keys (default 5). */
  keys?: number;
  /** Time budget of the linearizability checker, ms (default 120 000). */
  checkBudgetMs?: number;
  /** How long the cluster may take to settle after the faults, ms (default 60 000). */
  settleTimeoutMs?: number;
  /** Where progress lines go (default: stdout). */
  log?: (line: string) => void;
}

/** The command line that replays a run's schedule. */
export function replayCommand(o: ChaosOptions): string {
  return `npm run chaos -- --seed ${o.seed} --time ${o.time} --nodes ${o.nodes} --faults ${o.faults.join(',')} --clients ${o.clients}${o.keys !== undefined && o.keys !== 5 ? ` --keys ${o.keys}` : ''}`;
}

export class ChaosRun {
  readonly dir: string;
  readonly recorder = new HistoryRecorder();
  private cluster: ChaosCluster | undefined;
  private lab: NetnsLab | undefined;
  private readonly log: (line: string) => void;

  constructor(readonly options: ChaosOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `tsraft-chaos-${options.seed}-`));
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  }

  /** Writes what there is of the history now (for an interrupted run). */
  dumpSync(): void {
    try {
      writeFileSync(join(this.dir, 'history.jsonl'), this.recorder.toJSONL());
    } catch {
      // best effort
    }
  }

  /** Runs, checks and cleans up; the report says whether every check passed. */
  async run(): Promise<ChaosReport> {
    const o = this.options;
    const started = Date.now();
    const keys = Array.from({ length: o.keys ?? 5 }, (_, i) => `k${i}`);
    let kinds = [...o.faults];
    let partitions = 'not requested';
    if (kinds.includes('partition')) {
      const can = netnsAvailable();
      if (!can.ok) partitions = `skipped: ${can.reason}`;
      else {
        try {
          this.lab = await NetnsLab.create();
          partitions = `network namespaces, bridge ${this.lab.bridge} on 10.77.${this.lab.subnet}.0/24`;
        } catch (err) {
          partitions = `skipped: cannot create network namespaces (${(err as Error).message})`;
        }
      }
      if (!this.lab) {
        this.log(`NOTICE: partitions ${partitions}; the other faults still run`);
        kinds = kinds.filter((k) => k !== 'partition');
      }
    }
    const schedule = makeSchedule(o.seed, o.time * 1000, kinds);
    writeFileSync(join(this.dir, 'schedule.json'), JSON.stringify({ options: o, schedule }, null, 2));
    this.log(`chaos: seed ${o.seed}, ${o.nodes} nodes, ${o.clients} clients, ${o.time} s, faults ${kinds.join(',') || 'none'}; dir ${this.dir}`);
    this.log(`partitions: ${partitions}`);
    this.log(`schedule:\n${describeSchedule(schedule)}`);

    let workload: Workload | undefined;
    try {
      const cluster = (this.cluster = await ChaosCluster.start({ size: o.nodes, dir: this.dir, ...(this.lab ? { lab: this.lab } : {}) }));
      const first = await cluster.waitLeader(30_000);
      if (!first) throw new Error(`no leader within 30 s of starting the cluster\n${cluster.tails()}`);
      this.log(`cluster up: leader ${first.node.name} (${first.node.address}) after ${((Date.now() - started) / 1000).toFixed(1)} s`);

      const t0 = performance.now();
      const now = (): number => performance.now() - t0;
      workload = new Workload({ clients: o.clients, keys, seed: o.seed, targets: () => cluster.clientUrls(), recorder: this.recorder, now });
      const nemesis = new Nemesis(cluster, o.seed, now, this.log, o.nodes);
      workload.start();
      const faults = nemesis.run(schedule);
      await sleep(o.time * 1000);
      nemesis.stop();
      await faults;
      await workload.stop();
      const runMs = now();
      this.log(`workload stopped after ${(runMs / 1000).toFixed(1)} s (${workload.records.length} operations); healing and settling`);

      await nemesis.healAll();
      const settled = await cluster.settle(o.settleTimeoutMs ?? 60_000);
      this.log(`settle: ${settled.ok ? 'ok' : 'FAILED'} in ${(settled.ms / 1000).toFixed(1)} s: ${settled.detail}`);

      // Final values, read linearizably and recorded in the history; then every member's local copy.
      const finals: Record<string, string | null | undefined> = {};
      const up = (): string[] => cluster.members().filter((n) => n.state === 'up').map((n) => n.url);
      for (const key of keys) finals[key] = (await workload.finalRead(key, up, Date.now() + 20_000))?.value;
      const localProblems: string[] = [];
      if (settled.ok) {
        for (const n of settled.members) {
          for (const key of keys) {
            const v = await workload.get(n.url, key, 'local');
            if (v !== finals[key]) localProblems.push(`${n.name}: ${key} = ${JSON.stringify(v)}, final read gave ${JSON.stringify(finals[key])}`);
          }
        }
      }
      await cluster.close();
      workload.close();
      writeFileSync(join(this.dir, 'history.jsonl'), this.recorder.toJSONL());
      writeFileSync(join(this.dir, 'ops.jsonl'), workload.records.map((r) => JSON.stringify(r)).join('\n') + '\n');

      const converged: CheckOutcome = settled.ok
        ? localProblems.length === 0
          ? { pass: true, summary: `${settled.members.length} members applied index ${Object.values(settled.statuses)[0]?.appliedIndex}, digest ${Object.values(settled.statuses)[0]?.digest}`, details: [] }
          : { pass: false, summary: 'local reads differ between members', details: localProblems }
        : {
            pass: false,
            summary: `did not settle within ${((o.settleTimeoutMs ?? 60_000) / 1000).toFixed(0)} s: ${settled.detail}`,
            details: Object.entries(settled.statuses).map(([name, s]) => (s ? `${name}: ${s.state} term ${s.term} applied ${s.appliedIndex} commit ${s.commitIndex} digest ${s.digest}` : `${name}: no answer`)),
          };

      const budget = o.checkBudgetMs ?? 120_000;
      const events = this.recorder.events;
      this.log(`checking ${events.length} history events for linearizability (budget ${budget / 1000} s)...`);
      const lin = linearizabilityCheck(checkHistory(events, { timeoutMs: budget }), budget);
      const acknowledged = acknowledgedCheck(events, finals);
      const counts = countOps(workload.records);
      const served = servedCheck(counts);
      const pass = lin.pass && acknowledged.pass && converged.pass && served.pass;
      const report: ChaosReport = {
        seed: o.seed,
        command: replayCommand(o),
        dir: this.dir,
        nodes: o.nodes,
        clients: o.clients,
        faults: kinds,
        partitions,
        runMs,
        counts,
        windows: countWindows(workload.records, nemesis.windows),
        catchUps: nemesis.catchUps,
        finalValues: Object.fromEntries(Object.entries(finals).map(([k, v]) => [k, v ?? null])),
        historyEvents: events.length,
        unexpected: workload.unexpected,
        checks: { linearizable: lin, acknowledged, converged, served },
        pass,
      };
      writeFileSync(join(this.dir, 'report.json'), JSON.stringify(report, null, 2));
      writeFileSync(join(this.dir, 'report.txt'), formatReport(report) + '\n');
      return report;
    } catch (err) {
      this.dumpSync();
      throw err;
    } finally {
      await workload?.stop();
      workload?.close();
      await this.cluster?.close();
      await this.lab?.destroy();
    }
  }

  /** Deletes the run directory (after a passing run, unless kept). */
  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** raft-node processes of this run still alive (none after `run`). */
  liveProcesses(): number {
    return this.cluster?.nodes.filter((n) => n.proc.running).length ?? 0;
  }

  /** Names of this run's namespaces and links still present (should be none after `run`). */
  leftovers(): string[] {
    return this.lab?.leftovers() ?? [];
  }
}
