import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TermIndex } from '../../wal/term-index.js';

function build(first: number, terms: number[]): TermIndex {
  const index = new TermIndex();
  terms.forEach((term, k) => index.append(first + k, term));
  return index;
}

test('stores one run per term change', () => {
  const index = build(1, [1, 1, 1, 2, 2, 5, 5, 5, 5]);
  assert.is(index.runs, 3);
  assert.equal([1, 2, 3, 4, 5, 6, 9].map((i) => index.termOf(i)), [1, 1, 1, 2, 2, 5, 5]);
});

test('a million entries in a few terms take a few runs', () => {
  const index = new TermIndex();
  for (let i = 1; i <= 1_000_000; i++) index.append(i, 1 + Math.floor(i / 250_000));
  assert.is(index.runs, 5);
  assert.is(index.termOf(249_999), 1);
  assert.is(index.termOf(250_000), 2);
  assert.is(index.termOf(1_000_000), 5);
});

test('truncateAfter drops runs and parts of runs', () => {
  const index = build(10, [1, 1, 2, 2, 3, 3]);
  index.truncateAfter(12);
  assert.is(index.runs, 2);
  index.append(13, 7);
  assert.equal([10, 11, 12, 13].map((i) => index.termOf(i)), [1, 1, 2, 7]);
});

test('compactBefore keeps the run that covers the new first index', () => {
  const index = build(1, [1, 1, 2, 2, 3, 3]);
  index.compactBefore(4);
  assert.is(index.runs, 2);
  assert.equal([4, 5, 6].map((i) => index.termOf(i)), [2, 3, 3]);
  index.compactBefore(6);
  assert.is(index.runs, 1);
  assert.is(index.termOf(6), 3);
});

test.run();
