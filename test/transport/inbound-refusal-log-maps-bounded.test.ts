// From a mutation review of the transport: the maps that rate-limit refusal log lines stay bounded however many
// distinct refusals and hosts there are. The key of the first map is what the peer claims (its
// hello address), so a dialer that varies it at every dial adds one key per stream; with the
// clear-at-1000 removed every existing test passed while the map grew without bound.
// Drives InboundStreams.handle with stand-in streams (no sockets) and reads its private maps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { helloFrame, PROTOCOL_VERSION } from '../../src/transport/frame.js';
import { InboundStreams } from '../../src/transport/grpc-inbound.js';
import { StatsBook } from '../../src/transport/stats.js';
import { CollectingLogger, fakeCall } from './fixtures.js';

test('refusals from thousands of claimed addresses and hosts keep both log-limit maps at most 1000 entries', () => {
  const logger = new CollectingLogger();
  const inbound = new InboundStreams({ clusterId: 'mine', fingerprint: () => undefined, onFingerprint: () => {}, mayTeachFingerprint: () => false, logger, logPrefix: 'test', book: new StatsBook(), deliver: () => assert.unreachable('nothing is delivered') });
  const internals = inbound as unknown as { lastLogged: Map<string, number>; hostLogged: Map<string, unknown> };
  for (let i = 0; i < 3000; i++) {
    const call = fakeCall(`10.${(i >> 8) & 255}.${i & 255}.1:${40000 + (i % 1000)}`);
    inbound.handle(call as never);
    call.emit('data', helloFrame({ version: PROTOCOL_VERSION, clusterId: 'theirs', address: `10.9.9.9:${1 + i}` }));
    assert.ok(internals.lastLogged.size <= 1000, `lastLogged holds ${internals.lastLogged.size} keys after ${i + 1} refusals`);
    assert.ok(internals.hostLogged.size <= 1000, `hostLogged holds ${internals.hostLogged.size} hosts after ${i + 1} refusals`);
  }
  assert.ok(logger.matching('belongs to cluster "theirs"').length > 0, 'the refusals were logged');
  inbound.closeAll();
});

test.run();
