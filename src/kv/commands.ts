/**
 * The key-value commands: set, delete, append and compare-and-set, as registered Command classes
 * with a compact binary encoding (used with the Bytes codec, no MessagePack or JSON on the write
 * path). Layout of every payload: `[u32 LE key byte length][key UTF-8][rest]`. A command's
 * encoding never changes once it has been logged: a new form gets a new type id, and the old
 * class stays registered to decode existing logs.
 * @module
 */
import type { KvStore } from './store.js';

/** Splits `[u32 key length][key][rest]`; throws on a payload that does not hold one. */
function readKey(payload: unknown): { key: string; rest: Buffer } {
  if (!(payload instanceof Uint8Array) || payload.byteLength < 4) throw new TypeError('kv command payload too short');
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const keyBytes = buf.readUInt32LE(0);
  if (4 + keyBytes > buf.length) throw new TypeError(`kv command key length ${keyBytes} exceeds the payload`);
  return { key: buf.toString('utf8', 4, 4 + keyBytes), rest: buf.subarray(4 + keyBytes) };
}

/** `[u32 key length][key][...parts]`. */
function writeKey(key: string, ...parts: Uint8Array[]): Buffer {
  const keyBytes = Buffer.byteLength(key);
  let total = 4 + keyBytes;
  for (const p of parts) total += p.byteLength;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(keyBytes, 0);
  out.write(key, 4, 'utf8');
  let at = 4 + keyBytes;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Sets a key to a value. */
export class SetCommand {
  static readonly type = 1;
  constructor(
    readonly key: string,
    readonly value: Buffer,
  ) {}
  do(store: KvStore): void {
    store.set(this.key, this.value);
  }
  static encode(c: SetCommand): Uint8Array {
    return writeKey(c.key, c.value);
  }
  static decode(payload: unknown): SetCommand {
    const { key, rest } = readKey(payload);
    return new SetCommand(key, rest);
  }
}

/** Deletes a key; the result says whether it existed. */
export class DeleteCommand {
  static readonly type = 2;
  constructor(readonly key: string) {}
  do(store: KvStore): boolean {
    return store.delete(this.key);
  }
  static encode(c: DeleteCommand): Uint8Array {
    return writeKey(c.key);
  }
  static decode(payload: unknown): DeleteCommand {
    return new DeleteCommand(readKey(payload).key);
  }
}

/**
 * What an append returns: applied, with the value's new length; or refused because the value
 * would grow past the command's `maxLength`, with its length, unchanged.
 */
export type AppendResult = { ok: true; length: number } | { ok: false; length: number };

/** Largest `maxLength` the encoding carries (a u32). */
const MAX_APPEND_LIMIT = 0xffff_ffff;

/**
 * Appends bytes to a key's value (a missing key counts as empty). With `maxLength`, an append
 * that would make the value longer than that many bytes is refused and changes nothing: the
 * limit travels in the command, so every member decides the same way whatever its own settings.
 * Payload rest: `[u8 has limit][u32 LE limit][suffix]`.
 */
export class AppendCommand {
  static readonly type = 5;
  constructor(
    readonly key: string,
    readonly suffix: Buffer,
    /** Longest value the append may produce, in bytes; undefined: no limit. */
    readonly maxLength?: number,
  ) {
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0 || maxLength > MAX_APPEND_LIMIT)) {
      throw new RangeError(`append maxLength must be an integer from 0 to ${MAX_APPEND_LIMIT}, got ${maxLength}`);
    }
  }
  do(store: KvStore): AppendResult {
    const old = store.get(this.key);
    const length = (old?.length ?? 0) + this.suffix.length;
    if (this.maxLength !== undefined && length > this.maxLength) return { ok: false, length: old?.length ?? 0 };
    store.set(this.key, old ? Buffer.concat([old, this.suffix], length) : this.suffix);
    return { ok: true, length };
  }
  static encode(c: AppendCommand): Uint8Array {
    const head = Buffer.allocUnsafe(5);
    head.writeUInt8(c.maxLength === undefined ? 0 : 1, 0);
    head.writeUInt32LE(c.maxLength ?? 0, 1);
    return writeKey(c.key, head, c.suffix);
  }
  static decode(payload: unknown): AppendCommand {
    const { key, rest } = readKey(payload);
    if (rest.length < 5) throw new TypeError('append command payload too short');
    const flag = rest.readUInt8(0);
    if (flag > 1) throw new TypeError(`append command has-limit flag must be 0 or 1, got ${flag}`);
    const limit = rest.readUInt32LE(1);
    if (flag === 0 && limit !== 0) throw new TypeError(`append command without a limit has a limit field of ${limit}`);
    return new AppendCommand(key, rest.subarray(5), flag === 1 ? limit : undefined);
  }
}

