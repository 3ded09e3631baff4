// MembershipHistory.adoptedAfter: every configuration adopted since the one a driver saw last,
// not only the current one. A lagging follower appends a member's removal and its re-addition in
// one go; a driver that compared only the configurations before and after never saw the member
// leave (the node kept refusing the re-added member's new data directory: peer-incarnations.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapEntry, encodeConfChange, EntryType, MembershipHistory, type ConfChange, type Entry, type Membership } from '../../src/core/index.js';

const member = (id: number): Membership[number] => ({ id, role: 'voter', promote: false, context: `n${id}` });
const change = (index: number, cc: ConfChange): Entry => ({ index, term: 1, type: EntryType.ConfChange, data: encodeConfChange(cc) });
const ids = (list: Membership[]): number[][] => list.map((m) => m.map((x) => x.id));

test('membership adoptedAfter: a removal and a re-addition appended together are both adopted, oldest first', () => {
  const history = new MembershipHistory({ index: 0, membership: [] }, [bootstrapEntry([member(1), member(2), member(3)])]);
  const seen = history.current();
  history.onAppend([change(2, { type: 'remove', id: 3 }), change(3, { type: 'addLearner', id: 3, context: 'n3' })]);
  assert.equal(ids(history.adoptedAfter(seen, 1)), [[1, 2], [1, 2, 3]]);
  assert.equal(ids(history.adoptedAfter(history.current(), 1)), [[1, 2, 3]], 'nothing new: the current one');
});

test('membership adoptedAfter: a configuration rolled back with a truncated log is no longer held: those after the commit index are taken', () => {
  const history = new MembershipHistory({ index: 0, membership: [] }, [bootstrapEntry([member(1), member(2), member(3)])]);
  history.onAppend([change(2, { type: 'addLearner', id: 4, context: 'n4' })]);
  const seen = history.current();
  history.truncateAfter(1);
  history.onAppend([change(2, { type: 'remove', id: 3 }), change(3, { type: 'addLearner', id: 3, context: 'n3' })]);
  assert.equal(ids(history.adoptedAfter(seen, 1)), [[1, 2], [1, 2, 3]]);
  assert.equal(ids(history.adoptedAfter([], 3)), [[1, 2, 3]], 'all committed (a restart): the current one');
});

test.run();
