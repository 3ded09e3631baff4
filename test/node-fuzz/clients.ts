/**
 * Concurrent clients against random running nodes (a follower forwards to the leader), recording
 * a history for the linearizability checker and, per mutating operation, what its caller was told
 * (acknowledged, certainly not applied, unknown) for the final-log checks.
 *
 * Recording, as test/chaos/clients.ts does over HTTP:
 * - write / append / delete: resolved `ok`; certainly not applied `fail`; else `info`, and the
 *   client continues under a fresh process id (an op of unknown outcome stays open for ever).
 * - cas: resolved true `ok`, false `fail` (the comparison failed: an observation); any error
 *   `info` — a history `fail` would claim "the value differed", which nothing observed.
 * - ReadIndex and lease reads: confirmed `ok` with the local context's value, else `fail` (a read
 *   changes nothing, so a refused one is simply not in the linearization).
 * - local reads (no confirmation) are done but not recorded: they may be stale by design.
 * Every written value is unique (`w<client>.<n>`, `a…`, `c…`), so a log line names one operation.
 */
import { SeededRandom } from '../../src/core/rng.js';
import type { Command } from '../../src/command.js';
import type { Node } from '../../src/node.js';
import type { HistoryRecorder } from '../support/lincheck/index.js';
import type { FuzzCluster } from './cluster.js';
import { AppendCommand, CasCommand, DeleteCommand, type Kv, logLine, SetCommand } from './commands.js';
import { describeError, documented, failureKind } from './outcome.js';

export type FuzzOp = 'write' | 'append' | 'cas' | 'delete' | 'read' | 'lease-read' | 'local-read';

const WEIGHTS: Array<[FuzzOp, number]> = [
  ['write', 20],
  ['append', 20],
  ['cas', 15],
  ['delete', 4],
  ['read', 22],
  ['lease-read', 12],
  ['local-read', 7],
];

/** What the caller of one mutating operation was told. */
export interface Mutation {
  /** The line its command pushes to the Kv log when it applies. */
  line: string;
  told: 'acked' | 'notApplied' | 'unknown';
  /** "write k1 w2.5 via n3:9003 at 1234 ms: NotLeaderError" (for the report). */
  detail: string;
}

