// Found in a user trial: a joiner given raft-node's HTTP port as its seed logged only "UNAVAILABLE:
// … Protocol error" (grpc-js's words for a peer that does not speak HTTP/2). The warning now says
// what answers there. Mutant: notPeerHint answering ''.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from './fixtures.js';
import { makeNode, stopCreated } from './grpc-helpers.js';

test('a peer address where an HTTP/1 server answers: the warning says it does not speak the peer protocol', async () => {
  const http = createServer((_req, res) => res.end('not a peer'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    const n = makeNode();
    await n.t.start();
    n.t.setPeers([address]);
    n.t.send(address, [{ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0, round: 0 }]);
    await waitFor("the warning", () => n.logger.lines.some((l) => l.includes(`cannot open stream to ${address}`)));
    const line = n.logger.lines.find((l) => l.includes(`cannot open stream to ${address}`))!;
    assert.match(line, /does not speak the peer protocol answers there — an HTTP\/1 server \(raft-node's HTTP API port/);
  } finally {
    await stopCreated();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
});

test.run();
