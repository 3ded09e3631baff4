// From a mutation review of src/node-options.ts: each numeric option at the edges of its
// documented range. Widening or narrowing any of these bounds passed every other test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fakeTransport as transport, refusedWith as refused, resolveWith as resolve } from './options-helpers.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

test('electionTimeoutMs exactly twice heartbeatMs is accepted (the rule is "at least twice"); one less is refused', () => {
  assert.is(resolve({ heartbeatMs: 100, electionTimeoutMs: 200 }).electionTimeoutMs, 200);
  assert.is(resolve({ heartbeatMs: 1, electionTimeoutMs: 2 }).electionTimeoutMs, 2);
  refused({ heartbeatMs: 100, electionTimeoutMs: 199 }, RangeError, 'electionTimeoutMs (199) must be at least twice heartbeatMs (100)');
});

test('port: 65535 is the largest; 65536 is a RangeError naming port, with or without a transport of the caller\'s', () => {
  assert.is(resolve({ port: 65535 }).address, 'localhost:65535');
  assert.is(resolve({ port: 1 }).address, 'localhost:1');
  refused({ port: 65536 }, RangeError, 'port', '65536');
  refused({ port: 65536, transport: transport() }, RangeError, 'port', '65536');
});

test('times: 2^31-1 ms is the longest a timer keeps; 2^31 is refused for every time option', () => {
  assert.is(resolve({ electionTimeoutMs: MAX_TIMER_MS }).electionTimeoutMs, MAX_TIMER_MS);
  assert.is(resolve({ leaderWaitMs: MAX_TIMER_MS }).leaderWaitMs, MAX_TIMER_MS);
  assert.is(resolve({ requestTimeoutMs: MAX_TIMER_MS }).requestTimeoutMs, MAX_TIMER_MS);
  refused({ electionTimeoutMs: 2 ** 31 }, RangeError, 'electionTimeoutMs', String(2 ** 31));
  refused({ leaderWaitMs: 2 ** 31 }, RangeError, 'leaderWaitMs', String(2 ** 31));
  refused({ heartbeatMs: 2 ** 31, electionTimeoutMs: MAX_TIMER_MS }, RangeError, 'heartbeatMs', String(2 ** 31));
});

test('leaseDriftMargin: a fraction in [0, 1); NaN is refused, 0 accepted', () => {
  assert.is(resolve({ leaseDriftMargin: 0 }).leaseDriftMargin, 0);
  assert.is(resolve({ leaseDriftMargin: 0.99 }).leaseDriftMargin, 0.99);
  refused({ leaseDriftMargin: NaN }, RangeError, 'leaseDriftMargin', 'NaN');
  refused({ leaseDriftMargin: '0.1' as unknown as number }, TypeError, 'leaseDriftMargin', '"0.1"');
});

test('snapshotChunkBytes and maxBytesPerMessage: at most 32 MiB (half the gRPC frame)', () => {
  const max = 32 * 1024 * 1024;
  assert.is(resolve({ snapshotChunkBytes: max, maxBytesPerMessage: max }).snapshotChunkBytes, max);
  refused({ snapshotChunkBytes: max + 1 }, RangeError, 'snapshotChunkBytes', String(max + 1));
  refused({ maxBytesPerMessage: max + 1 }, RangeError, 'maxBytesPerMessage', String(max + 1));
});

test('walSegmentBytes: from 256 bytes to 1 GiB', () => {
  assert.is(resolve({ walSegmentBytes: 256 }).walSegmentBytes, 256);
  assert.is(resolve({ walSegmentBytes: 1024 ** 3 }).walSegmentBytes, 1024 ** 3);
  refused({ walSegmentBytes: 1024 ** 3 + 1 }, RangeError, 'walSegmentBytes', String(1024 ** 3 + 1));
  refused({ walSegmentBytes: 255 }, RangeError, 'walSegmentBytes', '255');
});

test('zero where the README gives it a meaning is accepted: cacheBytes 0 (no cache), snapshotEntryThreshold 0 (off), snapshotTrailingEntries 0, leaderWaitMs 0', () => {
  const o = resolve({ cacheBytes: 0, snapshotEntryThreshold: 0, snapshotTrailingEntries: 0, leaderWaitMs: 0 });
  assert.is(o.cacheBytes, 0);
  assert.is(o.snapshotEntryThreshold, 0);
  assert.is(o.snapshotTrailingEntries, 0);
  assert.is(o.leaderWaitMs, 0);
});

test('counts that must be at least 1 refuse 0: maxInflight, maxEntriesPerMessage, maxBytesPerMessage, snapshotChunkBytes, snapshotsKept', () => {
  for (const name of ['maxInflight', 'maxEntriesPerMessage', 'maxBytesPerMessage', 'snapshotChunkBytes', 'snapshotsKept']) {
    refused({ [name]: 0 }, RangeError, name, 'got 0');
    assert.is((resolve({ [name]: 1 }) as unknown as Record<string, unknown>)[name], 1, name);
  }
  refused({ snapshotsKept: 1001 }, RangeError, 'snapshotsKept', '1001');
});

test.run();
