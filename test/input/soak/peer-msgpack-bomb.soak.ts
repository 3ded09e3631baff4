// Regression (found in review; fixed). Before the fix: grpc-js accepts frames up to MAX_FRAME_BYTES (64 MiB) from anyone, and the hello (before
// any check of cluster id or version) and every batch are decoded whole by msgpackr before
// validation. One byte 0x80 decodes to an empty object ({}): about 75 bytes of heap per input
// byte. A single 64 MiB hello frame — an array32 of 64M empty maps — needs ~5 GB of heap, past
// V8's default limit (~4 GB here): the process dies with "JavaScript heap out of memory".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStream, putGet, rssBytes, sleep, within, sharedCluster } from '../peer-client.js';

const cluster = sharedCluster(1);

function bombFrame(kind: number, bytes: number): Buffer {
  const n = bytes - 6;
  const frame = Buffer.alloc(bytes, 0x80); // fixmap, 0 entries
  frame[0] = kind;
  frame[1] = 0xdd; // array32
  frame.writeUInt32BE(n, 2);
  return frame;
}

test('one 64 MiB hello of empty maps (no valid hello needed): the node refuses it and keeps running', async () => {
  const node = cluster().nodes[0]!;
  const pid = node.child!.pid!;
  const rss0 = await rssBytes(pid);
  const s = openStream(node.peerAddress);
  s.write(bombFrame(1, 64 * 1024 * 1024 - 64));
  let peak = rss0;
  const sampler = setInterval(() => void rssBytes(pid).then((r) => (peak = Math.max(peak, r)), () => {}), 500);
  const status = await within(s.status, 120_000);
  clearInterval(sampler);
  s.close();
  await sleep(1000);
  const died = !node.running;
  console.log(`stream status: ${status ? `${status.code} ${status.details}` : 'none within 90 s'}; rss before ${Math.round(rss0 / 2 ** 20)} MiB, peak ${Math.round(peak / 2 ** 20)} MiB; died: ${died}`);
  assert.ok(!died, `the node died:\n${node.output.slice(-1500)}`);
  const r = await putGet(node, 'after-bomb').catch((err: Error) => ({ put: `${err.message}; running: ${node.running}; output: ${node.output.slice(-800)}`, get: 0, text: '' }));
  assert.is(r.put, 200);
});

test.run();
