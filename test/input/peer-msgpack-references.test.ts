// Regression (found in review; fixed). Before the fix: the batch Unpackr (wire.ts) leaves msgpackr's structured-clone extensions on (0x69 id /
// 0x70 pointer: they are refused only when `structuredClone: false` is set), so one entry object
// can be referenced many times in an append's `entries`, ~6.5 bytes a reference. validate.ts then
// copies each referenced entry's data out separately (entrySlab.copy): a 1 MiB frame holding
// one 1 MiB entry referenced N times allocates N MiB. 1,500 references cost ~1.5 GiB of RSS
// from a frame of ~1 MiB; ~20,000 (a 1.2 MB frame) would ask for 20 GiB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { batchFrame } from '../../src/transport/frame.js';
import { hello, openStream, putGet, rssBytes, sleep, within, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(1);

const REFS = 1500;

test(`an append of one 1 MiB entry referenced ${REFS} times: memory stays bounded by the frame size`, async () => {
  const node = cluster().nodes[0]!;
  const pid = node.child!.pid!;
  const rss0 = await rssBytes(pid);
  const e = { index: 1, term: 1, type: 0, data: new Uint8Array(1024 * 1024) };
  // to: 0 — the node drops it after validation (not addressed to it): only decoding is measured.
  const msg = { type: 'append', from: 4242, to: 0, term: 0, prevIndex: 0, prevTerm: 0, entries: Array.from({ length: REFS }, () => e), commit: 0 };
  const frame = batchFrame(new Packr({ structuredClone: true, useRecords: false }).pack([msg]));
  let peak = rss0;
  const sampler = setInterval(() => void rssBytes(pid).then((r) => (peak = Math.max(peak, r)), () => {}), 100);
  const s = openStream(node.peerAddress);
  s.write(hello('mallory:1'));
  s.write(frame);
  await within(s.status, 5000);
  await sleep(1500);
  clearInterval(sampler);
  s.close();
  const grown = Math.round((peak - rss0) / 2 ** 20);
  console.log(`frame ${frame.length} bytes; rss ${Math.round(rss0 / 2 ** 20)} MiB, peak +${grown} MiB`);
  const r = await putGet(node, 'after-refs');
  assert.is(r.put, 200);
  assert.ok(grown < 128, `a ${frame.length}-byte frame grew the node's RSS by ${grown} MiB`);
});

test.run();
