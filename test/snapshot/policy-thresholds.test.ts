// The policies fire at their documented thresholds (README:
// DefaultSync 900 s/1 change, 300 s/10, 60 s/10000; EveryX: every X if at least one change).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DefaultSync, EveryDay, EveryHour, EveryMinute, EverySecond, Never, CustomSync, checkPolicy } from '../../src/snapshot/policy.js';
import { SnapshotScheduler } from '../../src/snapshot/scheduler.js';

test('DefaultSync fires at 60 s with 10000 changes, 300 s with 10, 900 s with 1 — and not just before', () => {
  const cases: Array<[number, number, boolean]> = [
    [59_999, 10_000, false], [60_000, 10_000, true], [60_000, 9_999, false],
    [299_999, 10, false], [300_000, 10, true], [300_000, 9, false],
    [899_999, 1, false], [900_000, 1, true], [10_000_000, 0, false],
  ];
  for (const [ms, changes, due] of cases) {
    const s = new SnapshotScheduler(DefaultSync, { now: 0 });
    s.applied(changes);
    assert.is(s.due(ms), due, `${ms} ms, ${changes} changes`);
  }
});

test('EverySecond..EveryDay fire after their period with one change; Never never (but the entry threshold does)', () => {
  for (const [p, sec] of [[EverySecond, 1], [EveryMinute, 60], [EveryHour, 3600], [EveryDay, 86400]] as const) {
    const s = new SnapshotScheduler(p, { now: 1000 });
    assert.is(s.due(1000 + sec * 1000), false, `${p.name}: no change`);
    s.applied(1);
    assert.is(s.due(1000 + sec * 1000 - 1), false, `${p.name}: before its period`);
    assert.is(s.due(1000 + sec * 1000), true, `${p.name}: at its period`);
    s.taken(1000 + sec * 1000);
    assert.is(s.due(1000 + 3 * sec * 1000), false, `${p.name}: nothing since`);
  }
  const never = new SnapshotScheduler(Never, { now: 0, entryThreshold: 5 });
  never.applied(4);
  assert.is(never.due(1e12), false);
  never.applied(1);
  assert.is(never.due(0), true);
});

test('changes applied while a snapshot is written count toward the next one', () => {
  const s = new SnapshotScheduler(CustomSync([{ seconds: 0, changes: 3 }]), { now: 0 });
  s.applied(3);
  const covered = s.changes;
  s.applied(2); // while writing
  s.taken(10, covered);
  assert.is(s.changes, 2);
  assert.is(s.due(10), false);
  s.applied(1);
  assert.is(s.due(10), true);
});

test('malformed policies are refused (strings, empty rules, NaN/negative seconds, fractional changes)', () => {
  for (const bad of ['EverySecond', {}, { kind: 'rules', rules: [] }, { kind: 'rules', rules: [{ seconds: NaN, changes: 1 }] }, { kind: 'rules', rules: [{ seconds: -1, changes: 1 }] }, { kind: 'rules', rules: [{ seconds: 1, changes: 1.5 }] }, null]) {
    assert.throws(() => checkPolicy(bad));
  }
  assert.throws(() => CustomSync([]));
  assert.throws(() => CustomSync([{ seconds: Infinity, changes: 1 }]));
});

test.run();
