// Crash harness: crash the WAL at every file-system step of a scenario (optionally with a torn
// write, optionally losing the directory operations not yet fsync'ed, as a power loss may), reopen
// a copy of the directory and check it against a model of what was acknowledged.
//
// Must be imported dynamically AFTER `register('./fault-hooks.mjs', import.meta.url)`, so that the
// WAL modules load the fault-injecting fs shim.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { Wal } from '../../../wal/index.js';
import type { HardState, WalOptions } from '../../../wal/index.js';
import { isIntact, makeEntries, makeEntry } from '../helpers.js';

interface Controller {
  armed: boolean;
  count: number;
  failAt: number;
  torn: boolean;
  dead: boolean;
  log: string[];
  pending: PendingOp[];
}
type PendingOp =
  | { kind: 'create'; dir: string; path: string }
  | { kind: 'rename'; dir: string; from: string; to: string; oldTo: Buffer | null }
  | { kind: 'unlink'; dir: string; path: string; content: Buffer | null };

export function controller(): Controller {
  const g = globalThis as unknown as { __faultFs?: Controller };
  if (!g.__faultFs) throw new Error('fault-fs shim not loaded: register fault-hooks.mjs first');
  return g.__faultFs;
}

function reset(c: Controller): void {
  c.armed = false;
  c.count = 0;
  c.failAt = Infinity;
  c.torn = false;
  c.dead = false;
  c.log = [];
  c.pending = [];
}

export type Op =
  | { kind: 'save'; from?: number; to?: number; term?: number; hs?: HardState; lazy?: boolean }
  | { kind: 'truncate'; index: number }
  /** truncateAfter(first index of the active segment - 1): the new segment replaces it by name. */
  | { kind: 'truncateActiveStart' }
  | { kind: 'compact'; index: number }
  | { kind: 'reset'; index: number; term: number; hs?: HardState };

/** What a state of the log promises. */
export interface ModelState {
  first: number;
  last: number;
  /** index -> term, including firstIndex - 1 (and compacted entries, harmless). */
  terms: Map<number, number>;
  hs: HardState;
  /** The hard state that is on disk (a lazy one is not). */
  durable: HardState;
}

function clone(s: ModelState): ModelState {
  return { first: s.first, last: s.last, terms: new Map(s.terms), hs: { ...s.hs }, durable: { ...s.durable } };
}

/** Applies `op` to `wal`; returns the argument used (for the model). */
export async function apply(wal: Wal, op: Op): Promise<number | undefined> {
  switch (op.kind) {
    case 'save': {
      const entries = op.from !== undefined ? makeEntries(op.from, op.to!, op.term!) : [];
      await wal.save({ entries, ...(op.hs ? { hardState: op.hs } : {}), ...(op.lazy ? { lazy: true } : {}) });
      return undefined;
    }
    case 'truncate':
      await wal.truncateAfter(op.index);
      return op.index;
    case 'truncateActiveStart': {
      const segments = (wal as unknown as { segments: { firstIndex: number }[] }).segments;
      const index = segments.at(-1)!.firstIndex - 1;
      await wal.truncateAfter(index);
      return index;
    }
    case 'compact':
      await wal.compactBefore(op.index);
      return op.index;
    case 'reset':
      await wal.reset(op.index, op.term, op.hs);
      return op.index;
  }
}

/** The model's state after `op` (with the argument `arg` it was applied with), given `s` before it. */
export function step(s: ModelState, op: Op, arg: number | undefined, walAfter: Wal | undefined): ModelState {
  const n = clone(s);
  switch (op.kind) {
    case 'save': {
      if (op.from !== undefined) {
        for (let i = op.from; i <= op.to!; i++) n.terms.set(i, op.term!);
        n.last = op.to!;
      }
      if (op.hs) n.hs = { ...op.hs };
      const wrote = op.from !== undefined || !op.lazy;
      if (wrote) n.durable = { ...n.hs };
      break;
    }
    case 'truncate':
    case 'truncateActiveStart': {
      const index = arg!;
      if (index >= s.last) break;
      for (const k of [...n.terms.keys()]) if (k > index) n.terms.delete(k);
      n.last = index;
      n.durable = { ...n.hs };
      break;
    }
    case 'compact':
      n.first = walAfter!.firstIndex;
      break;
    case 'reset':
      n.terms = new Map([[op.index, op.term]]);
      n.first = op.index + 1;
      n.last = op.index;
      if (op.hs) n.hs = { ...op.hs };
      n.durable = { ...n.hs };
      break;
  }
  return n;
}

