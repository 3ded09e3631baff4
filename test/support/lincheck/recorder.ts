/** A helper to build histories while a test runs: the simulation and fault tests record into it. */
import { checkHistory } from './check.js';
import { LincheckInputError, type CheckOptions, type CheckResult, type HistoryEvent, type OpName, type RegisterValue } from './types.js';
import { validateEvent } from './validate.js';

/**
 * Records a history in real-time order. Call `invoke` when a client sends an operation and one of
 * `ok` / `fail` / `info` when it learns the outcome (`info`: outcome unknown, e.g. a timeout;
 * after that, continue that client under a fresh process id). Misuse (two outstanding operations
 * on one process, a return with nothing outstanding, a read `ok` without a value) throws
 * `LincheckInputError` at once.
 *
 * @example
 *   const h = new HistoryRecorder();
 *   h.invoke(1, 'write', 'x', 'a'); h.ok(1);
 *   h.invoke(2, 'read', 'x');       h.ok(2, 'a');
 *   h.check().verdict; // 'ok'
 */
export class HistoryRecorder {
  private readonly log: HistoryEvent[] = [];
  private readonly open = new Map<number, HistoryEvent>();

  /** Records the invocation of a read or delete. */
  invoke(process: number, f: 'read' | 'delete', key: string): void;
  /** Records the invocation of a write or append of `value`. */
  invoke(process: number, f: 'write' | 'append', key: string, value: string): void;
  /** Records the invocation of a compare-and-set `[expect, new]` (expect null = key missing). */
  invoke(process: number, f: 'cas', key: string, value: [string | null, string]): void;
  invoke(process: number, f: OpName, key: string, value?: string | [string | null, string]): void {
    const at = this.log.length + 1;
    if (this.open.has(process)) {
      throw new LincheckInputError(at, `process ${process} invokes ${f} while it has an operation outstanding`, 'event');
    }
    const raw: Record<string, unknown> = { process, type: 'invoke', f, key };
    if (value !== undefined) raw['value'] = Array.isArray(value) ? [value[0], value[1]] : value;
    const ev = validateEvent(raw, at, 'event');
    this.log.push(ev);
    this.open.set(process, ev);
  }

  /** Records success; for a read, `value` is the value read (null = key missing). */
  ok(process: number, value?: RegisterValue): void {
    const inv = this.take(process, 'ok');
    if (inv.f === 'read' && value === undefined) {
      throw new LincheckInputError(this.log.length + 1, `read ok of process ${process} needs the value read (null = missing)`, 'event');
    }
    this.push(inv, 'ok', inv.f === 'read' ? value : inv.value);
  }

  /** Records a failure: the operation certainly did not happen (for cas: the comparison failed). */
  fail(process: number): void {
    const inv = this.take(process, 'fail');
    this.push(inv, 'fail', inv.f === 'read' ? undefined : inv.value);
  }

  /** Records an unknown outcome: the operation may or may not have taken effect. */
  info(process: number): void {
    const inv = this.take(process, 'info');
    this.push(inv, 'info', undefined);
  }

  /** Processes with an operation outstanding (their outcome counts as unknown). */
  outstanding(): number[] {
    return [...this.open.keys()];
  }

  /** The events recorded so far (copies). */
  get events(): HistoryEvent[] {
    return this.log.map((e) => ({ ...e }));
  }

  /** The history in the JSON-lines format read by `parseHistory` and the `lincheck` CLI. */
  toJSONL(): string {
    return this.log.map((e) => JSON.stringify({ process: e.process, type: e.type, f: e.f, key: e.key, value: e.value ?? null }) + '\n').join('');
  }

  /** Checks the history recorded so far. */
  check(opts?: CheckOptions): CheckResult {
    return checkHistory(this.log, opts);
  }

  private take(process: number, type: string): HistoryEvent {
    const inv = this.open.get(process);
    if (!inv) throw new LincheckInputError(this.log.length + 1, `${type} of process ${process} without a matching invoke`, 'event');
    return inv;
  }

  private push(inv: HistoryEvent, type: 'ok' | 'fail' | 'info', value: unknown): void {
    const raw: Record<string, unknown> = { process: inv.process, type, f: inv.f, key: inv.key };
    if (value !== undefined) raw['value'] = value;
    const ev = validateEvent(raw, this.log.length + 1, 'event');
    this.log.push(ev);
    this.open.delete(inv.process);
  }
}
