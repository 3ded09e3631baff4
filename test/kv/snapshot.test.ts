// The key-value snapshot (src/kv/snapshot.ts): saveKv / recoverKv round trips through real streams
// (PassThrough, a file, Readables yielding 1-7 byte chunks or one chunk), a large store written in
// several 256 KiB writes, the byte format, an empty store, recovery replacing what was there,
// equal digests after a round trip, clear errors for bad magic / truncation / an empty stream,
// and save rejecting when the writable fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { KvStore, kvSnapshotHandler, recoverKv, saveKv } from '../../src/kv/index.js';
import { EMPTY_DIGEST, entriesOf, keyArb, prng, randomBytes, storeOf, valueArb } from './helpers.js';

const MAGIC = Buffer.from('TSKV1\n');
const WRITE_BYTES = 256 * 1024;

/** Saves `store` into a Writable that keeps every chunk it is given. */
async function saveToChunks(store: KvStore): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  await saveKv(store, w);
  assert.ok(w.writableFinished, 'save ends the writable');
  return chunks;
}

async function saveToBuffer(store: KvStore): Promise<Buffer> {
  return Buffer.concat(await saveToChunks(store));
}

/** `bytes` as chunks of 1..maxChunk bytes (random sizes from `seed`). */
function tinyChunks(bytes: Buffer, seed: number, maxChunk = 7): Buffer[] {
  const rand = prng(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(rand() * maxChunk);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Recovers a fresh store from a Readable yielding exactly `chunks`. */
async function recoverFrom(chunks: Buffer[], into = new KvStore()): Promise<KvStore> {
  await recoverKv(into, Readable.from(chunks));
  return into;
}

/** Round trip through a PassThrough, save and recover running at the same time. */
async function viaPassThrough(src: KvStore, dst = new KvStore()): Promise<KvStore> {
  const pt = new PassThrough();
  await Promise.all([saveKv(src, pt), recoverKv(dst, pt)]);
  return dst;
}

/** An independent reader of the documented format, to check what save writes. */
function parse(bytes: Buffer): Array<[string, string]> {
  assert.ok(bytes.subarray(0, MAGIC.length).equals(MAGIC), 'starts with the magic');
  const out: Array<[string, string]> = [];
  let at = MAGIC.length;
  while (at < bytes.length) {
    const k = bytes.readUInt32LE(at);
    const key = bytes.toString('utf8', at + 4, at + 4 + k);
    const v = bytes.readUInt32LE(at + 4 + k);
    out.push([key, bytes.subarray(at + 8 + k, at + 8 + k + v).toString('hex')]);
    at += 8 + k + v;
  }
  assert.is(at, bytes.length, 'records end exactly at the end');
  return out;
}

function sameStore(actual: KvStore, expected: KvStore): void {
  assert.is(actual.size, expected.size);
  if (expected.size <= 1000) assert.equal(entriesOf(actual), entriesOf(expected), 'same entries in the same order');
  else {
    // Large stores: the same comparison without hex-encoding megabytes.
    assert.equal([...actual.entries()].map(([k]) => k), [...expected.entries()].map(([k]) => k), 'same keys in the same order');
    for (const [k, v] of expected.entries()) if (!actual.get(k)!.equals(v)) assert.unreachable(`value of ${k} differs`);
  }
  assert.is(actual.digest(), expected.digest());
}

async function rejectsWith(p: Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await p;
  } catch (error) {
    assert.instance(error, Error, `rejected with ${String(error)}`);
    assert.match((error as Error).message, pattern);
    return error as Error;
  }
  assert.unreachable(`expected a rejection matching ${String(pattern)}`);
  throw new Error('unreachable');
}

/** Settles with 'timeout' if `p` does not settle in `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

/** A store with unicode / '/' / '%' / empty keys and values of every byte. */
function mixedStore(count: number, seed: number, maxValue = 300): KvStore {
  const rand = prng(seed);
  const s = new KvStore();
  s.set('', Buffer.alloc(0));
  s.set('empty', Buffer.alloc(0));
  s.set('all-bytes', Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  s.set('𝄞/🎉/%2F', Buffer.from('astral'));
  s.set('ключ%', Buffer.from([0, 0, 0, 0]));
  for (let i = 0; i < count; i++) s.set(`k/${i}/${'é'.repeat(i % 5)}`, randomBytes(rand, Math.floor(rand() * maxValue)));
  return s;
}

/** 50,000 keys: most values small, every 250th up to 64 KiB (about 8 MB in all). */
let largeStore: KvStore | undefined;
function large(): KvStore {
  if (largeStore) return largeStore;
  const rand = prng(7);
  const s = new KvStore();
  for (let i = 0; i < 50_000; i++) {
    const size = i % 250 === 0 ? (i % 1000 === 0 ? 64 * 1024 : 1 + Math.floor(rand() * 64 * 1024)) : Math.floor(rand() * 64);
    s.set(`user:${i}:${i % 7 === 0 ? 'ü𝄞' : 'x'}`, randomBytes(rand, size));
  }
  largeStore = s;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Format and round trips

test('format: magic "TSKV1\\n", then [u32 key bytes][key][u32 value bytes][value] in insertion order', async () => {
  const s = storeOf([
    ['b', Buffer.from('2')],
    ['é', Buffer.from([0, 255])],
    ['', Buffer.alloc(0)],
  ]);
  const bytes = await saveToBuffer(s);
  assert.is(
    bytes.toString('hex'),
    MAGIC.toString('hex') + '01000000' + '62' + '01000000' + '32' + '02000000' + 'c3a9' + '02000000' + '00ff' + '00000000' + '00000000',
  );
  assert.equal(parse(bytes), entriesOf(s));
});

test('empty store: only the magic is written, and it recovers as an empty store', async () => {
  const bytes = await saveToBuffer(new KvStore());
  assert.ok(bytes.equals(MAGIC));
  const r = await recoverFrom([bytes]);
  assert.is(r.size, 0);
  assert.is(r.digest(), EMPTY_DIGEST);
  const r2 = await recoverFrom(tinyChunks(bytes, 1, 2));
  assert.is(r2.size, 0);
  const r3 = await viaPassThrough(new KvStore(), storeOf([['stale', Buffer.from('x')]]));
  assert.is(r3.size, 0, 'an empty snapshot empties a non-empty store');
  assert.is(r3.digest(), EMPTY_DIGEST);
});

test('round trip through a PassThrough: entries, order, empty keys and values, digest', async () => {
  const src = mixedStore(2000, 3);
  sameStore(await viaPassThrough(src), src);
});

test('round trip, recovery fed in one chunk', async () => {
  const src = mixedStore(2000, 4);
  const bytes = await saveToBuffer(src);
  sameStore(await recoverFrom([bytes]), src);
});

test('round trip, recovery fed in chunks of 1-7 bytes (and of exactly 1 byte)', async () => {
  const src = mixedStore(400, 5);
  src.set('big', randomBytes(prng(9), 8 * 1024));
  const bytes = await saveToBuffer(src);
  for (const seed of [1, 2, 3]) {
    const chunks = tinyChunks(bytes, seed);
    assert.ok(chunks.every((c) => c.length >= 1 && c.length <= 7));
    sameStore(await recoverFrom(chunks), src);
  }
  sameStore(await recoverFrom(tinyChunks(bytes, 4, 1)), src);
});

test('round trip, recovery from a byte-mode Readable and from a file on disk', async () => {
  const src = mixedStore(3000, 6, 2000);
  const bytes = await saveToBuffer(src);
  // Byte mode: the stream may join or split the pushed chunks as it likes.
  const byteMode = new Readable({ read() {} });
  for (const c of tinyChunks(bytes, 8, 5000)) byteMode.push(c);
  byteMode.push(null);
  const r1 = new KvStore();
  await recoverKv(r1, byteMode);
  sameStore(r1, src);

  const dir = await mkdtemp(join(tmpdir(), 'tsraft-kv-'));
  try {
    const file = join(dir, 'snap');
    await saveKv(src, createWriteStream(file));
    const r2 = new KvStore();
    await recoverKv(r2, createReadStream(file, { highWaterMark: 1000 }));
    sameStore(r2, src);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('large store (50k keys, values up to 64 KiB): several ~256 KiB writes, each record whole', async () => {
  const src = large();
  const chunks = await saveToChunks(src);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  assert.ok(chunks.length >= 10, `${chunks.length} writes for ${total} bytes`);
  assert.ok(chunks.length >= Math.floor(total / (WRITE_BYTES + 64 * 1024 + 64)), 'writes are not much larger than 256 KiB');
  for (let i = 0; i < chunks.length - 1; i++) {
    assert.ok(chunks[i]!.length >= WRITE_BYTES, `write ${i} of ${chunks[i]!.length} bytes is at least 256 KiB`);
    assert.ok(chunks[i]!.length < WRITE_BYTES + 8 + 64 + 64 * 1024, `write ${i} of ${chunks[i]!.length} bytes ends at the first record past 256 KiB`);
  }
  assert.ok(chunks[chunks.length - 1]!.length <= WRITE_BYTES + 8 + 64 + 64 * 1024);
  const bytes = Buffer.concat(chunks);
  const parsed = parse(bytes);
  assert.is(parsed.length, src.size);
  let i = 0;
  for (const [k, v] of src.entries()) {
    const [pk, pv] = parsed[i++]!;
    if (pk !== k || pv !== v.toString('hex')) assert.unreachable(`record ${i - 1} is not ${k}`);
  }
  sameStore(await recoverFrom([bytes]), src);
  // Chunks of the size a file stream reads, cutting records anywhere.
  sameStore(await recoverFrom(tinyChunks(bytes, 11, 64 * 1024)), src);
});

test('large store through a PassThrough (backpressure: save waits for the reader)', async () => {
  const src = large();
  const dst = await viaPassThrough(src);
  sameStore(dst, src);
  const got = dst.get('user:0:ü𝄞');
  assert.ok(got && got.length === 64 * 1024);
  assert.ok(dst.get('user:1:x')!.equals(src.get('user:1:x')!));
});

test('recovered values are independent copies of the stream data', async () => {
  const src = storeOf([
    ['a', Buffer.from('one')],
    ['b', Buffer.from('two')],
  ]);
  const bytes = await saveToBuffer(src);
  const dst = await recoverFrom([bytes]);
  bytes.fill(0);
  assert.is(dst.get('a')?.toString(), 'one');
  assert.is(dst.get('b')?.toString(), 'two');
});

test('recover replaces the previous contents (overlapping keys, extra keys, digest)', async () => {
  const src = storeOf([
    ['a', Buffer.from('new-a')],
    ['c', Buffer.from('c')],
  ]);
  const dst = storeOf([
    ['a', Buffer.from('old-a')],
    ['b', Buffer.from('stale')],
    ['z', Buffer.alloc(1000)],
  ]);
  await viaPassThrough(src, dst);
  sameStore(dst, src);
  assert.not.ok(dst.has('b'));
  assert.not.ok(dst.has('z'));
  // Recovering the same snapshot twice gives the same store.
  await viaPassThrough(src, dst);
  sameStore(dst, src);
});

test('a reader during a recover sees the old contents until the new ones are whole, never a mix (regression: the store was cleared first, and a local read in between found no key)', async () => {
  const src = storeOf([
    ['a', Buffer.from('new-a')],
    ['c', Buffer.from('c')],
  ]);
  const dst = storeOf([
    ['a', Buffer.from('old-a')],
    ['b', Buffer.from('old-b')],
  ]);
  const oldDigest = dst.digest();
  const bytes = await saveToBuffer(src);
  const seen: string[] = [];
  // One byte per turn of the event loop; a reader looks at the store between every two.
  const chunks = (async function* () {
    for (const piece of tinyChunks(bytes, 1, 1)) {
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(`${dst.get('a')?.toString()}|${dst.get('b')?.toString()}|${dst.digest()}`);
      yield piece;
    }
  })();
  await recoverKv(dst, Readable.from(chunks));
  assert.ok(seen.length > 10);
  for (const s of seen) assert.is(s, `old-a|old-b|${oldDigest}`, 'the old contents throughout the recover');
  sameStore(dst, src);
});

test('a recover that fails leaves the store as it was', async () => {
  const dst = storeOf([['a', Buffer.from('old-a')]]);
  const before = dst.digest();
  const good = await saveToBuffer(storeOf([['x', Buffer.from('1')], ['y', Buffer.from('2')]]));
  await rejectsWith(recoverKv(dst, Readable.from([good.subarray(0, good.length - 1)])), /ends inside a record/);
  assert.is(dst.digest(), before);
  assert.equal(entriesOf(dst), [['a', Buffer.from('old-a').toString('hex')]]);
});

test('kvSnapshotHandler saves and recovers the store it was made for', async () => {
  const src = mixedStore(100, 12);
  const dst = storeOf([['stale', Buffer.from('x')]]);
  const pt = new PassThrough();
  await Promise.all([kvSnapshotHandler(src).save(pt), kvSnapshotHandler(dst).recover(pt)]);
  sameStore(dst, src);
});

test('captureKv writes the store as it was when captured, while the store changes during the write; the changes are kept after it', async () => {
  const src = mixedStore(20_000, 31, 2000); // several 256 KiB writes, each taking a turn of the event loop below
  const asCaptured = new KvStore();
  for (const [k, v] of src.entries()) asCaptured.set(k, v);
  const save = kvSnapshotHandler(src).capture!();
  const chunks: Buffer[] = [];
  const slowDisk = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      setImmediate(cb);
    },
  });
  let saved = false;
  const saving = save(slowDisk).then(() => (saved = true));
  // Change the store while the capture is being written, a little every turn.
  let turns = 0;
  while (!saved) {
    src.set(`new-${turns}`, Buffer.from('n'));
    src.delete(`k/${turns}/${'é'.repeat(turns % 5)}`);
    src.set('empty', Buffer.from(`changed ${turns}`));
    turns++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await saving;
  assert.ok(turns > 5, `the store changed during the write (${turns} turns)`);
  const dst = await recoverFrom(chunks);
  assert.is(dst.size, asCaptured.size);
  assert.is(dst.digest(), asCaptured.digest(), 'the snapshot holds the store as captured');
  assert.is(src.get('empty')?.toString(), `changed ${turns - 1}`, 'the changes made during the write are kept');
  assert.is(src.get(`new-${turns - 1}`)?.toString(), 'n');
  assert.is(src.size, asCaptured.size, 'as many keys added as deleted');
  assert.not.ok(src.has('k/0/'));
  src.capture().release(); // released: a new capture can be taken
});

test('property: any store round-trips with equal entries and digest, whatever the chunking', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.tuple(keyArb, valueArb), { selector: ([k]) => k, maxLength: 25 }),
      fc.integer(),
      fc.integer({ min: 1, max: 64 }),
      async (pairs, seed, maxChunk) => {
        const src = storeOf(pairs);
        const bytes = await saveToBuffer(src);
        assert.equal(parse(bytes), entriesOf(src));
        const dst = await recoverFrom(tinyChunks(bytes, seed, maxChunk), storeOf([['left over', Buffer.from('x')]]));
        sameStore(dst, src);
      },
    ),
    { numRuns: 200 },
  );
});

