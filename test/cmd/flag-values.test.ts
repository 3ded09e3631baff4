// From a mutation review of cmd/flags.ts: each numeric flag's accepted range and syntax, at its
// boundaries. Every one of these checks could be weakened without any other test failing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags, type ServerConfig } from '../../cmd/flags.js';
import { flagError } from './flag-error.js';

function config(args: string[]): ServerConfig {
  const c = parseFlags(args);
  assert.ok(c !== 'help');
  return c;
}

test('--port and --http-port: whole decimal numbers from 1 to 65535', () => {
  assert.is(config(['--port', '1', '--http-port', '2']).port, 1);
  assert.is(config(['--port', '65535', '--http-port', '8080']).port, 65535);
  assert.is(config(['--port', '9001', '--http-port', '65535']).httpPort, 65535);
  for (const bad of ['0', '65536', '0x10', '1e3', '80.0', ' 80', '-1', '']) {
    assert.is(flagError([`--port=${bad}`, '--http-port', '8080']), `--port: expected a port from 1 to 65535, got ${JSON.stringify(bad)}`, bad);
    assert.is(flagError([`--http-port=${bad}`]), `--http-port: expected a port from 1 to 65535, got ${JSON.stringify(bad)}`, bad);
  }
});

test('whole-number flags (--snapshot-trailing-entries) take 0 and up in plain decimal digits, no sign, fraction, exponent or imprecise number', () => {
  assert.is(config(['--snapshot-trailing-entries', '0']).snapshotTrailingEntries, 0);
  assert.is(config(['--snapshot-trailing-entries', '250']).snapshotTrailingEntries, 250);
  for (const bad of ['-1', '1.5', '1e3', '0x10', '99999999999999999999']) {
    assert.is(flagError([`--snapshot-trailing-entries=${bad}`]), `--snapshot-trailing-entries: expected a whole number, got ${JSON.stringify(bad)}`, bad);
  }
});

test('sizes: B, KB (1000), KiB (1024), MB, MiB; from 1 byte to 256MiB', () => {
  assert.is(config(['--max-value-bytes', '64KiB']).maxValueBytes, 65536);
  assert.is(config(['--max-value-bytes', '3KB']).maxValueBytes, 3000);
  assert.is(config(['--max-value-bytes', '2MB']).maxValueBytes, 2_000_000);
  assert.is(config(['--max-value-bytes', '2MiB']).maxValueBytes, 2 * 1024 * 1024);
  assert.is(config(['--max-value-bytes', '1']).maxValueBytes, 1);
  assert.is(config(['--max-value-bytes', '7B']).maxValueBytes, 7);
  assert.is(flagError(['--max-value-bytes', '0']), '--max-value-bytes: must be between 1 byte and 256MiB, got "0"');
  assert.is(config(['--wal-segment-bytes', '256MiB']).walSegmentBytes, 256 * 1024 * 1024);
  assert.is(flagError(['--wal-segment-bytes', '268435457']), '--wal-segment-bytes: must be between 1 byte and 256MiB, got "268435457"');
  assert.is(flagError(['--wal-segment-bytes', '1GiB']), '--wal-segment-bytes: expected a size like 1048576, 64KiB or 1MiB, got "1GiB"');
});

test('--max-value-bytes: 59MiB exactly is the most (one byte more is refused)', () => {
  assert.is(config(['--max-value-bytes', String(59 * 1024 * 1024)]).maxValueBytes, 59 * 1024 * 1024);
  assert.match(flagError(['--max-value-bytes', String(59 * 1024 * 1024 + 1)]), /^--max-value-bytes: at most 59MiB/);
  assert.match(flagError(['--max-value-bytes', '60MiB']), /^--max-value-bytes: at most 59MiB/);
});

test('--wal-segment-bytes: at least 256 bytes', () => {
  assert.is(config(['--wal-segment-bytes', '256']).walSegmentBytes, 256);
  assert.is(flagError(['--wal-segment-bytes', '255']), '--wal-segment-bytes: must be at least 256 bytes, got "255"');
});

test('--snapshots-kept: at most 1000', () => {
  assert.is(config(['--snapshots-kept', '1000']).snapshotsKept, 1000);
  assert.is(flagError(['--snapshots-kept', '1001']), '--snapshots-kept: must be from 1 to 1000, got "1001"');
});

test('--gc-heap-growth: a percent from 0 to 1000, default 100', () => {
  assert.is(config([]).gcHeapGrowthPercent, 100);
  assert.is(config(['--gc-heap-growth', '0']).gcHeapGrowthPercent, 0);
  assert.is(config(['--gc-heap-growth', '1000']).gcHeapGrowthPercent, 1000);
  assert.is(flagError(['--gc-heap-growth', '1001']), '--gc-heap-growth: must be a percent from 0 to 1000, got "1001"');
  assert.is(flagError(['--gc-heap-growth=-5']), '--gc-heap-growth: expected a whole number, got "-5"');
});

test.run();
