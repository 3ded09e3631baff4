// From a mutation review of the proposer's session id (src/proposer-session.ts) and the ring of recently
// applied outcomes (src/recent-applied.ts): a session id draws the 48 random bits the README
// promises (two nodes drawing the same id would have each other's proposals skipped as copies),
// and the ring remembers and finds entries at log indices past 2^31 and 2^32 (reached by a
// long-lived cluster: 2^32 entries are five days at 10,000 writes/s).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProposerSession } from '../../src/proposer-session.js';
import { RecentApplied } from '../../src/recent-applied.js';

test('proposer session: ids are distinct 48-bit safe integers, using the high bits too', () => {
  const ids = Array.from({ length: 64 }, () => new ProposerSession().session);
  for (const id of ids) assert.ok(Number.isSafeInteger(id) && id >= 0 && id < 2 ** 48, `id ${id}`);
  assert.is(new Set(ids).size, ids.length, 'no two sessions share an id');
  // Each id is below 2^32 with probability 2^-16: all 64 of them, 2^-1024.
  assert.ok(
    ids.some((id) => id >= 2 ** 32),
    'some id uses bits above 32',
  );
});

test('recent applied: indices past 2^31 and 2^32 are remembered and found, and displaced in turn', () => {
  for (const base of [2 ** 31 - 4, 2 ** 32 - 4, 2 ** 40 + 1, 2 ** 53 - 20]) {
    const ring = new RecentApplied(8);
    for (let i = base; i < base + 12; i++) ring.remember(i, { term: 3, result: i, error: undefined });
    for (let i = base + 4; i < base + 12; i++) assert.is(ring.get(i)?.result, i, `index ${i}`);
    for (let i = base; i < base + 4; i++) assert.is(ring.get(i), undefined, `index ${i} was displaced`);
    assert.is(ring.get(base + 12), undefined, 'an index not applied yet');
  }
});

test.run();
