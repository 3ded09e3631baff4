/**
 * The fuzz workload's commands, on the test Kv of test/support/node-cluster.ts (a map plus the
 * order commands applied in). Writes reuse its SetCommand (type 1); append, compare-and-set and
 * delete are ours. Every command pushes one line to `kv.log` that names it uniquely (its value is
 * unique per operation, a delete carries its own token), so the final log tells which operations
 * applied, and how many times: what the lost-write and applied-once checks read.
 */
import { Kv, SetCommand } from '../support/node-cluster.js';

export { Kv, SetCommand };

/** Appends `value` to the key's string (a missing key counts as ""). */
export class AppendCommand {
  static readonly type = 11;
  constructor(
    readonly key: string,
    readonly value: string,
  ) {}
  do(kv: Kv): string {
    const next = (kv.data.get(this.key) ?? '') + this.value;
    kv.data.set(this.key, next);
    kv.log.push(logLine.append(this.key, this.value));
    return next;
  }
}

/** Sets the key to `value` if it holds `expect` (null: missing); resolves with whether it did. */
export class CasCommand {
  static readonly type = 12;
  constructor(
    readonly key: string,
    readonly expect: string | null,
    readonly value: string,
  ) {}
  do(kv: Kv): boolean {
    const swapped = (kv.data.get(this.key) ?? null) === this.expect;
    if (swapped) kv.data.set(this.key, this.value);
    // The line names the operation whatever the comparison gave: it applied either way.
    kv.log.push(logLine.cas(this.key, this.value));
    return swapped;
  }
}

/** Removes the key; `token` only makes the operation's log line unique. */
export class DeleteCommand {
  static readonly type = 13;
  constructor(
    readonly key: string,
    readonly token: string,
  ) {}
  do(kv: Kv): boolean {
    const had = kv.data.delete(this.key);
    kv.log.push(logLine.del(this.key, this.token));
    return had;
  }
}

/** The log line each command pushes (SetCommand's form is fixed by node-cluster.ts). */
export const logLine = {
  write: (key: string, value: string): string => `${key}=${value}`,
  append: (key: string, value: string): string => `${key}+=${value}`,
  cas: (key: string, value: string): string => `${key}?=${value}`,
  del: (key: string, token: string): string => `${key}-${token}`,
};

export const FUZZ_COMMANDS = [SetCommand, AppendCommand, CasCommand, DeleteCommand] as const;
