/**
 * The chaos workload: concurrent clients doing reads (ReadIndex and lease), writes, compare-and-set,
 * appends and deletes on a small key set against random nodes over HTTP, recording every operation in a
 * {@link HistoryRecorder} (the JSON-lines format of the linearizability checker).
 *
 * Outcomes, as the HTTP API documents them:
 * - 2xx: `ok`; a read's 404 "key not found" is `ok` with null.
 * - CAS 409 "compare failed": `fail` (an observation: the value differed).
 * - 5xx whose JSON body says `"outcome": "not applied"`: `fail` (for a read, write, append or delete).
 * - any other 5xx, a timeout, a reset or any other network error: `info` (unknown), and the
 *   client continues under a new process id.
 * - a refused connection (ECONNREFUSED: nothing was sent, the node is down): `fail`.
 * - a CAS that certainly did not apply (refused, "not applied") is recorded as `info`, not
 *   `fail`: in the history a CAS `fail` claims "the value differed", which nothing observed.
 *
 * Every written value is unique: writes `w<client>.<n>`, CAS values `c<client>.<n>`, appends add
 * `|a<client>.<n>`. So a key's value is a base (a write or CAS value, or "" when the key was
 * created by an append, after a delete or none) followed by append tokens, which is what the
 * final-state check parses.
 * @module
 */
import { Agent, request } from 'node:http';
import { SeededRandom } from '../../src/core/rng.js';
import type { HistoryRecorder } from '../support/lincheck/index.js';

/** The operations a client does (lease reads are `read` in the history). */
export type ClientOp = 'read' | 'lease-read' | 'write' | 'cas' | 'append' | 'delete';
export const CLIENT_OPS: readonly ClientOp[] = ['read', 'lease-read', 'write', 'cas', 'append', 'delete'];

/** One completed operation, for the availability figures (times in ms since the run's start). */
export interface OpRecord {
  op: ClientOp;
  key: string;
  outcome: 'ok' | 'fail' | 'info';
  start: number;
  end: number;
  /** HTTP status (with the error body for non-2xx), or the network error code. */
  detail: string;
  /** The history's process id, the node asked, and the value sent (write/append/cas). */
  process: number;
  node: string;
  value?: string;
}

export interface WorkloadOptions {
  clients: number;
  keys: readonly string[];
  seed: number;
  /** HTTP base URLs the clients may pick from (asked before every operation). */
  targets: () => string[];
  recorder: HistoryRecorder;
  /** ms since the run's start. */
  now: () => number;
  /** Client-side timeout of one request. Default 3000. */
  timeoutMs?: number;
  /** Upper bound of the random pause between a client's operations, ms. Default 10. */
  thinkMs?: number;
}

/** An HTTP answer, or the network failure. */
type Answer = { status: number; text: string } | { error: string };

const WEIGHTS: Array<[ClientOp, number]> = [
  ['read', 28],
  ['lease-read', 10],
  ['write', 19],
  ['cas', 15],
  ['append', 23],
  ['delete', 5],
];

/** Sends one request on a keep-alive agent; never throws. */
export function send(agent: Agent, url: string, method: string, body: string | undefined, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer): void => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    let req;
    try {
      req = request(url, { method, agent, signal: AbortSignal.timeout(timeoutMs), headers: body === undefined ? {} : { 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.name }));
      });
    } catch (err) {
      done({ error: (err as Error).message });
      return;
    }
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.name === 'AbortError' ? 'timeout' : (err.code ?? err.message) }));
    req.end(body);
  });
}

/**
 * A 5xx, 410 or 413: certainly not applied when the body says `"outcome": "not applied"`, and
 * applied when it says `"applied"` (a write whose result was lost: ResultNotKeptError); unknown
 * otherwise.
 */
function outcomeFromBody(text: string): 'ok' | 'fail' | 'info' {
  try {
    const body = JSON.parse(text) as { outcome?: unknown };
    return body.outcome === 'not applied' ? 'fail' : body.outcome === 'applied' ? 'ok' : 'info';
  } catch {
    return 'info';
  }
}