export interface Finding {
  failAt: number;
  torn: boolean;
  lostDirOps: number;
  op: number;
  problem: string;
  log: string[];
}

export interface RunResult {
  steps: number;
  recoveries: number;
  findings: Finding[];
  /** Operations that resolved while a directory operation was not yet fsync'ed. */
  unsyncedAtResolve: string[];
  log: string[];
}

async function copyForRecovery(dir: string, undo: PendingOp[]): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'tsraft-wal-copy-'));
  for (const name of await readdir(dir)) {
    if (name.startsWith('LOCK')) continue;
    await cp(join(dir, name), join(copy, name));
  }
  const inCopy = (p: string) => join(copy, basename(p));
  for (const op of [...undo].reverse()) {
    if (op.kind === 'unlink') {
      if (op.content) await writeFile(inCopy(op.path), op.content);
    } else if (op.kind === 'rename') {
      const now = await readFile(inCopy(op.to)).catch(() => null);
      if (now) await writeFile(inCopy(op.from), now);
      if (op.oldTo) await writeFile(inCopy(op.to), op.oldTo);
      else await rm(inCopy(op.to), { force: true });
    } else {
      await rm(inCopy(op.path), { force: true });
    }
  }
  return copy;
}

/** Checks the reopened log against one candidate state; returns a problem or undefined. */
export async function matches(wal: Wal, s: ModelState, firstRange: [number, number] | undefined): Promise<string | undefined> {
  if (wal.lastIndex !== s.last) return `lastIndex ${wal.lastIndex}, expected ${s.last}`;
  const [lo, hi] = firstRange ?? [s.first, s.first];
  if (wal.firstIndex < lo || wal.firstIndex > hi) return `firstIndex ${wal.firstIndex}, expected ${lo}..${hi}`;
  if (wal.term(wal.firstIndex - 1) !== s.terms.get(wal.firstIndex - 1) && !(wal.firstIndex === 1 && wal.term(0) === 0)) {
    return `term(${wal.firstIndex - 1}) = ${wal.term(wal.firstIndex - 1)}, expected ${s.terms.get(wal.firstIndex - 1)}`;
  }
  if (wal.lastIndex >= wal.firstIndex) {
    const entries = await wal.entries(wal.firstIndex, wal.lastIndex + 1);
    for (const e of entries) {
      if (e.term !== s.terms.get(e.index)) return `entry ${e.index} has term ${e.term}, expected ${s.terms.get(e.index)}`;
      if (!isIntact(e)) return `entry ${e.index} data damaged`;
    }
  }
  const hs = wal.hardState;
  if (hs.term !== s.hs.term || hs.vote !== s.hs.vote) return `hard state ${JSON.stringify(hs)}, expected term/vote of ${JSON.stringify(s.hs)}`;
  if (hs.commit < s.durable.commit || hs.commit > s.hs.commit) return `commit ${hs.commit}, expected ${s.durable.commit}..${s.hs.commit}`;
  return undefined;
}

/**
 * Runs `ops` on a fresh log once to count the file-system steps, then once per step with a crash
 * there (and, for writes, a torn variant; and variants losing the last k unsynced directory
 * operations), checking each recovered copy.
 */
