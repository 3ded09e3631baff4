// Regression (found in review; fixed). Before the fix: InboundStreams answers every ping with call.write(pong) and never looks at
// backpressure. A client that sends pings and never reads the pongs makes the node queue every
// pong in memory (HTTP/2 flow control stops the bytes on the wire, not the writes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http2 from 'node:http2';
import { PEER_STREAM_PATH } from '../../src/transport/grpc-service.js';
import { hello, putGet, rssBytes, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(1);

const PINGS = 2_000_000;

test(`${PINGS} pings whose pongs are never read: memory stays bounded`, async () => {
  const node = cluster().nodes[0]!;
  const pid = node.child!.pid!;
  const rss0 = await rssBytes(pid);
  const session = http2.connect(`http://${node.peerAddress}`, { settings: { initialWindowSize: 65535 } });
  session.on('error', () => {});
  const req = session.request({ ':method': 'POST', ':path': PEER_STREAM_PATH, 'content-type': 'application/grpc', te: 'trailers' });
  req.on('error', () => {});
  req.pause(); // never read: the pongs pile up on the node
  const h = hello('pinger:1');
  const msg = (payload: Buffer): Buffer => {
    const b = Buffer.alloc(5 + payload.length);
    b.writeUInt32BE(payload.length, 1);
    payload.copy(b, 5);
    return b;
  };
  req.write(msg(h));
  const ping = msg(Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0]));
  const block = Buffer.concat(Array.from({ length: 10_000 }, () => ping));
  for (let i = 0; i < PINGS / 10_000; i++) {
    if (!req.write(block)) await new Promise((resolve) => req.once('drain', resolve));
  }
  await sleep(4000);
  const rss1 = await rssBytes(pid);
  const grown = Math.round((rss1 - rss0) / 2 ** 20);
  console.log(`client sent ${Math.round((PINGS * ping.length) / 2 ** 20)} MiB of pings; node rss +${grown} MiB`);
  const r = await putGet(node, 'after-pings');
  session.destroy();
  assert.is(r.put, 200);
  assert.ok(grown < 100, `node memory grew by ${grown} MiB for unread pongs`);
});

test.run();
