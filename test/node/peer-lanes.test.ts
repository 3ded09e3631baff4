// PeerLanes (src/peer-lanes.ts): the steps of one peer run in the order they were queued, one at a
// time; a pending step of one peer holds no other peer; a failing step is reported and its lane
// goes on; busy and drained tell the Node when a peer's messages must queue and when stop() may
// close the snapshot store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerLanes } from '../../src/peer-lanes.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('the steps of one peer run one at a time, in the order they were queued', async () => {
  const lanes = new PeerLanes<number>(() => assert.unreachable('no step fails'));
  const events: string[] = [];
  const first = deferred();
  lanes.enqueue(1, async () => {
    events.push('a start');
    await first.promise;
    events.push('a end');
  });
  lanes.enqueue(1, async () => {
    events.push('b');
  });
  await settle();
  assert.equal(events, ['a start'], 'b waits for a');
  first.resolve();
  await settle();
  assert.equal(events, ['a start', 'a end', 'b']);
});

test("a pending step of one peer holds no other peer's steps", async () => {
  const lanes = new PeerLanes<number>(() => assert.unreachable('no step fails'));
  const events: string[] = [];
  const slow = deferred();
  lanes.enqueue(1, async () => {
    await slow.promise;
    events.push('peer 1');
  });
  lanes.enqueue(2, async () => {
    events.push('peer 2');
  });
  await settle();
  assert.equal(events, ['peer 2']);
  assert.ok(lanes.busy(1) && !lanes.busy(2), 'only the pending peer is busy');
  slow.resolve();
  await settle();
  assert.equal(events, ['peer 2', 'peer 1']);
});

test('busy while a step is queued or running, not once the lane ran dry', async () => {
  const lanes = new PeerLanes<number>(() => assert.unreachable('no step fails'));
  assert.not.ok(lanes.busy(1), 'an unused lane is not busy');
  const gate = deferred();
  lanes.enqueue(1, () => gate.promise);
  assert.ok(lanes.busy(1), 'busy as soon as a step is queued');
  gate.resolve();
  await settle();
  assert.not.ok(lanes.busy(1), 'not busy once its steps ran');
});

test('drained is undefined with no lane busy, and settles once every step queued so far ran', async () => {
  const lanes = new PeerLanes<number>(() => assert.unreachable('no step fails'));
  assert.is(lanes.drained(), undefined);
  const gates = [deferred(), deferred()];
  let ran = 0;
  lanes.enqueue(1, () => gates[0]!.promise.then(() => void ran++));
  lanes.enqueue(2, () => gates[1]!.promise.then(() => void ran++));
  let drained = false;
  void lanes.drained()!.then(() => (drained = true));
  gates[0]!.resolve();
  await settle();
  assert.not.ok(drained, 'not drained while peer 2 still runs');
  gates[1]!.resolve();
  await settle();
  assert.ok(drained && ran === 2, 'drained once both ran');
  assert.is(lanes.drained(), undefined);
});

test('a step that throws or rejects is reported, and the steps queued after it still run', async () => {
  const errors: string[] = [];
  const lanes = new PeerLanes<number>((err) => errors.push(err.message));
  const events: string[] = [];
  lanes.enqueue(1, async () => {
    throw new Error('read failed');
  });
  lanes.enqueue(1, () => Promise.reject('not an Error')); // a rejection that is no Error
  lanes.enqueue(1, async () => {
    events.push('after');
  });
  await settle();
  assert.equal(errors, ['read failed', 'not an Error'], 'each failure reported once, as an Error');
  assert.equal(events, ['after']);
  assert.not.ok(lanes.busy(1));
});

test.run();
