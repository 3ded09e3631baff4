// Shared pieces of the key-value tests: fast-check arbitraries for keys, values and commands, a
// plain Map model of the store.
import fc from 'fast-check';
import { AppendCommand, CasCommand, DeleteCommand, KvStore, SetCommand, type AppendResult, type CasResult } from '../../src/kv/index.js';
import { SeededRandom } from '../../src/core/rng.js';

/** A command of the key-value state machine. */
export type KvCommand = SetCommand | DeleteCommand | AppendCommand | CasCommand;


/** A few keys the generators pick often, so commands hit the same keys again and again. */
export const KEY_POOL = ['a', 'b', '', 'dir/sub/key', '100%', 'ключ', '𝄞🎉', 'a\u0000'] as const;

/** Keys: mostly from the pool, else any well-formed string (NULs, astral characters, '/', '%'). */
export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KEY_POOL) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z/%]{0,8}$/) },
);

/** Values the generators pick often, so compare-and-set sometimes matches. */
export const VALUE_POOL: readonly Buffer[] = [Buffer.alloc(0), Buffer.from('x'), Buffer.from([0, 255]), Buffer.from('hello')];

/** Values: from the pool or any bytes up to 40 long; always a fresh Buffer. */
export const valueArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...VALUE_POOL).map((b) => Buffer.from(b)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)) },
);

/** Any of the four commands over {@link keyArb} and {@link valueArb}. */
export const commandArb: fc.Arbitrary<KvCommand> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(keyArb, valueArb).map(([k, v]): KvCommand => new SetCommand(k, v)) },
  { weight: 2, arbitrary: keyArb.map((k): KvCommand => new DeleteCommand(k)) },
  {
    weight: 2,
    // Limits around the lengths the generators make, so some appends are refused.
    arbitrary: fc
      .tuple(keyArb, valueArb, fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined, freq: 2 }))
      .map(([k, v, max]): KvCommand => new AppendCommand(k, v, max)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(keyArb, fc.option(valueArb, { nil: null, freq: 3 }), valueArb)
      .map(([k, e, v]): KvCommand => new CasCommand(k, e, v)),
  },
);

/** The reference model: a plain Map with the documented semantics of each command. */
export function applyToModel(model: Map<string, Buffer>, c: KvCommand): unknown {
  if (c instanceof SetCommand) {
    model.set(c.key, Buffer.from(c.value));
    return undefined;
  }
  if (c instanceof DeleteCommand) return model.delete(c.key);
  if (c instanceof AppendCommand) {
    const value = Buffer.concat([model.get(c.key) ?? Buffer.alloc(0), c.suffix]);
    if (c.maxLength !== undefined && value.length > c.maxLength) return { ok: false, length: model.get(c.key)?.length ?? 0 } satisfies AppendResult;
    model.set(c.key, value);
    return { ok: true, length: value.length } satisfies AppendResult;
  }
  const current = model.get(c.key) ?? null;
  const matches = c.expect === null ? current === null : current !== null && Buffer.compare(current, c.expect) === 0;
  if (!matches) return { ok: false, current: current === null ? null : Buffer.from(current) } satisfies CasResult;
  model.set(c.key, Buffer.from(c.value));
  return { ok: true } satisfies CasResult;
}

/** Entries as `[key, hex value]` pairs, in iteration order: comparable with deepEqual. */
export function entriesOf(source: KvStore | Map<string, Buffer>): Array<[string, string]> {
  return [...source.entries()].map(([k, v]): [string, string] => [k, Buffer.from(v).toString('hex')]);
}

/** Results with Buffers turned into hex, so deepEqual compares bytes and not Buffer classes. */
export function normalizeResult(result: unknown): unknown {
  if (result instanceof Uint8Array) return { hex: Buffer.from(result).toString('hex') };
  if (result !== null && typeof result === 'object') {
    return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, normalizeResult(v)]));
  }
  return result;
}

/** A store holding exactly `entries`, set in the given order. */
export function storeOf(entries: Iterable<readonly [string, Uint8Array]>): KvStore {
  const store = new KvStore();
  for (const [k, v] of entries) store.set(k, Buffer.from(v));
  return store;
}

/** The digest of an empty store. */
export const EMPTY_DIGEST = '0000000000000000';

/** A small deterministic PRNG (mulberry32) for bulk data that need not shrink. */
export function prng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** `n` random bytes from `rand`. */
export function randomBytes(rand: () => number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  for (; i + 4 <= n; i += 4) out.writeUInt32LE((rand() * 4294967296) >>> 0, i);
  for (; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

/** `n` as 4 bytes, little-endian (the encoding of command fields). */
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

/** Log entry data: `[type u32 LE][payload]`. */
export function entry(type: number, ...payload: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat([u32(type), ...payload]));
}