// ---------------------------------------------------------------------------------------------
// Errors on recovery

test('bad magic: a clear Error, whether it arrives whole or split across chunks', async () => {
  const good = await saveToBuffer(storeOf([['k', Buffer.from('v')]]));
  for (const magic of ['TSKV2\n', 'tskv1\n', 'TSKV1\r', '\0\0\0\0\0\0', '{"a":1']) {
    const bad = Buffer.concat([Buffer.from(magic), good.subarray(MAGIC.length)]);
    await rejectsWith(recoverKv(new KvStore(), Readable.from([bad])), /not a tsraft key-value snapshot \(bad magic\)/);
    await rejectsWith(recoverKv(new KvStore(), Readable.from(tinyChunks(bad, 3, 2))), /bad magic/);
  }
  // A long stream of garbage stops at the magic.
  await rejectsWith(recoverKv(new KvStore(), Readable.from([Buffer.alloc(1 << 20, 0x41)])), /bad magic/);
});

test('empty stream: a clear Error; so is a stream shorter than the magic', async () => {
  await rejectsWith(recoverKv(new KvStore(), Readable.from([])), /key-value snapshot is empty \(no magic\)/);
  await rejectsWith(recoverKv(new KvStore(), Readable.from([Buffer.alloc(0)])), /empty \(no magic\)/);
  for (let n = 1; n < MAGIC.length; n++) {
    await rejectsWith(recoverKv(new KvStore(), Readable.from([MAGIC.subarray(0, n)])), /no magic/);
  }
});

