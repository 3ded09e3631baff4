// From a mutation review of the key-value snapshot writer (src/kv/snapshot.ts, write): two rules of a
// save into a slow writable (a disk, a socket) that no test checked, each shown by a mutant that
// passed every other test:
// - save honours backpressure: it waits for 'drain' when write() returns false, so the writable
//   holds about one ~256 KiB batch, not the whole state (mutant: `w.write(chunk); return;` — a
//   multi-GB store is copied into the stream's buffer at once);
// - each wait for 'drain' removes the listeners it added (mutant: the `w.off(...)` calls dropped —
//   every wait leaves an 'error' and a 'close' listener behind, and a save of more than ~2.5 MB
//   prints MaxListenersExceededWarning).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { KvStore } from '../../src/kv/index.js';
import { saveKv } from '../../src/kv/snapshot.js';

/** About 4 MiB over 4,000 keys: 16 writes of ~256 KiB. */
function bigStore(): KvStore {
  const s = new KvStore();
  for (let i = 0; i < 4000; i++) s.set(`k${i}`, Buffer.alloc(1024, i & 0xff));
  return s;
}

/** A writable taking one turn of the event loop per chunk; records the most it ever held buffered. */
function slowWritable(): { w: Writable; maxBuffered: () => number; received: () => number } {
  let max = 0;
  let received = 0;
  const w = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      max = Math.max(max, this.writableLength);
      received += chunk.length;
      setImmediate(cb);
    },
  });
  return { w, maxBuffered: () => max, received: () => received };
}

test('save honours backpressure: the writable never holds much more than one batch of records', async () => {
  const store = bigStore();
  const { w, maxBuffered, received } = slowWritable();
  await saveKv(store, w);
  assert.ok(received() > 4000 * 1024, `everything was written (${received()} bytes)`);
  assert.ok(maxBuffered() < 512 * 1024, `at most ${maxBuffered()} bytes were buffered in the writable at once (the whole snapshot is ${received()})`);
});

test('each wait for drain removes its listeners: none pile up on the writable, and no MaxListenersExceededWarning', async () => {
  const store = bigStore();
  const { w } = slowWritable();
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning.name);
  };
  process.on('warning', onWarning);
  try {
    await saveKv(store, w);
    assert.is(w.listenerCount('drain'), 0, "'drain' listeners left");
    assert.ok(w.listenerCount('error') <= 1, `${w.listenerCount('error')} 'error' listeners left after the save`);
    assert.ok(w.listenerCount('close') <= 1, `${w.listenerCount('close')} 'close' listeners left after the save`);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    assert.not.ok(warnings.includes('MaxListenersExceededWarning'), `warnings: ${warnings.join(', ')}`);
  } finally {
    process.off('warning', onWarning);
  }
});

test.run();
