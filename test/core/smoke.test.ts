import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, voters, enc, dec } from '../support/raft-harness.js';
import { EntryType } from '../../src/core/index.js';

test('three nodes elect a leader and replicate a proposal to all of them', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  assert.is(h.node(1).raft.role, 'leader');
  const r = h.node(1).raft.propose(enc('hello'));
  assert.ok(r.ok);
  h.deliverAll();
  h.tickAll(); // a heartbeat carries the commit index to followers
  h.deliverAll();
  for (const n of h.nodes.values()) {
    const normal = n.applied.filter((e) => e.type === EntryType.Normal);
    assert.equal(normal.map((e) => dec(e.data)), ['hello'], `node ${n.id}`);
  }
});

test('ReadIndex on the leader resolves after one heartbeat round', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.deliverAll();
  h.node(1).raft.readIndex('r1');
  h.deliverAll();
  assert.equal(h.node(1).readStates.map((r) => r.context), ['r1']);
});

test.run();
