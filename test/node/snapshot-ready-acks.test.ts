// Mutation review of the Node's Ready handling for snapshot work (src/node.ts, handleReady's
// in-line branch): as on the main path, a follower's answers (snapshotResp, appendResp, voteResp)
// promise the Ready's state durable, so they leave only once its WAL write completed (thesis
// §10.2.1). The follower's WAL writes are slowed down (each held 30 ms) while it receives a
// snapshot in chunks; no answer of the follower may leave while one of its writes is in flight.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { WalStorage } from '../../src/storage.js';
import { TestCluster, followerBehindSnapshot, followerCatchesUp } from '../support/node-cluster.js';

const PROMISES = new Set(['snapshotResp', 'appendResp', 'voteResp']);

test("a follower receiving a snapshot sends its answers only after the Ready's WAL write completed", async () => {
  const c = new TestCluster(3, { snapshotTrailingEntries: 2, snapshotsKept: 1, walSegmentBytes: 1024, snapshotChunkBytes: 64, logLevel: 'silent' });
  const proto = WalStorage.prototype as unknown as { persist: (...args: unknown[]) => Promise<void> };
  const originalPersist = proto.persist;
  let watched: unknown;
  let inFlight = 0;
  const early: string[] = [];
  let answers = 0;
  proto.persist = function (this: unknown, ...args: unknown[]) {
    if (this !== watched) return originalPersist.apply(this, args);
    inFlight++;
    return new Promise<void>((resolve) => setTimeout(resolve, 30))
      .then(() => originalPersist.apply(this, args))
      .finally(() => inFlight--);
  };
  try {
    const { leader, lagging, unblock } = await followerBehindSnapshot(c);
    watched = (lagging as unknown as { storage: unknown }).storage;
    const transmit = c.network.transmit.bind(c.network);
    c.network.transmit = (from: string, to: string, messages: readonly Message[]): number => {
      if (from === lagging.address) {
        for (const m of messages) {
          if (!PROMISES.has(m.type)) continue;
          answers++;
          if (inFlight > 0) early.push(m.type);
        }
      }
      return transmit(from, to, messages);
    };
    unblock();
    await followerCatchesUp(c, leader, lagging);
    assert.ok(answers > 0, 'the follower answered');
    assert.equal(early, [], `answers sent while the follower's WAL write was in flight: ${early.join(', ')}`);
  } finally {
    proto.persist = originalPersist;
    await c.close();
  }
});

test.run();
