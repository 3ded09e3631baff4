// Big entries: the WAL against a plain model of the log with entry
// sizes straddling every big-entry threshold — 64 KiB (ByteSlab.keepOrCopy keeps a
// view), 1 MiB (encodeUpdatePieces writes the data by reference), 8 MiB records (vectored writes
// from pieces) and the cache budget (the `oversized` slot) — across save / truncateAfter /
// compactBefore / reset / reopen, with reads from the cache, from disk and in flight while a
// mutation runs. Checked after every step:
// - the log agrees with the model (indices, terms, hard state, every entry's bytes);
// - every entry handed out earlier is still intact (nothing handed out aliases a buffer that is
//   written again: the WAL's reused encode buffer, a read buffer, a kept view);
// - the cache holds only live entries (white-box: its LRU runs and its oversized slot).
// Seeded: a failure names its seed and step. 8 seeds in npm test; BIG_MODEL_SEEDS=N for more.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wal, WalCompactedError, WalRangeError, type Entry, type WalOptions } from '../../wal/index.js';
import { removeDir, seededRandom, tempDir } from './helpers.js';
import { LogModel } from './log-model.js';

const KIB = 1024;
const MIB = 1024 * KIB;
/** Sizes around every threshold (and a few small ones, which are most entries in practice). */
const SIZES = [0, 1, 100, 1000, 64 * KIB - 1, 64 * KIB, 64 * KIB + 1, 200 * KIB, MIB - 1, MIB, MIB + 1, 3 * MIB, 5 * MIB - 7];
/** Bytes of entry data written per run at most (then only small entries): keeps runs quick. */
const DATA_BUDGET = 48 * MIB;

/** The bytes of entry (index, term) of `size`: a 61-byte pattern from (index, term), repeated. */
function bigData(index: number, term: number, size: number): Uint8Array {
  const data = new Uint8Array(size);
  if (size === 0) return data;
  const pattern = Buffer.allocUnsafe(61);
  let x = (index * 2654435761 + term * 40503 + size) >>> 0;
  for (let i = 0; i < pattern.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    pattern[i] = x >>> 24;
  }
  Buffer.from(data.buffer, data.byteOffset, size).fill(pattern);
  return data;
}

function intact(entry: Entry): boolean {
  const expected = bigData(entry.index, entry.term, entry.data.byteLength);
  return entry.type === entry.index % 3 && Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).equals(Buffer.from(expected.buffer));
}

interface CacheInternals {
  lru: { peek(k: number): Entry[] | undefined; keys(): IterableIterator<number> };
  oversized: { start: number; run: Entry[] } | undefined;
}

/** Every entry the cache holds (white-box: the LRU's runs and the oversized slot). */
function cachedEntries(wal: Wal): Entry[] {
  const cache = (wal as unknown as { cache?: CacheInternals }).cache;
  if (!cache) return [];
  const out: Entry[] = [];
  for (const start of [...cache.lru.keys()]) out.push(...(cache.lru.peek(start) ?? []));
  if (cache.oversized) out.push(...cache.oversized.run);
  return out;
}