test('truncated record: every cut inside a record is a clear Error naming the bytes left over', async () => {
  const src = storeOf([
    ['alpha', Buffer.from('first value')],
    ['', Buffer.alloc(0)],
    ['𝄞', Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8])],
    ['last', Buffer.alloc(300, 0xee)],
  ]);
  const bytes = await saveToBuffer(src);
  // Record boundaries: a cut exactly there is a shorter but well-formed snapshot. (This layer
  // checks framing only; the snapshot store's checksum catches a file cut there.)
  const boundaries = [MAGIC.length];
  for (const [k, v] of src.entries()) boundaries.push(boundaries[boundaries.length - 1]! + 8 + Buffer.byteLength(k) + v.length);
  assert.is(boundaries[boundaries.length - 1], bytes.length);
  let errors = 0;
  for (let cut = MAGIC.length; cut < bytes.length; cut++) {
    const truncated = bytes.subarray(0, cut);
    const records = boundaries.filter((b) => b <= cut).length - 1;
    const leftOver = cut - boundaries[records]!;
    for (const chunks of [[truncated], tinyChunks(truncated, cut, 7)]) {
      if (leftOver === 0) {
        const dst = await recoverFrom(chunks);
        assert.equal(entriesOf(dst), entriesOf(src).slice(0, records), `cut at a record boundary (${cut})`);
      } else {
        const err = await rejectsWith(recoverKv(new KvStore(), Readable.from(chunks)), /key-value snapshot ends inside a record/);
        assert.ok(err.message.includes(`(${leftOver} bytes left over)`), `${err.message} at cut ${cut}`);
        errors++;
      }
    }
  }
  assert.is(errors, 2 * (bytes.length - MAGIC.length - (boundaries.length - 1)));
});

