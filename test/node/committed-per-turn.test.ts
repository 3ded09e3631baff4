// The run loop applies at most 4096 committed entries per turn of the event loop. The core's cap
// (maxCommittedEntriesPerReady) splits a replay into Readys of 4096, but pump() handled Ready after
// Ready in one loop whose awaits settle as microtasks, so a restart over many entries still held
// the event loop for the whole replay (found in review). A one-member node restarts over 13,000
// entries; the committed entries applied per turn of the event loop are counted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Raft, type Ready } from '../../src/core/index.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

const ENTRIES = 13_000;

/** Turn of the event loop: bumped by a self-rearming setImmediate (once per loop iteration). */
let turn = 0;
let ticking = true;
function bump(): void {
  turn++;
  if (ticking) setImmediate(bump);
}

test('a restart replaying 13,000 committed entries applies at most 4096 of them per turn of the event loop', async () => {
  const c = new TestCluster(1, { logLevel: 'silent', requestTimeoutMs: 30_000 });
  const perTurn = new Map<number, number>();
  const origReady = Raft.prototype.ready;
  const origLight = Raft.prototype.readyLight;
  let recording = false;
  // Per turn, when its first and last Readys with committed entries were taken (ms).
  const spans = new Map<number, [number, number]>();
  const record = (rd: Ready): Ready => {
    if (recording && rd.committed.length > 0) {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + rd.committed.length);
      const now = performance.now();
      spans.set(turn, [spans.get(turn)?.[0] ?? now, now]);
    }
    return rd;
  };
  try {
    const address = c.addresses[0]!;
    const first = await c.start(address);
    await c.waitLeader();
    for (let i = 0; i < ENTRIES; i += 1000) {
      await Promise.all(Array.from({ length: 1000 }, (_, j) => first.do(new SetCommand(`k${(i + j) % 50}`, `${i + j}`))));
    }
    await c.stop(address);
    Raft.prototype.ready = function (this: Raft) {
      return record(origReady.call(this));
    };
    Raft.prototype.readyLight = function (this: Raft) {
      return record(origLight.call(this));
    };
    recording = true;
    setImmediate(bump);
    const node = await c.start(address);
    await c.waitFor(() => node.status().appliedIndex >= ENTRIES, 20_000, 'the replay');
    recording = false;
    const total = [...perTurn.values()].reduce((a, b) => a + b, 0);
    const [maxTurn, max] = [...perTurn].reduce((a, b) => (b[1] > a[1] ? b : a));
    const [from, to] = spans.get(maxTurn)!;
    assert.ok(total >= ENTRIES, `replayed ${total}`);
    assert.ok(max <= 4096, `${max} committed entries handed out in one turn of the event loop, over ${(to - from).toFixed(0)} ms with no setImmediate between them (entries per turn: ${JSON.stringify([...perTurn])})`);
  } finally {
    ticking = false;
    Raft.prototype.ready = origReady;
    Raft.prototype.readyLight = origLight;
    await c.close();
  }
});

test.run();