/** Concurrent clients recording a history until stopped. */
export class Workload {
  readonly records: OpRecord[] = [];
  /** Answers the API does not document for the operation (a bug or a test mistake). */
  readonly unexpected: string[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly timeoutMs: number;
  private readonly thinkMs: number;
  private nextProcess: number;
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly o: WorkloadOptions) {
    this.timeoutMs = o.timeoutMs ?? 3000;
    this.thinkMs = o.thinkMs ?? 10;
    this.nextProcess = o.clients;
  }

  start(): void {
    for (let c = 0; c < this.o.clients; c++) this.loops.push(this.client(c));
  }

  /** Stops the clients after their current operation (each is bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  close(): void {
    this.agent.destroy();
  }

  /** A fresh process id (for a client after an unknown outcome, or a final read). */
  newProcess(): number {
    return this.nextProcess++;
  }

  private async client(c: number): Promise<void> {
    const rng = new SeededRandom((this.o.seed * 1000 + c * 7919 + 1) >>> 0);
    const total = WEIGHTS.reduce((n, [, w]) => n + w, 0);
    let proc = c;
    let n = 0;
    const seen = new Map<string, string | null>();
    while (!this.stopping) {
      let pick = rng.int(total);
      let op: ClientOp = 'read';
      for (const [name, w] of WEIGHTS) {
        if (pick < w) {
          op = name;
          break;
        }
        pick -= w;
      }
      const key = rng.pick(this.o.keys);
      const targets = this.o.targets();
      if (targets.length === 0) {
        await sleep(50);
        continue;
      }
      const url = rng.pick(targets);
      n++;
      const outcome = await this.one(proc, c, n, op, key, url, seen);
      if (outcome === 'info') proc = this.newProcess();
      if (outcome !== 'ok') await sleep(20 + rng.int(60));
      else if (this.thinkMs > 0) await sleep(rng.int(this.thinkMs));
    }
  }