async function runSeed(seed: number, options: WalOptions): Promise<number> {
  const random = seededRandom(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const dir = await tempDir('tsraft-bigmodel-');
  let wal = await Wal.open(dir, options);
  const model = new LogModel();
  let nextTerm = 1;
  let written = 0;
  /** Entries handed out by reads: checked again at every step (they must never change). */
  let handedOut: Entry[] = [];
  const sizeFor = (): number => {
    const roll = random();
    const size = roll < 0.5 ? int(300) : roll < 0.8 ? pick(SIZES.slice(3, 8)) : pick(SIZES);
    return written + size > DATA_BUDGET ? int(300) : size;
  };
  const newEntries = (count: number, term: number, sizes?: number[]): Entry[] =>
    Array.from({ length: count }, (_, k) => {
      const index = model.last + 1 + k;
      const size = sizes?.[k] ?? sizeFor();
      written += size;
      return { index, term, type: index % 3, data: bigData(index, term, size) };
    });

  const checkRead = (got: Entry[], label: string, allowTerms?: Map<number, number>): void => {
    for (const e of got) {
      assert.ok(intact(e), `${label}: entry ${e.index} (term ${e.term}, ${e.data.byteLength} bytes) intact`);
      const term = model.termOf(e.index);
      assert.ok(term === e.term || allowTerms?.get(e.index) === e.term, `${label}: entry ${e.index} has term ${e.term}, model ${term}`);
    }
    handedOut.push(...got);
  };

  const checkAll = async (label: string): Promise<void> => {
    assert.is(wal.firstIndex, model.first, `${label}: firstIndex`);
    assert.is(wal.lastIndex, model.last, `${label}: lastIndex`);
    assert.equal(wal.hardState, model.hardState, `${label}: hardState`);
    for (let i = model.first - 1; i <= model.last; i++) assert.is(wal.term(i), model.termOf(i), `${label}: term(${i})`);
    for (const e of handedOut) assert.ok(intact(e), `${label}: entry ${e.index} handed out earlier changed under its holder`);
    if (handedOut.length > 400) handedOut = handedOut.slice(-200);
    for (const e of cachedEntries(wal)) {
      assert.ok(e.index >= model.first && e.index <= model.last, `${label}: the cache holds entry ${e.index} outside the log [${model.first}, ${model.last}] (${e.data.byteLength} bytes)`);
      assert.is(e.term, model.termOf(e.index), `${label}: cached entry ${e.index} has a stale term`);
    }
  };

  let steps = 0;
  try {
    for (let step = 0; step < 40; step++, steps++) {
      const label = `seed ${seed} step ${step}`;
      const roll = random();
      // A read of part of the log started before the mutation and awaited after it.
      const racing = model.entries.length > 0 && random() < 0.35;
      const lo = model.first + int(model.entries.length + 1);
      const hi = Math.min(model.last + 1, lo + 1 + int(6));
      const before = new Map(model.entries.map((e) => [e.index, e.term]));
      const inflight = racing && lo < hi ? wal.entries(lo, hi, random() < 0.3 ? int(2 * MIB) : Infinity).then((r) => r, (e: unknown) => e) : undefined;
      let what: string;
      if (roll < 0.45) {
        nextTerm = Math.max(nextTerm, model.lastTerm()) + (random() < 0.15 ? 1 : 0);
        const entries = newEntries(1 + int(3), nextTerm);
        const hardState = random() < 0.5 ? { term: nextTerm, vote: step % 3, commit: Math.max(0, model.last) } : undefined;
        what = `save ${entries.map((e) => e.data.byteLength).join('+')}`;
        await wal.save({ entries, hardState });
        model.append(entries);
        if (hardState) model.hardState = hardState;
      } else if (roll < 0.52 && written + 10 * MIB <= DATA_BUDGET) {
        // One record over 8 MiB: pieces, entries referenced and copied, big first and last.
        nextTerm = Math.max(nextTerm, model.lastTerm());
        const sizes = pick([[MIB, 100, 7 * MIB + 1], [5 * MIB, 4 * MIB], [200, MIB - 1, 8 * MIB], [9 * MIB]]);
        const entries = newEntries(sizes.length, nextTerm, sizes);
        what = `big record ${sizes.join('+')}`;
        await wal.save({ entries, hardState: random() < 0.5 ? model.hardState : undefined });
        model.append(entries);
      } else if (roll < 0.64) {
        const index = Math.max(model.first - 1, model.last - int(5));
        what = `truncateAfter(${index})`;
        await wal.truncateAfter(index);
        model.truncateAfter(index);
      } else if (roll < 0.76) {
        const target = model.first + int(model.entries.length + 2);
        what = `compactBefore(${target})`;
        await wal.compactBefore(target);
        model.compactTo(wal.firstIndex); // whole segments only: the WAL says where it stopped
      } else if (roll < 0.82) {
        const index = Math.max(0, model.last + int(6) - 3);
        const term = Math.max(nextTerm, model.lastTerm()) + int(2);
        nextTerm = term;
        what = `reset(${index}, ${term})`;
        await wal.reset(index, term);
        model.reset(index, term);
      } else if (roll < 0.9) {
        what = 'reopen';
        await wal.close();
        wal = await Wal.open(dir, options);
        assert.is(wal.recovery.tornTailBytes, 0, `${label}: clean close, no torn tail`);
      } else {
        what = 'read';
        if (model.entries.length > 0) {
          const a = model.first + int(model.entries.length);
          const b = Math.min(model.last + 1, a + 1 + int(8));
          const got = await wal.entries(a, b, random() < 0.3 ? int(3 * MIB) : Infinity);
          assert.ok(got.length >= 1 && got[0]!.index === a, `${label}: read from ${a}`);
          checkRead(got, `${label} read`);
          const cached = wal.cachedEntries(a, b);
          if (cached) checkRead(cached, `${label} cachedEntries`);
        }
      }
      const full = `${label} (${what})`;
      if (inflight) {
        const got = await inflight;
        if (Array.isArray(got)) checkRead(got, `${full}: read started before it`, before);
        else assert.ok(got instanceof WalCompactedError || got instanceof WalRangeError, `${full}: read racing it failed with ${String(got)}`);
      }
      await checkAll(full);
      if (model.entries.length > 0 && random() < 0.3) {
        const all = await wal.entries(model.first, model.last + 1);
        assert.is(all.length, model.entries.length, `${full}: whole log`);
        checkRead(all, `${full}: whole log`);
      }
    }
    await wal.close();
    wal = await Wal.open(dir, options);
    await checkAll(`seed ${seed} final reopen`);
    if (model.entries.length > 0) checkRead(await wal.entries(model.first, model.last + 1), `seed ${seed} final read`);
  } finally {
    await wal.close();
    await removeDir(dir);
  }
  return steps;
}

test('big and small entries: the WAL agrees with a model across saves, truncations, compactions, resets, reopens and racing reads', async () => {
  const started = Date.now();
  const seeds = Number(process.env.BIG_MODEL_SEEDS ?? 8);
  for (let seed = 1; seed <= seeds; seed++) {
    // Segments of 2 MiB: big records roll them and overflow them; a cache of 256 KiB: entries from
    // 32 KiB are whole runs, from 256 KiB oversized; and no cache at all.
    const cacheBytes = seed % 4 === 0 ? 0 : 256 * KIB;
    await runSeed(seed, { segmentBytes: 2 * MIB, cacheBytes, sync: 'none', preallocate: seed % 2 === 0 });
  }
  console.log(`  big-entry model: ${seeds} seeds in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.run();