export async function crashEverywhere(ops: Op[], options: WalOptions, { lossVariants = true, maxSteps = Infinity, afterCopy = undefined as ((copy: string) => Promise<void>) | undefined } = {}): Promise<RunResult> {
  const c = controller();
  // Reference run: model states and step count.
  reset(c);
  const refDir = await mkdtemp(join(tmpdir(), 'tsraft-wal-ref-'));
  let wal = await Wal.open(refDir, options);
  const states: ModelState[] = [
    { first: 1, last: 0, terms: new Map([[0, 0]]), hs: { term: 0, vote: 0, commit: 0 }, durable: { term: 0, vote: 0, commit: 0 } },
  ];
  const stepsAfterOp: number[] = [];
  const unsyncedAtResolve: string[] = [];
  c.armed = true;
  for (const [i, op] of ops.entries()) {
    const arg = await apply(wal, op);
    states.push(step(states.at(-1)!, op, arg, wal));
    stepsAfterOp.push(c.count);
    if (options.sync !== 'none' && c.pending.length > 0) {
      unsyncedAtResolve.push(`op ${i} ${JSON.stringify(op)} resolved with unsynced: ${c.pending.map((p) => `${p.kind} ${basename('path' in p ? p.path : p.to)}`).join(', ')}`);
    }
  }
  const log = [...c.log];
  c.armed = false;
  const steps = c.count;
  await wal.close();
  await rm(refDir, { recursive: true, force: true });

  const findings: Finding[] = [];
  let recoveries = 0;
  for (let failAt = 1; failAt <= Math.min(steps, maxSteps); failAt++) {
    const isWrite = log[failAt - 1]!.split(' ')[1] === 'write';
    for (const torn of isWrite ? [false, true] : [false]) {
      reset(c);
      const dir = await mkdtemp(join(tmpdir(), 'tsraft-wal-run-'));
      wal = await Wal.open(dir, options);
      c.armed = true;
      c.failAt = failAt;
      c.torn = torn;
      let crashedOp = ops.length;
      for (const [i, op] of ops.entries()) {
        try {
          await apply(wal, op);
        } catch (error) {
          crashedOp = i;
          if (!c.dead) throw error;
          break;
        }
      }
      if (crashedOp === ops.length) throw new Error(`no crash at step ${failAt}`);
      const pending = options.sync === 'none' ? [] : [...c.pending];
      const runLog = [...c.log];
      c.armed = false;
      const variants = lossVariants ? pending.length : 0;
      for (let lost = 0; lost <= variants; lost++) {
        const copy = await copyForRecovery(dir, pending.slice(pending.length - lost));
        if (afterCopy) await afterCopy(copy);
        recoveries++;
        const candidates = [states[crashedOp]!, states[crashedOp + 1]!];
        const firstRange: [number, number] | undefined =
          ops[crashedOp]!.kind === 'compact' ? [states[crashedOp]!.first, states[crashedOp + 1]!.first] : undefined;
        let problem: string | undefined;
        let reopened: Wal | undefined;
        try {
          reopened = await Wal.open(copy, options);
          const problems: string[] = [];
          for (const s of candidates) {
            const p = await matches(reopened, s, firstRange);
            if (p === undefined) {
              problems.length = 0;
              break;
            }
            problems.push(p);
          }
          if (problems.length > 0) problem = `matches neither the state before nor after op ${crashedOp}: ${problems.join(' / ')}`;
          else {
            // The recovered log takes appends and reopens with them.
            const next = reopened.lastIndex + 1;
            const term = Math.max(reopened.term(reopened.lastIndex) ?? 0, 1);
            await reopened.save({ entries: [makeEntry(next, term)] });
            await reopened.close();
            reopened = await Wal.open(copy, options);
            if (reopened.lastIndex !== next) problem = `after recovery, an appended entry ${next} did not survive a reopen (last ${reopened.lastIndex})`;
          }
        } catch (error) {
          problem = `open/verify threw: ${(error as Error).message}`;
        } finally {
          await reopened?.close().catch(() => undefined);
        }
        if (problem) findings.push({ failAt, torn, lostDirOps: lost, op: crashedOp, problem, log: runLog });
        await rm(copy, { recursive: true, force: true });
      }
      await wal.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }
  reset(c);
  return { steps, recoveries, findings, unsyncedAtResolve, log };
}