test('a key or value length far beyond the stream: truncation Error, not a hang or a huge allocation', async () => {
  const hugeKey = Buffer.concat([MAGIC, Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from('abc')]);
  await rejectsWith(recoverKv(new KvStore(), Readable.from([hugeKey])), /ends inside a record \(7 bytes left over\)/);
  const hugeValue = Buffer.concat([MAGIC, Buffer.from([1, 0, 0, 0]), Buffer.from('k'), Buffer.from([0xff, 0xff, 0xff, 0x7f]), Buffer.from('v')]);
  await rejectsWith(recoverKv(new KvStore(), Readable.from([hugeValue])), /ends inside a record \(10 bytes left over\)/);
});

test('a Readable that fails makes recover reject with its error', async () => {
  const good = await saveToBuffer(mixedStore(50, 13));
  const failing = new Readable({
    read() {
      this.push(good.subarray(0, 100));
      this.destroy(new Error('read failed: EIO'));
    },
  });
  await rejectsWith(recoverKv(new KvStore(), failing), /read failed: EIO/);
});

// ---------------------------------------------------------------------------------------------
// Errors on save

/** A Writable failing as `how` says; its 'error' events are observed (as any owner of a stream does). */
function failingWritable(how: 'first-write' | 'async-write' | 'second-write' | 'final' | 'big-buffer-async', errors: Error[]): Writable {
  let writes = 0;
  const w = new Writable({
    highWaterMark: how === 'big-buffer-async' ? 64 << 20 : 16 * 1024,
    write(_chunk, _enc, cb) {
      writes++;
      if (how === 'first-write') cb(new Error('disk full'));
      else if (how === 'async-write') setImmediate(() => cb(new Error('disk full')));
      else if (how === 'big-buffer-async') setImmediate(() => cb(new Error('disk full')));
      else if (how === 'second-write' && writes >= 2) cb(new Error('disk full'));
      else cb();
    },
    final(cb) {
      cb(how === 'final' ? new Error('fsync failed') : null);
    },
  });
  w.on('error', (e) => errors.push(e));
  return w;
}

