/**
 * The key-value register model of one key: state is a string, or null when the key is missing.
 * States are interned to small integers so the search can hash and compare them cheaply.
 *
 * Transitions (step returns the new state id, or -1 when the operation cannot happen now):
 * - read ok v:        requires state == v; no change.
 * - write v:          state := v.
 * - append v:         state := (state ?? "") + v.
 * - delete:           state := null.
 * - cas ok [e, n]:    requires state == e; state := n.
 * - cas fail [e, n]:  requires state != e; no change (the failed comparison is an observation).
 * - cas unknown:      as cas ok. "The comparison failed" needs no transition of its own: an
 *                     operation of unknown outcome may also be left out of the linearization,
 *                     and a failed cas has no effect, so leaving it out is the same thing.
 * Unknown write/append/delete simply apply when linearized (or are left out).
 */
import type { Op } from './history.js';
import type { RegisterValue } from './types.js';

const READ = 0;
const WRITE = 1;
const APPEND = 2;
const DELETE = 3;
const CAS = 4;
const CAS_FAIL = 5;

/** The compiled model of one key's operations. */
export class RegisterModel {
  /** The initial state id (the key is missing). */
  readonly initial = 0;
  private readonly values: RegisterValue[] = [null];
  private readonly ids = new Map<string, number>();
  private readonly code: Int32Array;
  private readonly argA: Int32Array;
  private readonly argB: Int32Array;
  private readonly appendText: string[];
  private readonly appendCache = new Map<number, number>();
  private readonly nOps: number;
  private readonly prefixCache = new Map<number, boolean>();
  private readonly readTargets: number;

  constructor(ops: readonly Op[]) {
    const n = ops.length;
    this.nOps = n;
    this.code = new Int32Array(n);
    this.argA = new Int32Array(n);
    this.argB = new Int32Array(n);
    this.appendText = new Array<string>(n).fill('');
    for (const op of ops) {
      const i = op.id;
      switch (op.f) {
        case 'read':
          this.code[i] = READ;
          this.argA[i] = this.intern(op.output);
          break;
        case 'write':
          this.code[i] = WRITE;
          this.argA[i] = this.intern(op.input as string);
          break;
        case 'append':
          this.code[i] = APPEND;
          this.appendText[i] = op.input as string;
          break;
        case 'delete':
          this.code[i] = DELETE;
          break;
        case 'cas': {
          const [expect, next] = op.input as [RegisterValue, string];
          this.code[i] = op.outcome === 'fail' ? CAS_FAIL : CAS;
          this.argA[i] = this.intern(expect);
          this.argB[i] = this.intern(next);
          break;
        }
      }
    }
    this.readTargets = this.values.length;
  }

  /**
   * True for operations that never change the state (ok read, failed cas): wherever they are
   * allowed at all, they are the identity. The search may linearize such an operation as soon as
   * it is allowed (see wgl.ts).
   */
  isObserver(op: number): boolean {
    const c = this.code[op];
    return c === READ || c === CAS_FAIL;
  }

  /**
   * How `op` can change the state: 0 never (read, failed cas), 1 only by growing it (append),
   * 2 to anything (write, delete, a cas that succeeds or may have).
   */
  effect(op: number): 0 | 1 | 2 {
    const c = this.code[op];
    return c === READ || c === CAS_FAIL ? 0 : c === APPEND ? 1 : 2;
  }

  /** True when `op` is a read (ok). */
  isRead(op: number): boolean {
    return this.code[op] === READ;
  }

  /** For an operation of effect 2: the state it sets (a cas: its new value; delete: missing). */
  resetTarget(op: number): number {
    const c = this.code[op];
    return c === WRITE ? this.argA[op]! : c === CAS ? this.argB[op]! : 0;
  }

  /**
   * Whether read `op` can be satisfied starting from state `s` when, before it, only appends (if
   * `canGrow`) and operations that do not change the state come: `s` already is the value read,
   * or appends can extend `s` (missing = "") into it.
   */
  readReachable(op: number, s: number, canGrow: boolean): boolean {
    const want = this.argA[op]!;
    if (s === want) return true;
    if (!canGrow || want === 0) return false;
    const k = s * this.readTargets + want; // want < readTargets: interned by the constructor
    let r = this.prefixCache.get(k);
    if (r === undefined) {
      r = (this.values[want] as string).startsWith(this.values[s] ?? '');
      this.prefixCache.set(k, r);
    }
    return r;
  }

  /** The id of a value (allocating one if new). */
  intern(v: RegisterValue): number {
    if (v === null) return 0;
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(v);
      this.ids.set(v, id);
    }
    return id;
  }

  /** The value of a state id. */
  value(id: number): RegisterValue {
    return this.values[id]!;
  }

  /** Applies operation `op` to state `s`: the new state id, or -1 if `op` cannot happen in `s`. */
  step(op: number, s: number): number {
    switch (this.code[op]) {
      case READ:
        return s === this.argA[op] ? s : -1;
      case WRITE:
        return this.argA[op]!;
      case APPEND: {
        const k = s * this.nOps + op;
        let r = this.appendCache.get(k);
        if (r === undefined) {
          r = this.intern((this.values[s] ?? '') + this.appendText[op]);
          this.appendCache.set(k, r);
        }
        return r;
      }
      case DELETE:
        return 0;
      case CAS:
        return s === this.argA[op] ? this.argB[op]! : -1;
      default: // CAS_FAIL
        return s !== this.argA[op] ? s : -1;
    }
  }

  /** Why `op` cannot happen in state `s` (for explanations), or null if it can. */
  whyNot(op: Op, s: number): string | null {
    if (this.step(op.id, s) >= 0) return null;
    const cur = JSON.stringify(this.value(s));
    if (op.f === 'read') return `it read ${JSON.stringify(op.output)}, but the value is ${cur}`;
    const [expect] = op.input as [RegisterValue, string];
    if (op.outcome === 'fail') return `its comparison failed, so the value must differ from ${JSON.stringify(expect)}, but it is ${cur}`;
    return `its comparison needs the value ${JSON.stringify(expect)}, but it is ${cur}`;
  }
}