export interface ClientOptions {
  cluster: FuzzCluster;
  recorder: HistoryRecorder;
  seed: number;
  clients: number;
  keys: readonly string[];
  /** Upper bound of the random pause between operations, ms. */
  thinkMs: number;
  /**
   * Sensitivity check only: record local reads as linearizable reads. They may be stale by
   * design, so the checker should then fail some histories (it shows the checker can see them).
   */
  recordLocalReads?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class FuzzClients {
  readonly mutations: Mutation[] = [];
  /** "op outcome ErrorClass" -> count. */
  readonly tally = new Map<string, number>();
  /** Errors the API does not document, and operations that never settled. */
  readonly anomalies: string[] = [];
  private nextProcess: number;
  private stopping = false;
  private loops: Promise<void>[] = [];
  /** Bound on one operation's wait: past it, the node broke its own requestTimeoutMs. */
  private readonly hangMs: number;

  constructor(private readonly o: ClientOptions) {
    this.nextProcess = o.clients;
    this.hangMs = o.cluster.o.requestTimeoutMs * 2 + 5000;
  }

  start(): void {
    for (let c = 0; c < this.o.clients; c++) this.loops.push(this.client(c));
  }

  /** Lets each client finish its operation in progress, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  newProcess(): number {
    return this.nextProcess++;
  }

  count(what: string): void {
    this.tally.set(what, (this.tally.get(what) ?? 0) + 1);
  }

  private async client(c: number): Promise<void> {
    const rng = new SeededRandom((this.o.seed * 7919 + c * 104729 + 17) >>> 0);
    const total = WEIGHTS.reduce((n, [, w]) => n + w, 0);
    const seen = new Map<string, string | null>();
    let proc = c;
    let n = 0;
    while (!this.stopping) {
      const nodes = this.o.cluster.nodes();
      if (nodes.length === 0) {
        await sleep(20);
        continue;
      }
      let pick = rng.int(total);
      let op: FuzzOp = 'read';
      for (const [name, w] of WEIGHTS) {
        if (pick < w) {
          op = name;
          break;
        }
        pick -= w;
      }
      const key = rng.pick(this.o.keys);
      const [address, node] = rng.pick(nodes);
      n++;
      const outcome = await this.one({ proc, c, n, op, key, address, node, seen, rng });
      if (outcome === 'unknown') proc = this.newProcess();
      // After a refusal, a pause (as a client backing off would): a removed member answers at
      // once, and a client looping on it would fill the history with refusals.
      await sleep(outcome === 'ok' ? rng.int(this.o.thinkMs + 1) : 10 + rng.int(40));
    }
  }

  /** One operation, recorded; 'unknown' when its outcome is (the process must change). */
  private async one(a: { proc: number; c: number; n: number; op: FuzzOp; key: string; address: string; node: Node<Kv>; seen: Map<string, string | null>; rng: SeededRandom }): Promise<'ok' | 'refused' | 'unknown'> {
    const { proc, op, key, node, seen } = a;
    const h = this.o.recorder;
    if (op === 'local-read') {
      // Not linearizable by contract; only exercised (it must not throw).
      const value = node.context.data.get(key) ?? null;
      if (this.o.recordLocalReads) {
        h.invoke(proc, 'read', key);
        h.ok(proc, value);
      }
      this.count('local-read ok');
      return 'ok';
    }
    if (op === 'read' || op === 'lease-read') {
      h.invoke(proc, 'read', key);
      const r = await this.bounded(node.confirmRead(op === 'read' ? 'index' : 'lease'), `${op} ${key} via ${a.address}`);
      if (r.ok && r.value === 'confirmed') {
        const value = node.context.data.get(key) ?? null;
        h.ok(proc, value);
        seen.set(key, value);
        this.count(`${op} ok`);
        return 'ok';
      }
      h.fail(proc);
      this.count(`${op} fail ${r.ok ? r.value : describeError(r.error)}`);
      return 'refused';
    }
    const tag = `${a.c}.${a.n}`;
    let command: SetCommand | AppendCommand | CasCommand | DeleteCommand;
    let line: string;
    if (op === 'write') {
      const value = `w${tag}`;
      h.invoke(proc, 'write', key, value);
      command = new SetCommand(key, value);
      line = logLine.write(key, value);
    } else if (op === 'append') {
      const value = `|a${tag}`;
      h.invoke(proc, 'append', key, value);
      command = new AppendCommand(key, value);
      line = logLine.append(key, value);
    } else if (op === 'delete') {
      h.invoke(proc, 'delete', key);
      command = new DeleteCommand(key, `d${tag}`);
      line = logLine.del(key, `d${tag}`);
    } else {
      // Mostly the value this client last saw (so some succeed), sometimes a guess.
      const expect = a.rng.chance(0.75) ? (seen.get(key) ?? null) : null;
      const value = `c${tag}`;
      h.invoke(proc, 'cas', key, [expect, value]);
      command = new CasCommand(key, expect, value);
      line = logLine.cas(key, value);
    }
    const started = this.o.cluster.now();
    const r = await this.bounded(node.do<unknown>(command as Command<Kv, unknown>), `${op} ${line} via ${a.address}`);
    const detail = `${op} ${line} via ${a.address} at ${started}-${this.o.cluster.now()} ms`;
    if (r.ok) {
      this.mutations.push({ line, told: 'acked', detail });
      this.count(`${op} ok`);
      if (op === 'cas' && r.value === false) {
        h.fail(proc);
        return 'ok';
      }
      h.ok(proc);
      if (op === 'write' || op === 'cas') seen.set(key, (command as SetCommand | CasCommand).value);
      else if (op === 'append') seen.set(key, r.value as string);
      else seen.set(key, null);
      return 'ok';
    }
    const kind = r.hung ? 'unknown' : failureKind(r.error);
    const why = r.hung ? 'hung' : describeError(r.error);
    this.mutations.push({ line, told: kind, detail: `${detail}: ${why}` });
    this.count(`${op} ${kind} ${why}`);
    if (!r.hung && !documented(r.error)) this.anomalies.push(`undocumented error from ${detail}: ${(r.error as Error)?.stack ?? String(r.error)}`);
    if (kind === 'notApplied' && op !== 'cas') {
      h.fail(proc);
      return 'refused';
    }
    h.info(proc);
    return 'unknown';
  }

  /**
   * Waits for `p`, but no longer than hangMs: every request is bounded by the node's
   * requestTimeoutMs, so one still pending long after is a hang worth reporting (and must not
   * stall the run). A late settlement is swallowed, never an unhandled rejection.
   */
  private async bounded<T>(p: Promise<T>, what: string): Promise<{ ok: true; value: T } | { ok: false; error: unknown; hung?: true }> {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), this.hangMs)));
    const settled = p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const r = await Promise.race([settled, hang]);
    clearTimeout(timer);
    if (r === 'hang') {
      this.anomalies.push(`${what} did not settle within ${this.hangMs} ms (requestTimeoutMs ${this.o.cluster.o.requestTimeoutMs})`);
      return { ok: false, error: new Error('hung'), hung: true };
    }
    return r;
  }
}
