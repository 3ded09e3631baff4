// From a mutation review of the transport: an append's entries must follow prevIndex one by one, with terms that
// never go down, from prevTerm up to the message's own term. Each part of that check could be
// removed (the index check, the lower bound, the upper bound, or the running term) with every
// existing unit test passing; only a slow process-cluster test in test/input covered two of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { EntryType, type Message } from '../../src/core/messages.js';
import { decodeBatch, WireError } from '../../src/transport/wire.js';

const raw = (value: unknown): Buffer => new Packr({ useRecords: false }).pack(value);
const e = (index: number, term: number) => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index]) });
/** An append of term 7 after (10, 5). */
const append = (entries: unknown[]) => ({ type: 'append', from: 1, to: 2, term: 7, prevIndex: 10, prevTerm: 5, commit: 10, entries });

function refused(entries: unknown[], pattern: RegExp, what: string): void {
  assert.throws(() => decodeBatch(raw([append(entries)])), (err: Error) => err instanceof WireError && pattern.test(err.message), what);
}

test('well-formed appends pass: terms from prevTerm up to the message term, never down', () => {
  const ok = [[], [e(11, 5)], [e(11, 5), e(12, 6), e(13, 6), e(14, 7)], [e(11, 7), e(12, 7)]];
  for (const entries of ok) {
    const [m] = decodeBatch(raw([append(entries)])) as [Extract<Message, { type: 'append' }>];
    assert.equal(m.entries.map((x) => [x.index, x.term]), entries.map((x) => [x.index, x.term]));
  }
});

test('entries must start at prevIndex + 1 and not skip or repeat an index', () => {
  refused([e(12, 5)], /entries\[0\]\.index must be 11/, 'first entry after a gap');
  refused([e(10, 5)], /entries\[0\]\.index must be 11/, 'first entry at prevIndex');
  refused([e(11, 5), e(13, 5)], /entries\[1\]\.index must be 12/, 'a skipped index');
  refused([e(11, 5), e(11, 5)], /entries\[1\]\.index must be 12/, 'a repeated index');
});

test('an entry term below prevTerm is refused', () => {
  refused([e(11, 4)], /entries\[0\]\.term must be from 5/, 'first entry below prevTerm');
});

test("an entry term above the message's term is refused", () => {
  refused([e(11, 8)], /entries\[0\]\.term must be from 5 to the message's term 7, got 8/, 'first entry above');
  refused([e(11, 6), e(12, 9)], /entries\[1\]\.term must be from 6 to the message's term 7, got 9/, 'a later entry above');
});

test('terms never go down from one entry to the next, even while staying at or above prevTerm', () => {
  refused([e(11, 7), e(12, 6)], /entries\[1\]\.term must be from 7/, 'down from 7 to 6 (both >= prevTerm 5)');
  refused([e(11, 6), e(12, 7), e(13, 5)], /entries\[2\]\.term must be from 7/, 'down to prevTerm');
});

test.run();
