/**
 * Shape validation of single history events (types, value shapes). Pairing of invokes with
 * returns is in history.ts.
 */
import { LincheckInputError, type EventType, type HistoryEvent, type OpName } from './types.js';

const EVENT_TYPES: ReadonlySet<string> = new Set<EventType>(['invoke', 'ok', 'fail', 'info']);
const OP_NAMES: ReadonlySet<string> = new Set<OpName>(['read', 'write', 'append', 'delete', 'cas']);

/** Where an event is, for messages: its `line` when known, else its 1-based index. */
export function locate(ev: { line?: number }, index: number): { at: number; where: 'line' | 'event' } {
  return typeof ev.line === 'number' ? { at: ev.line, where: 'line' } : { at: index + 1, where: 'event' };
}

function fail(at: number, where: 'line' | 'event', problem: string): never {
  throw new LincheckInputError(at, problem, where);
}

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** True when `v` is a valid cas value: `[expect: string | null, new: string]`. */
export function isCasValue(v: unknown): v is [string | null, string] {
  return (
    Array.isArray(v) && v.length === 2 && (typeof v[0] === 'string' || v[0] === null) && typeof v[1] === 'string'
  );
}

/**
 * Checks one event read from anywhere (a parsed JSON value or an in-memory object) and returns it
 * as a `HistoryEvent`. Throws `LincheckInputError` naming the line (or event index).
 *
 * Rules: `process` an integer, `type` and `f` from the known sets, `key` a string, and `value`:
 * - read: invoke none/null; ok a string or null (required); fail/info none/null/string.
 * - write, append: invoke a string; returns none/null or a string.
 * - delete: none/null everywhere.
 * - cas: invoke `[expect string|null, new string]`; returns none/null or such a pair.
 * Unknown extra fields (e.g. a timestamp) are ignored.
 */
export function validateEvent(raw: unknown, at: number, where: 'line' | 'event'): HistoryEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail(at, where, `expected a JSON object, got ${show(raw)}`);
  }
  const o = raw as Record<string, unknown>;
  const { process, type, f, key } = o;
  if (typeof process !== 'number' || !Number.isSafeInteger(process)) {
    fail(at, where, `"process" must be an integer, got ${show(process)}`);
  }
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) {
    fail(at, where, `unknown "type" ${show(type)} (expected invoke, ok, fail or info)`);
  }
  if (typeof f !== 'string' || !OP_NAMES.has(f)) {
    fail(at, where, `unknown "f" ${show(f)} (expected read, write, append, delete or cas)`);
  }
  if (typeof key !== 'string') fail(at, where, `"key" must be a string, got ${show(key)}`);
  const t = type as EventType;
  const op = f as OpName;
  const hasValue = 'value' in o;
  const value = o['value'];
  const absent = value === undefined || value === null;
  const bad = (want: string): never => fail(at, where, `${op} ${t}: "value" must be ${want}, got ${show(value)}`);
  switch (op) {
    case 'read':
      if (t === 'invoke') {
        if (!absent) bad('null or absent');
      } else if (t === 'ok') {
        if (!hasValue || (value !== null && typeof value !== 'string')) bad('a string or null (null = key missing)');
      } else if (!absent && typeof value !== 'string') bad('a string, null or absent');
      break;
    case 'write':
    case 'append':
      if (t === 'invoke') {
        if (typeof value !== 'string') bad('a string');
      } else if (!absent && typeof value !== 'string') bad('a string, null or absent');
      break;
    case 'delete':
      if (!absent) bad('null or absent');
      break;
    case 'cas':
      if (t === 'invoke') {
        if (!isCasValue(value)) bad('a 2-array [expect (string or null), new (string)]');
      } else if (!absent && !isCasValue(value)) bad('a 2-array [expect, new], null or absent');
      break;
  }
  const ev: HistoryEvent = { process: process as number, type: t, f: op, key: key as string };
  if (hasValue) ev.value = value;
  if (where === 'line') ev.line = at;
  return ev;
}
