// A leader may write a corrupt snapshot again at the same index and term with another size, so
// index and term no longer name one file: a follower in the middle of receiving the old file
// answers offset 0 to a chunk of the new one instead of joining their bytes (regression, found
// in review: the chunk was stored, and the keeper's write past the old size stopped the node).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotMeta, SnapshotRequest } from '../../src/core/index.js';
import { enc, isolated, storageWithLog, voters } from '../support/raft-harness.js';

const m = voters(1, 2, 3);
const meta = (size: number): SnapshotMeta => ({ index: 5, term: 4, membership: m, size });
const chunk = (mt: SnapshotMeta, offset: number, data: Uint8Array): SnapshotRequest => ({
  type: 'snapshot', from: 2, to: 1, term: 5, meta: mt, offset, length: data.length, data, done: offset + data.length >= mt.size,
});

test('a chunk of the same index and term but another size (a replaced file) mid-transfer is not appended to the old file', () => {
  const { h, n } = isolated(m, 1, { checkQuorum: false }, storageWithLog(m, [1], { term: 5 }));
  h.process();
  h.take();
  n.raft.step(chunk(meta(8), 0, enc('AAAA'))); // old file: 8 bytes, first half
  const first = n.raft.ready();
  assert.equal(first.snapshotChunks.map((c) => c.offset), [0]);
  n.raft.advance(first);
  // The leader replaced its file (12 bytes now); a chunk of the new file at the follower's offset.
  n.raft.step(chunk(meta(12), 4, enc('BBBB')));
  const rd = n.raft.ready();
  assert.equal(rd.snapshotChunks.map((c) => [c.offset, c.meta.size]), [], 'bytes of another file are not appended (the keeper would write them past the old size: RangeError, fatal)');
  const resp = rd.messages.filter((x) => x.type === 'snapshotResp');
  assert.equal(resp.map((x) => x.type === 'snapshotResp' && x.nextOffset), [0], 'the follower asks for the new file from offset 0');
});

test.run();
