/**
 * The Wing & Gong linearizability search with Lowe's memoisation (the algorithm of Knossos'
 * "wgl" checker and of porcupine), for one key's operations.
 *
 * The history is a doubly linked list of call and return entries in real-time order. The search
 * walks the list from its head: at a call entry it tries to linearize that operation next (apply
 * it to the model); if the model allows it and the configuration (set of linearized operations,
 * model state) has not been seen before, it records the configuration, pushes the operation on a
 * stack, "lifts" its call and return entries out of the list and starts again at the head. At a
 * return entry, the operation of that return had to be linearized before anything invoked later,
 * and nothing fits: the search backtracks (pops the last operation, restores its entries, resumes
 * just after its call). Lifting and restoring are O(1) "dancing links" on typed arrays; the
 * search is iterative with an explicit stack, so deep histories cannot overflow the JS stack.
 *
 * Operations with unknown outcome have return time +infinity: they get a call entry but no return
 * entry, so they never force a backtrack, and the search succeeds as soon as every *completed*
 * operation is linearized: unknown ones may stay out (= never happened).
 *
 * The memo cache holds (bitset of linearized ops, state id); the bitset's hash is kept up to date
 * incrementally (Zobrist hashing: XOR of a fixed random word per operation).
 *
 * One extra pruning rule, for observers (operations that never change the state: ok reads and
 * failed cas): if an observer R can be linearized next, then whenever any linearization of the
 * rest exists, one starting with R exists too. (Moving R to the front keeps every later state,
 * since R is the identity and allowed in the current state; and it keeps real-time order, since R
 * was invoked before every remaining return.) So at each configuration the search first looks
 * for an allowed observer among the possible next operations and, if there is one, commits to it
 * alone: if that branch fails, the configuration fails, without trying the siblings.
 *
 * A second pruning rule is specific to the register: a configuration is dead when some read R
 * not yet linearized can no longer be satisfied. Before R, only operations invoked before R's
 * return can be linearized; the state R sees is then the current state, or the value set by
 * the last write / delete / cas among those ("resets"), possibly extended by appends. Walking
 * the list from its head (at most WALK_LIMIT entries), the search collects the calls seen (has an
 * append been seen? which values do the resets seen set?); at the return entry of a read R, if
 * neither the current state nor any of those reset values equals R's value or, when an append
 * was seen, is a prefix of it (missing = ""), R can never be satisfied and the configuration is
 * dead. This is what keeps many concurrent appends (whose orders all give different states)
 * from blowing up the search.
 *
 * The search is resumable (`run(steps)`), so a checker can interleave the keys and stop at the
 * first bad one, as porcupine does with its parallel per-key checks.
 */
import { ConfigCache } from './cache.js';
import type { Op } from './history.js';
import type { RegisterModel } from './model.js';

/** The result of one `run` slice. */
export type SearchStatus = 'ok' | 'bad' | 'running';

/** What the search reports for a non-linearizable key: its deepest attempt. */
export type BestAttempt = {
  /** The longest linearizable prefix found (op ids in linearization order). */
  prefix: number[];
  /** The op whose return blocked extending that prefix (-1 if none). */
  blockedBy: number;
  /** The not-yet-linearized ops invoked before that return: the possible next ops. */
  candidates: number[];
  /**
   * `returned`: nothing fits before `blockedBy`'s return; `unreachable`: `blockedBy` is a read
   * whose value no operation invoked before its return can produce any more.
   */
  why: 'returned' | 'unreachable';
};

function zobrist(n: number): Uint32Array {
  // mulberry32 with a fixed seed: deterministic runs.
  let a = 0x2545f491;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return out;
}

