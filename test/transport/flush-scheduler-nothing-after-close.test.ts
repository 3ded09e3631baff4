// From a mutation review of the transport: close() cancels flushes for good. The existing test covered
// schedule() after close, not scheduleWithin() after close (a timer armed on a stopped transport
// that then flushed) nor flushNow() after close (Transport.flush() on a stopped transport, which
// flushed keys marked before the close).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlushScheduler } from '../../src/transport/flush-scheduler.js';
import { sleep } from './fixtures.js';

test('scheduleWithin() after close() never flushes', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  s.close();
  s.scheduleWithin('a', 1);
  await sleep(40);
  assert.equal(flushed, []);
});

test('flushNow() after close() flushes nothing marked before the close', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  s.schedule('a');
  s.close();
  s.flushNow();
  await sleep(10);
  assert.equal(flushed, []);
});

test.run();
