// The chaos run's "acknowledged writes survive" check (test/chaos/report.ts, acknowledgedCheck)
// on cases test/chaos/checks.test.ts does not cover. Written in a mutation review of the check:
// each case kills a plausible one-line bug that file let through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HistoryRecorder } from '../support/lincheck/index.js';
import { acknowledgedCheck } from './report.js';

const check = (h: HistoryRecorder, final: string | null | undefined) => acknowledgedCheck(h.events, { k: final });

test('a key whose final value could not be read fails the check', () => {
  const h = new HistoryRecorder();
  h.invoke(1, 'write', 'k', 'w1');
  h.ok(1);
  const r = check(h, undefined);
  assert.not.ok(r.pass);
  assert.match(r.details.join('\n'), /no final value could be read/);
});

test('a delete that certainly failed cannot explain a missing key (a lost acknowledged write)', () => {
  const h = new HistoryRecorder();
  h.invoke(1, 'write', 'k', 'w1');
  h.ok(1);
  h.invoke(2, 'append', 'k', '|a1');
  h.ok(2);
  h.invoke(3, 'delete', 'k');
  h.fail(3); // e.g. a refused connection: nothing was sent
  const r = check(h, null);
  assert.not.ok(r.pass, 'the acknowledged write and append are lost');
  // ... while a delete of unknown outcome can.
  const u = new HistoryRecorder();
  u.invoke(1, 'write', 'k', 'w1');
  u.ok(1);
  u.invoke(3, 'delete', 'k');
  u.info(3);
  assert.ok(check(u, null).pass);
});

test('an acknowledged CAS that the final value does not reflect is a lost write', () => {
  const h = new HistoryRecorder();
  h.invoke(1, 'write', 'k', 'w1');
  h.ok(1);
  h.invoke(2, 'cas', 'k', ['w1', 'c2']);
  h.ok(2);
  const r = check(h, 'w1');
  assert.not.ok(r.pass);
  assert.match(r.details.join('\n'), /the cas "c2".*began after "w1"/);
  assert.ok(check(h, 'c2').pass);
});

test('a base overwrite concurrent with an acknowledged append (it began first, returned after the append began) may have replaced it', () => {
  const h = new HistoryRecorder();
  h.invoke(1, 'write', 'k', 'w1');
  h.ok(1);
  h.invoke(3, 'write', 'k', 'w3'); // begins
  h.invoke(2, 'append', 'k', '|a1'); // begins while w3 is in flight
  h.ok(2);
  h.ok(3); // w3 returns after |a1 began: w3 may have applied after it
  const r = check(h, 'w3');
  assert.ok(r.pass, r.details.join('\n'));
  assert.ok(check(h, 'w3|a1').pass);
});

test('an overwrite of unknown outcome may apply at any time after its invoke, also long after its info', () => {
  const h = new HistoryRecorder();
  h.invoke(1, 'write', 'k', 'w1');
  h.ok(1);
  h.invoke(3, 'write', 'k', 'w3');
  h.info(3); // timed out; may still apply later
  h.invoke(2, 'append', 'k', '|a1');
  h.ok(2);
  const r = check(h, 'w3');
  assert.ok(r.pass, r.details.join('\n'));
  // An append of unknown outcome that surfaces after a later base is fine only if it could have
  // applied after that base began.
  const a = new HistoryRecorder();
  a.invoke(2, 'append', 'k', '|a1');
  a.info(2);
  a.invoke(1, 'write', 'k', 'w1');
  a.ok(1);
  assert.ok(check(a, 'w1|a1').pass, 'the unknown append may have applied after w1');
});

test('operations still outstanding at the end count as of unknown outcome', () => {
  const h = new HistoryRecorder();
  h.invoke(1, 'write', 'k', 'w1');
  h.ok(1);
  h.invoke(2, 'write', 'k', 'w2'); // never returns
  h.invoke(3, 'append', 'k', '|a3'); // never returns
  const r = check(h, 'w2|a3');
  assert.ok(r.pass, r.details.join('\n'));
  const d = new HistoryRecorder();
  d.invoke(1, 'write', 'k', 'w1');
  d.ok(1);
  d.invoke(2, 'delete', 'k'); // never returns
  assert.ok(check(d, null).pass);
});

test('a final value holding the token of an append that certainly failed is invented', () => {
  const h = new HistoryRecorder();
  h.invoke(1, 'write', 'k', 'w1');
  h.ok(1);
  h.invoke(2, 'append', 'k', '|a2');
  h.fail(2); // refused connection: nothing was sent
  const r = check(h, 'w1|a2');
  assert.not.ok(r.pass);
  assert.match(r.details.join('\n'), /no append that may have happened/);
});

test.run();
