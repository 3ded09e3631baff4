// A link's reconnect backoff starts over once a stream is established (grpc-link.ts, onMetadata).
// Without the reset, a link that once backed off to maxMs waited maxMs after every later break,
// and no test noticed (a mutation review found it). Observed through the delays Backoff hands
// out, not through wall-clock time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Backoff } from '../../src/transport/backoff.js';
import { numbered, waitFor } from './fixtures.js';
import { freePort, makeNode, stopCreated } from './grpc-helpers.js';

test('after a stream is established, the next break waits at most initialMs again', async () => {
  const next = Backoff.prototype.next;
  const delays: number[] = [];
  Backoff.prototype.next = function (this: Backoff): number {
    const ms = next.call(this);
    delays.push(ms);
    return ms;
  };
  try {
    const bAddress = `127.0.0.1:${await freePort()}`;
    const a = makeNode({ backoff: { initialMs: 20, maxMs: 160, multiplier: 2, jitter: 0 } });
    await a.t.start();
    a.t.setPeers([bAddress]);
    a.t.send(bAddress, [numbered(1)]);
    await waitFor('the link to back off up to maxMs while the peer is down', () => delays.includes(160));

    const b = makeNode({ address: bAddress });
    await b.t.start();
    b.t.setPeers([a.t.address]);
    a.t.send(bAddress, [numbered(2)]);
    await waitFor('the stream to the peer', () => a.t.stats().peers[bAddress]?.connected === true);
    const seen = delays.length;

    await b.t.stop();
    await waitFor('the link to back off after the break', () => delays.length > seen);
    assert.is(delays[seen], 20, `the first delay after an established stream is initialMs (delays: ${delays.join(', ')})`);
  } finally {
    Backoff.prototype.next = next;
    await stopCreated();
  }
});

test.run();