function mixState(s: number): number {
  let h = Math.imul(s + 1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** How many list entries the unreachable-read rule looks at, from the head. */
const WALK_LIMIT = 512;

/** Entry value meaning "the current configuration has failed: backtrack". */
const BACKTRACK = -2;
/** Entry value meaning "a configuration was just reached: look for an observer first". */
const FRESH = -3;

/** A resumable WGL search over one key's operations. */
export class WglSearch {
  /** Configurations explored (new cache records) so far. */
  states = 0;
  /** Configurations cut by the unreachable-read rule. */
  prunes = 0;
  private status: SearchStatus = 'running';
  private best: BestAttempt | null = null;
  private bestDepth = -1;

  private readonly model: RegisterModel;
  private readonly HEAD: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly completed: Uint8Array;
  private readonly observer: Uint8Array;
  private readonly effect: Uint8Array;
  private readonly isRead: Uint8Array;
  private readonly hasReads: boolean;
  private readonly targets: Int32Array;
  private readonly bits: Uint32Array;
  private readonly zob: Uint32Array;
  private readonly cache: ConfigCache;
  private readonly stackOp: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackForced: Uint8Array;
  private completedLeft = 0;
  private depth = 0;
  private state: number;
  private hash = 0;
  private entry = FRESH;

  constructor(ops: readonly Op[], model: RegisterModel) {
    const n = ops.length;
    this.model = model;
    this.completed = new Uint8Array(n);
    this.observer = new Uint8Array(n);
    this.effect = new Uint8Array(n);
    this.isRead = new Uint8Array(n);
    for (const op of ops) {
      if (op.returnIdx !== Infinity) {
        this.completed[op.id] = 1;
        this.completedLeft++;
      }
      if (model.isObserver(op.id)) this.observer[op.id] = 1;
      this.effect[op.id] = model.effect(op.id);
      if (op.outcome !== 'unknown' && model.isRead(op.id)) this.isRead[op.id] = 1;
    }
    this.hasReads = this.isRead.includes(1);
    this.targets = new Int32Array(n);
    // Entries: call of op i = 2i, return of op i = 2i + 1, head sentinel = 2n. -1 = none.
    this.HEAD = 2 * n;
    this.next = new Int32Array(2 * n + 1).fill(-1);
    this.prev = new Int32Array(2 * n + 1).fill(-1);
    const timed: { e: number; t: number }[] = [];
    for (const op of ops) {
      timed.push({ e: 2 * op.id, t: op.invokeIdx });
      if (this.completed[op.id]) timed.push({ e: 2 * op.id + 1, t: op.returnIdx });
    }
    timed.sort((x, y) => x.t - y.t);
    let last = this.HEAD;
    for (const { e } of timed) {
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
    const words = Math.max(1, Math.ceil(n / 32));
    this.bits = new Uint32Array(words);
    this.zob = zobrist(n);
    this.cache = new ConfigCache(words);
    this.stackOp = new Int32Array(n);
    this.stackState = new Int32Array(n);
    this.stackForced = new Uint8Array(n);
    this.state = model.initial;
    if (this.completedLeft === 0) this.status = 'ok';
  }

  /** The deepest attempt, once the status is `bad`. */
  get bestAttempt(): BestAttempt {
    if (!this.best) throw new Error('no failed search');
    return this.best;
  }

  /** The operations whose calls precede list entry `stop` (all of them if -1). */
  private window(stop: number): number[] {
    const out: number[] = [];
    for (let e = this.next[this.HEAD]!; e >= 0 && e !== stop; e = this.next[e]!) if ((e & 1) === 0) out.push(e >> 1);
    return out;
  }

  /** Runs at most about `steps` search steps; returns the status so far. */
  run(steps: number): SearchStatus {
    if (this.status !== 'running') return this.status;
    const { model, next, prev, completed, observer, effect, isRead, hasReads, targets, bits, zob, cache, stackOp, stackState, stackForced, HEAD } = this;
    let { depth, state, hash, entry, completedLeft } = this;

    const lift = (op: number): void => {
      const c = 2 * op;
      next[prev[c]!] = next[c]!;
      if (next[c]! >= 0) prev[next[c]!] = prev[c]!;
      if (completed[op]) {
        const r = c + 1;
        next[prev[r]!] = next[r]!;
        if (next[r]! >= 0) prev[next[r]!] = prev[r]!;
      }
    };
    const unlift = (op: number): void => {
      const c = 2 * op;
      if (completed[op]) {
        const r = c + 1;
        next[prev[r]!] = r;
        if (next[r]! >= 0) prev[next[r]!] = r;
      }
      next[prev[c]!] = c;
      if (next[c]! >= 0) prev[next[c]!] = c;
    };

    let result: SearchStatus = 'running';
    for (let i = 0; i < steps; i++) {
      if (entry === FRESH) {
        // A new configuration. First, is some pending read already impossible? (See above.)
        if (hasReads) {
          let canGrow = false;
          let nTargets = 0;
          let dead = -1;
          let walk = WALK_LIMIT;
          for (let e = next[HEAD]!; e >= 0 && walk-- > 0; e = next[e]!) {
            const op = e >> 1;
            if ((e & 1) === 0) {
              const eff = effect[op]!;
              if (eff === 1) canGrow = true;
              else if (eff === 2) targets[nTargets++] = model.resetTarget(op);
            } else if (isRead[op] && !model.readReachable(op, state, canGrow)) {
              let reachable = false;
              for (let t = 0; t < nTargets && !reachable; t++) reachable = model.readReachable(op, targets[t]!, canGrow);
              if (!reachable) {
                dead = op;
                break;
              }
            }
          }
          if (dead >= 0) {
            this.prunes++;
            if (depth > this.bestDepth) {
              this.bestDepth = depth;
              this.best = { prefix: Array.from(stackOp.subarray(0, depth)), blockedBy: dead, candidates: this.window(2 * dead + 1), why: 'unreachable' };
            }
            entry = BACKTRACK;
            continue;
          }
        }
        // Then, if an observer is allowed next, commit to it (see above).
        let forced = -1;
        for (let e = next[HEAD]!; e >= 0 && (e & 1) === 0; e = next[e]!) {
          const op = e >> 1;
          if (observer[op] && model.step(op, state) >= 0) {
            forced = op;
            break;
          }
        }
        if (forced < 0) {
          entry = next[HEAD]!;
          continue;
        }
        const w = forced >>> 5;
        const m = 1 << (forced & 31);
        bits[w]! |= m;
        hash ^= zob[forced]!;
        if (cache.add(bits, state, (hash ^ mixState(state)) >>> 0)) {
          this.states++;
          stackOp[depth] = forced;
          stackState[depth] = state;
          stackForced[depth] = 1;
          depth++;
          lift(forced);
          if (completed[forced] && --completedLeft === 0) {
            result = 'ok';
            break;
          }
          continue; // entry stays FRESH
        }
        // Its only branch was explored before and failed: so does this configuration.
        bits[w]! &= ~m;
        hash ^= zob[forced]!;
        entry = BACKTRACK;
        continue;
      }
      if (entry >= 0 && (entry & 1) === 0) {
        // A call entry: try to linearize its operation next.
        const op = entry >> 1;
        const ns = model.step(op, state);
        if (ns >= 0) {
          const w = op >>> 5;
          const m = 1 << (op & 31);
          bits[w]! |= m;
          hash ^= zob[op]!;
          if (cache.add(bits, ns, (hash ^ mixState(ns)) >>> 0)) {
            this.states++;
            stackOp[depth] = op;
            stackState[depth] = state;
            stackForced[depth] = 0;
            depth++;
            state = ns;
            lift(op);
            if (completed[op] && --completedLeft === 0) {
              result = 'ok';
              break;
            }
            entry = FRESH;
            continue;
          }
          bits[w]! &= ~m;
          hash ^= zob[op]!;
        }
        entry = next[entry]!;
        continue;
      }
      // A return entry, the end of the list, or BACKTRACK: this configuration has failed.
      if (depth > this.bestDepth && entry !== BACKTRACK) {
        this.bestDepth = depth;
        this.best = { prefix: Array.from(stackOp.subarray(0, depth)), blockedBy: entry >= 0 ? entry >> 1 : -1, candidates: this.window(entry), why: 'returned' };
      }
      if (depth === 0) {
        result = 'bad';
        break;
      }
      depth--;
      const op = stackOp[depth]!;
      state = stackState[depth]!;
      bits[op >>> 5]! &= ~(1 << (op & 31));
      hash ^= zob[op]!;
      unlift(op);
      if (completed[op]) completedLeft++;
      entry = stackForced[depth] ? BACKTRACK : next[2 * op]!;
    }
    Object.assign(this, { depth, state, hash, entry, completedLeft });
    this.status = result;
    return result;
  }
}