  /** Does one operation and records it; returns its outcome. */
  private async one(proc: number, c: number, n: number, op: ClientOp, key: string, url: string, seen: Map<string, string | null>): Promise<'ok' | 'fail' | 'info'> {
    const h = this.o.recorder;
    const path = `${url}/kv/${encodeURIComponent(key)}`;
    const start = this.o.now();
    let answer: Answer;
    let outcome: 'ok' | 'fail' | 'info';
    let readValue: string | null = null;
    let sent: string | undefined;
    if (op === 'read' || op === 'lease-read') {
      h.invoke(proc, 'read', key);
      answer = await send(this.agent, `${path}?consistency=${op === 'read' ? 'index' : 'lease'}`, 'GET', undefined, this.timeoutMs);
      if ('error' in answer) outcome = answer.error === 'ECONNREFUSED' ? 'fail' : 'info';
      else if (answer.status === 200) {
        outcome = 'ok';
        readValue = answer.text;
      } else if (answer.status === 404 && answer.text.includes('key not found')) outcome = 'ok';
      else if (answer.status >= 500 || answer.status === 410) outcome = outcomeFromBody(answer.text) === 'fail' ? 'fail' : 'info';
      else outcome = this.odd(op, answer);
      if (outcome === 'ok') {
        h.ok(proc, readValue);
        seen.set(key, readValue);
      } else if (outcome === 'fail') h.fail(proc);
      else h.info(proc);
    } else if (op === 'delete') {
      h.invoke(proc, 'delete', key);
      answer = await send(this.agent, path, 'DELETE', undefined, this.timeoutMs);
      if ('error' in answer) outcome = answer.error === 'ECONNREFUSED' ? 'fail' : 'info';
      else if (answer.status === 200) outcome = 'ok';
      else if (answer.status >= 500 || answer.status === 410) outcome = outcomeFromBody(answer.text);
      else outcome = this.odd(op, answer);
      if (outcome === 'ok') {
        h.ok(proc);
        seen.set(key, null);
      } else if (outcome === 'fail') h.fail(proc);
      else h.info(proc);
    } else {
      let method = 'POST';
      let target = path;
      let body: string;
      if (op === 'write') {
        body = `w${c}.${n}`;
        method = 'PUT';
        h.invoke(proc, 'write', key, body);
      } else if (op === 'append') {
        body = `|a${c}.${n}`;
        target = `${path}/append`;
        h.invoke(proc, 'append', key, body);
      } else {
        const expect = seen.get(key) ?? null;
        const value = `c${c}.${n}`;
        body = JSON.stringify({ expect, value });
        target = `${path}/cas`;
        h.invoke(proc, 'cas', key, [expect, value]);
      }
      sent = body;
      answer = await send(this.agent, target, method, body, this.timeoutMs);
      // A CAS `fail` in the history is an observation ("the value differed"): a CAS that was not
      // applied for another reason (refused connection, "not applied") observed nothing, so it is
      // recorded as unknown instead, which is always sound.
      if ('error' in answer) outcome = answer.error === 'ECONNREFUSED' && op !== 'cas' ? 'fail' : 'info';
      else if (answer.status === 200) outcome = 'ok';
      else if (op === 'cas' && answer.status === 409 && answer.text.includes('compare failed')) {
        outcome = 'fail';
        try {
          const current = (JSON.parse(answer.text) as { current?: string | null }).current;
          if (current !== undefined) seen.set(key, current);
        } catch {
          // keep what we had
        }
      } else if (answer.status >= 500 || answer.status === 410 || answer.status === 413) {
        // 410: a removed node; 413: an append past --max-value-bytes. A CAS applied without its
        // result is unknown: whether it compared equal is what the result said.
        outcome = op === 'cas' ? 'info' : outcomeFromBody(answer.text);
      }
      else outcome = this.odd(op, answer);
      if (outcome === 'ok') {
        h.ok(proc);
        if (op === 'write') seen.set(key, body);
        else if (op === 'cas') seen.set(key, (JSON.parse(body) as { value: string }).value);
      } else if (outcome === 'fail') h.fail(proc);
      else h.info(proc);
    }
    const detail = 'error' in answer ? answer.error : answer.status < 300 ? String(answer.status) : `${answer.status} ${answer.text.slice(0, 160)}`;
    this.records.push({ op, key, outcome, start, end: this.o.now(), detail, process: proc, node: url, ...(sent !== undefined ? { value: sent } : {}) });
    return outcome;
  }

  /** An answer the API does not document for this operation: unknown outcome, and remembered. */
  private odd(op: ClientOp, answer: { status: number; text: string }): 'info' {
    if (this.unexpected.length < 50) this.unexpected.push(`${op}: ${answer.status} ${answer.text.slice(0, 200)}`);
    return 'info';
  }

  /**
   * A read with consistency=index for the final-state check, recorded in the history under a
   * fresh process id; retried (each attempt recorded) until it answers or `deadline` passes.
   */
  async finalRead(key: string, urls: () => string[], deadline: number): Promise<{ value: string | null } | undefined> {
    const h = this.o.recorder;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const list = urls();
      const url = list[attempt % Math.max(1, list.length)];
      if (!url) {
        await sleep(100);
        continue;
      }
      const proc = this.newProcess();
      h.invoke(proc, 'read', key);
      const a = await send(this.agent, `${url}/kv/${encodeURIComponent(key)}?consistency=index`, 'GET', undefined, this.timeoutMs);
      if (!('error' in a) && a.status === 200) {
        h.ok(proc, a.text);
        return { value: a.text };
      }
      if (!('error' in a) && a.status === 404 && a.text.includes('key not found')) {
        h.ok(proc, null);
        return { value: null };
      }
      h.info(proc);
      await sleep(200);
    }
    return undefined;
  }

  /** A plain GET (for per-node local reads in the final comparison); undefined on failure. */
  async get(url: string, key: string, consistency: 'index' | 'local'): Promise<string | null | undefined> {
    const a = await send(this.agent, `${url}/kv/${encodeURIComponent(key)}?consistency=${consistency}`, 'GET', undefined, this.timeoutMs);
    if ('error' in a) return undefined;
    if (a.status === 200) return a.text;
    if (a.status === 404 && a.text.includes('key not found')) return null;
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
