// Regression (found in review; fixed). Before the fix: the hello's `from` address is only checked to be a non-empty string of <= 512 chars.
// A message on such a stream whose `from` id is not a member makes the node remember the id at
// that address (PeerAddresses.heardFrom) and dial it (GrpcTransport.setPeers), and setPeers
// throws on an address without ':' (splitHostPort). While that outsider is remembered, every
// updatePeers() throws; the one in the ticker (forgetSilentOutsiders, when another outsider is
// forgotten) is an uncaught exception in a setInterval callback: the process dies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { batch, hello, openStream, putGet, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(3);

const nodeMeta = (from: number, to: number) => ({ type: 'nodeMeta', from, to, term: 0, meta: '' });

test('a hello address without a port, then a message from a non-member id: the node keeps running', async () => {
  const target = cluster().nodes[1]!;
  const to = memberId(target.peerAddress);
  // Outsider A at a well-formed address: remembered, dialed, forgotten after 10 election timeouts (5 s).
  const a = openStream(target.peerAddress);
  a.write(hello('127.0.0.1:1'));
  a.write(batch([nodeMeta(1111, to)]));
  await sleep(1000);
  // Outsider B at "nocolon": refreshed every 500 ms so it outlives A.
  const b = openStream(target.peerAddress);
  b.write(hello('nocolon'));
  const refresh = setInterval(() => b.write(batch([nodeMeta(2222, to)])), 500);
  b.write(batch([nodeMeta(2222, to)]));
  try {
    await sleep(8000); // A is forgotten at ~5 s while B is still heard from
  } finally {
    clearInterval(refresh);
    a.close();
    b.close();
  }
  const out = target.output;
  assert.ok(target.running, `the node died:\n${out.slice(-3000)}`);
  const r = await putGet(target, 'after-bad-hello');
  assert.is(r.put, 200);
  assert.is(r.get, 200);
});

test.run();
