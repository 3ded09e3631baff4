// Snapshot policies and the scheduler, driven by an injected clock (milliseconds).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CustomSync, DefaultSync, EveryDay, EveryHour, EveryMinute, EverySecond, Never } from '../../src/snapshot/policy.js';
import { SnapshotScheduler } from '../../src/snapshot/scheduler.js';

const S = 1000;
const T0 = 1_700_000_000_000;

test('Never: not due however many changes and however long', () => {
  const s = new SnapshotScheduler(Never, { now: T0 });
  s.applied(1_000_000);
  assert.not.ok(s.due(T0 + 365 * 86400 * S));
});

test('EverySecond / EveryMinute / EveryHour / EveryDay: due once the interval passed with at least one change', () => {
  for (const [policy, seconds] of [
    [EverySecond, 1],
    [EveryMinute, 60],
    [EveryHour, 3600],
    [EveryDay, 86400],
  ] as const) {
    const s = new SnapshotScheduler(policy, { now: T0 });
    assert.not.ok(s.due(T0 + 10 * seconds * S), `${policy.name}: no change, not due`);
    s.applied(1);
    assert.not.ok(s.due(T0 + seconds * S - 1), `${policy.name}: 1 ms early`);
    assert.ok(s.due(T0 + seconds * S), `${policy.name}: interval passed`);
    s.taken(T0 + seconds * S);
    assert.is(s.changes, 0);
    assert.not.ok(s.due(T0 + 3 * seconds * S), `${policy.name}: nothing changed since the snapshot`);
    s.applied(5);
    assert.not.ok(s.due(T0 + 2 * seconds * S - 1), `${policy.name}: the interval counts from the last snapshot`);
    assert.ok(s.due(T0 + 2 * seconds * S));
  }
});

test('DefaultSync rule 1: 900 s and 1 change', () => {
  const s = new SnapshotScheduler(DefaultSync, { now: T0 });
  s.applied(1);
  assert.not.ok(s.due(T0 + 899 * S));
  assert.ok(s.due(T0 + 900 * S));
});

test('DefaultSync rule 2: 300 s and 10 changes', () => {
  const s = new SnapshotScheduler(DefaultSync, { now: T0 });
  s.applied(9);
  assert.not.ok(s.due(T0 + 300 * S), '9 changes are not enough at 300 s');
  s.applied(1);
  assert.not.ok(s.due(T0 + 299 * S));
  assert.ok(s.due(T0 + 300 * S));
});

test('DefaultSync rule 3: 60 s and 10000 changes', () => {
  const s = new SnapshotScheduler(DefaultSync, { now: T0 });
  s.applied(9999);
  assert.not.ok(s.due(T0 + 60 * S), '9999 changes are not enough at 60 s');
  assert.not.ok(s.due(T0 + 299 * S));
  s.applied(1);
  assert.not.ok(s.due(T0 + 59 * S));
  assert.ok(s.due(T0 + 60 * S));
});

test('CustomSync: any rule suffices; malformed rules are refused', () => {
  const policy = CustomSync([
    { seconds: 10, changes: 3 },
    { seconds: 2, changes: 100 },
  ]);
  const s = new SnapshotScheduler(policy, { now: T0 });
  s.applied(3);
  assert.not.ok(s.due(T0 + 9 * S));
  assert.ok(s.due(T0 + 10 * S));
  s.taken(T0 + 10 * S);
  s.applied(100);
  assert.not.ok(s.due(T0 + 11 * S));
  assert.ok(s.due(T0 + 12 * S));
  assert.throws(() => CustomSync([]), RangeError);
  assert.throws(() => CustomSync([{ seconds: -1, changes: 1 }]), RangeError);
  assert.throws(() => CustomSync([{ seconds: 1, changes: 0 }]), RangeError);
  assert.throws(() => CustomSync([{ seconds: 1, changes: 1.5 }]), RangeError);
});

test('entry threshold: due at that many changes whatever the time, also under Never', () => {
  for (const policy of [Never, DefaultSync]) {
    const s = new SnapshotScheduler(policy, { now: T0, entryThreshold: 500 });
    s.applied(499);
    assert.not.ok(s.due(T0), `${policy.name}: 499`);
    s.applied(1);
    assert.ok(s.due(T0), `${policy.name}: 500 at once`);
    s.taken(T0);
    assert.not.ok(s.due(T0));
  }
  assert.throws(() => new SnapshotScheduler(Never, { now: T0, entryThreshold: -1 }), RangeError);
});

test('taken(now, covered): changes applied while the snapshot was written count toward the next one', () => {
  const s = new SnapshotScheduler(Never, { now: T0, entryThreshold: 10 });
  s.applied(10);
  assert.ok(s.due(T0));
  const covered = s.changes;
  s.applied(4); // while the snapshot is being written
  s.taken(T0 + S, covered);
  assert.is(s.changes, 4);
  assert.is(s.lastSnapshotAt, T0 + S);
  s.applied(6);
  assert.ok(s.due(T0 + S));
});

test('a clock that goes backwards does not make a rule due', () => {
  const s = new SnapshotScheduler(EverySecond, { now: T0 });
  s.applied(1);
  assert.not.ok(s.due(T0 - 5 * S));
});

test('policies are frozen data', () => {
  assert.ok(Object.isFrozen(DefaultSync));
  assert.equal(DefaultSync.kind === 'rules' ? DefaultSync.rules : [], [
    { seconds: 900, changes: 1 },
    { seconds: 300, changes: 10 },
    { seconds: 60, changes: 10000 },
  ]);
});

test.run();