/**
 * An append as logged before appends carried a limit: type id 3, payload rest `[suffix]`. It stays
 * registered so that logs written then still decode; it decodes into an {@link AppendCommand}
 * without a limit (what it meant), so nothing else needs to know the old form. New appends are
 * {@link AppendCommand}s.
 */
export class LegacyAppendCommand {
  static readonly type = 3;
  constructor(
    readonly key: string,
    readonly suffix: Buffer,
  ) {}
  do(store: KvStore): AppendResult {
    return new AppendCommand(this.key, this.suffix).do(store);
  }
  static encode(c: LegacyAppendCommand): Uint8Array {
    return writeKey(c.key, c.suffix);
  }
  static decode(payload: unknown): AppendCommand {
    const { key, rest } = readKey(payload);
    return new AppendCommand(key, rest);
  }
}

/** What a compare-and-set returns: applied, or the value found instead (null = absent). */
export type CasResult = { ok: true } | { ok: false; current: Buffer | null };

/**
 * Sets `key` to `value` if its current value equals `expect` (null: only if the key is absent).
 * Payload rest: `[u8 has expect][u32 expect length][expect][value]`.
 */
export class CasCommand {
  static readonly type = 4;
  constructor(
    readonly key: string,
    readonly expect: Buffer | null,
    readonly value: Buffer,
  ) {}
  do(store: KvStore): CasResult {
    const current = store.get(this.key) ?? null;
    const matches = this.expect === null ? current === null : current !== null && current.equals(this.expect);
    if (!matches) return { ok: false, current };
    store.set(this.key, this.value);
    return { ok: true };
  }
  static encode(c: CasCommand): Uint8Array {
    const head = Buffer.allocUnsafe(5);
    head.writeUInt8(c.expect === null ? 0 : 1, 0);
    head.writeUInt32LE(c.expect?.length ?? 0, 1);
    return writeKey(c.key, head, c.expect ?? Buffer.alloc(0), c.value);
  }
  static decode(payload: unknown): CasCommand {
    const { key, rest } = readKey(payload);
    if (rest.length < 5) throw new TypeError('cas command payload too short');
    const flag = rest.readUInt8(0);
    if (flag > 1) throw new TypeError(`cas command has-expect flag must be 0 or 1, got ${flag}`);
    const hasExpect = flag === 1;
    const expectBytes = rest.readUInt32LE(1);
    if (!hasExpect && expectBytes !== 0) throw new TypeError(`cas command without an expected value has an expect length of ${expectBytes}`);
    if (5 + expectBytes > rest.length) throw new TypeError(`cas expect length ${expectBytes} exceeds the payload`);
    const expect = hasExpect ? rest.subarray(5, 5 + expectBytes) : null;
    return new CasCommand(key, expect, rest.subarray(5 + expectBytes));
  }
}

/** Every key-value command class, to register on each node (in type id order). */
export const KV_COMMANDS = [SetCommand, DeleteCommand, LegacyAppendCommand, CasCommand, AppendCommand] as const;
