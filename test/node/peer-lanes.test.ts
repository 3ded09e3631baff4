// PeerLanes (src/peer-lanes.ts): a peer's batches are sent one at a time, in the order they were
// queued, the ones queued meanwhile gathered into one; a pending send of one peer holds no other
// peer; the gathered batch is bounded, its oldest items dropped; a failing send is reported and
// its lane goes on, even if the report throws; busy and drained tell the Node when a peer's
// messages must queue and when stop() may close the snapshot store; dropWhere takes back a peer's
// items not yet sent, pending or in the batch being sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerLanes } from '../../src/peer-lanes.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lanes whose sends are recorded (the items still wanted); a send whose first item is in `gates` waits for its gate. */
function recordingLanes(maxPending = 100, onError: (err: Error) => void = () => assert.unreachable('no send fails')) {
  const sent: Array<[number, string[]]> = [];
  const gates = new Map<string, Promise<void>>();
  const lanes = new PeerLanes<number, string>(
    async (peer, batch, wanted) => {
      const gate = gates.get(batch[0]!);
      if (gate) await gate;
      sent.push([peer, batch.filter(wanted)]);
    },
    onError,
    maxPending,
  );
  return { lanes, sent, gates };
}

test('a batch for a peer with nothing pending is sent at once', async () => {
  const { lanes, sent } = recordingLanes();
  lanes.enqueue(1, ['a', 'b']);
  await settle();
  assert.equal(sent, [[1, ['a', 'b']]]);
});

test("the batches queued while a peer's send is pending are sent after it, in order, gathered into one", async () => {
  const { lanes, sent, gates } = recordingLanes();
  const gate = deferred();
  gates.set('chunk', gate.promise);
  lanes.enqueue(1, ['chunk']);
  lanes.enqueue(1, ['hb1']);
  lanes.enqueue(1, ['vote', 'hb2']);
  await settle();
  assert.equal(sent, [], 'everything waits for the chunk');
  gate.resolve();
  await settle();
  assert.equal(sent, [
    [1, ['chunk']],
    [1, ['hb1', 'vote', 'hb2']],
  ]);
});

test("a pending send of one peer holds no other peer's batches", async () => {
  const { lanes, sent, gates } = recordingLanes();
  const gate = deferred();
  gates.set('slow', gate.promise);
  lanes.enqueue(1, ['slow']);
  lanes.enqueue(2, ['fast']);
  await settle();
  assert.equal(sent, [[2, ['fast']]]);
  assert.ok(lanes.busy(1) && !lanes.busy(2), 'only the pending peer is busy');
  gate.resolve();
  await settle();
  assert.equal(sent, [
    [2, ['fast']],
    [1, ['slow']],
  ]);
});

test('the batch gathered behind a pending send keeps only its newest items past the bound, and counts the dropped', async () => {
  const { lanes, sent, gates } = recordingLanes(3);
  const gate = deferred();
  gates.set('chunk', gate.promise);
  lanes.enqueue(1, ['chunk']);
  for (let i = 1; i <= 5; i++) lanes.enqueue(1, [`hb${i}`]);
  lanes.enqueue(1, ['vote', 'hb6']);
  gate.resolve();
  await settle();
  assert.equal(sent, [
    [1, ['chunk']],
    [1, ['hb5', 'vote', 'hb6']],
  ]);
  assert.is(lanes.dropped, 4);
});

test("dropWhere takes back a peer's matching items not yet sent: the pending ones at once, the sending batch's when it asks", async () => {
  const { lanes, sent, gates } = recordingLanes();
  const gate = deferred();
  gates.set('chunk', gate.promise);
  lanes.enqueue(1, ['chunk', 'hb0']);
  lanes.enqueue(1, ['hb1', 'vote']);
  lanes.enqueue(2, ['hb2']);
  assert.is(lanes.dropWhere(1, (item) => item.startsWith('hb')), 1, 'one pending item dropped');
  assert.is(lanes.dropWhere(3, () => true), 0, 'a peer without a lane has nothing to drop');
  lanes.enqueue(1, ['hb3']); // queued after the drop: it goes
  gate.resolve();
  await settle();
  assert.equal(sent, [
    [2, ['hb2']],
    [1, ['chunk']],
    [1, ['vote', 'hb3']],
  ]);
  assert.is(lanes.dropped, 1);
});