test('a writable that errors makes save reject (sync, async, later write, final, large buffer)', async () => {
  const small = storeOf([['k', Buffer.from('v')]]);
  const cases = [
    ['first-write', small, /disk full/],
    ['first-write', large(), /disk full/],
    ['async-write', small, /disk full/],
    ['async-write', large(), /disk full/],
    ['second-write', large(), /disk full/],
    ['final', small, /fsync failed/],
    ['final', large(), /fsync failed/],
    ['big-buffer-async', large(), /disk full/],
  ] as const;
  for (const [how, store, pattern] of cases) {
    const errors: Error[] = [];
    const result = await withTimeout(
      saveKv(store, failingWritable(how, errors)).then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      5000,
    );
    assert.instance(result, Error, `${how} with ${store.size} keys: save ${String(result)}`);
    assert.match((result as Error).message, pattern);
  }
});

test('a writable destroyed with an error during save makes save reject', async () => {
  const w = new Writable({
    write(_chunk, _enc, cb) {
      setTimeout(cb, 2);
    },
  });
  w.on('error', () => undefined);
  setTimeout(() => w.destroy(new Error('stream torn down')), 5);
  const result = await withTimeout(saveKv(large(), w).then(() => 'resolved', (e: unknown) => e), 5000);
  assert.instance(result, Error, `save ${String(result)}`);
  assert.match((result as Error).message, /stream torn down/);
});

// saveKv waits for 'drain' or 'error' when write() returns false, but a stream destroyed without
// an error (e.g. SnapshotWriter.abort(), or any writable already destroyed before save) emits
// neither, only 'close': save then never settles.
test('a writable destroyed without an error (before or during save) makes save settle', async () => {
  const during = new Writable({
    write(_chunk, _enc, cb) {
      setTimeout(cb, 2);
    },
  });
  during.on('error', () => undefined);
  setTimeout(() => during.destroy(), 5);
  assert.is.not(await withTimeout(saveKv(large(), during).then(() => 'resolved', () => 'rejected'), 3000), 'timeout', 'save hangs after destroy()');

  const before = new PassThrough();
  before.on('error', () => undefined);
  before.destroy();
  assert.is.not(
    await withTimeout(saveKv(storeOf([['k', Buffer.from('v')]]), before).then(() => 'resolved', () => 'rejected'), 3000),
    'timeout',
    'save hangs on an already destroyed writable',
  );
});

test.run();