test('what dropWhere took back from one batch does not touch the next batch', async () => {
  const { lanes, sent, gates } = recordingLanes();
  const first = deferred();
  const second = deferred();
  gates.set('chunk1', first.promise);
  gates.set('chunk2', second.promise);
  lanes.enqueue(1, ['chunk1', 'hb1']);
  lanes.enqueue(1, ['chunk2', 'hb2']);
  lanes.dropWhere(1, (item) => item === 'hb1');
  first.resolve();
  await settle();
  lanes.enqueue(1, ['hb1']); // an item like the one taken back, queued anew behind chunk2
  second.resolve();
  await settle();
  await settle();
  assert.equal(sent, [
    [1, ['chunk1']],
    [1, ['chunk2', 'hb2']],
    [1, ['hb1']],
  ]);
});

test('busy while a send is pending, not once the lane ran dry', async () => {
  const { lanes, gates } = recordingLanes();
  assert.not.ok(lanes.busy(1), 'an unused lane is not busy');
  const gate = deferred();
  gates.set('x', gate.promise);
  lanes.enqueue(1, ['x']);
  assert.ok(lanes.busy(1), 'busy as soon as a batch is queued');
  gate.resolve();
  await settle();
  assert.not.ok(lanes.busy(1), 'not busy once its batches were sent');
});

test('drained is undefined with no lane busy, and settles once every batch queued so far was sent', async () => {
  const { lanes, sent, gates } = recordingLanes();
  assert.is(lanes.drained(), undefined);
  const gate1 = deferred();
  const gate2 = deferred();
  gates.set('p1', gate1.promise);
  gates.set('p2', gate2.promise);
  lanes.enqueue(1, ['p1']);
  lanes.enqueue(2, ['p2']);
  lanes.enqueue(1, ['after p1']);
  let drained = false;
  void lanes.drained()!.then(() => (drained = true));
  gate1.resolve();
  await settle();
  assert.not.ok(drained, 'not drained while peer 2 still sends');
  gate2.resolve();
  await settle();
  assert.ok(drained, 'drained once both lanes ran dry');
  assert.is(sent.length, 3);
  assert.is(lanes.drained(), undefined);
});

test('a send that throws or rejects is reported, and the batches queued after it still go', async () => {
  const errors: string[] = [];
  const sent: string[][] = [];
  const gate = deferred();
  const lanes = new PeerLanes<number, string>(
    async (_peer, batch) => {
      if (batch[0] === 'first') await gate.promise;
      if (batch[0] === 'first') throw new Error('read failed');
      sent.push(batch);
    },
    (err) => errors.push(err.message),
    100,
  );
  lanes.enqueue(1, ['first']);
  lanes.enqueue(1, ['second']);
  gate.resolve();
  await settle();
  assert.equal(errors, ['read failed']);
  assert.equal(sent, [['second']]);
  const rejecting = new PeerLanes<number, string>(() => Promise.reject('not an Error'), (err) => errors.push(`${err.constructor.name}: ${err.message}`), 100);
  rejecting.enqueue(1, ['x']);
  await settle();
  assert.equal(errors[1], 'Error: not an Error', 'a rejection that is no Error is reported as one');
  assert.not.ok(lanes.busy(1) || rejecting.busy(1));
});

test('a report that throws does not stop the lane', async () => {
  const sent: string[][] = [];
  const lanes = new PeerLanes<number, string>(
    async (_peer, batch) => {
      if (batch[0] === 'bad') throw new Error('read failed');
      sent.push(batch);
    },
    () => {
      throw new Error('the logger threw');
    },
    100,
  );
  lanes.enqueue(1, ['bad']);
  lanes.enqueue(1, ['good']);
  await settle();
  assert.equal(sent, [['good']]);
  assert.not.ok(lanes.busy(1));
  assert.is(lanes.drained(), undefined);
});

test.run();
