// Regression (found in review; fixed). Before the fix: Node.receive stores every nodeMeta message's `meta` under the stream's hello address
// (nodeMeta.set(fromAddress, meta)) with no bound on its size or on the number of addresses, and
// deletes an entry only when that address is forgotten as an outsider. Sent under a member's id
// (heardFrom ignores members: never an outsider, never forgotten), each distinct hello address
// keeps its meta for the life of the process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { batch, hello, openStream, putGet, rssBytes, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(1);

test('300 hello addresses each announcing 1 MiB of metadata: memory stays bounded', async () => {
  const node = cluster().nodes[0]!;
  const pid = node.child!.pid!;
  const to = memberId(node.peerAddress);
  const rss0 = await rssBytes(pid);
  const meta = 'm'.repeat(1024 * 1024);
  for (let i = 0; i < 300; i++) {
    const s = openStream(node.peerAddress);
    s.write(hello(`leak-${i}:1`));
    // `from` = the node's own id: a member, so never an outsider.
    s.write(batch([{ type: 'nodeMeta', from: to, to, term: 0, meta }]));
    await sleep(20);
    s.close();
  }
  await sleep(12_000); // past the outsider forget window (10 election timeouts = 5 s)
  const rss1 = await rssBytes(pid);
  const grown = Math.round((rss1 - rss0) / 2 ** 20);
  console.log(`rss ${Math.round(rss0 / 2 ** 20)} -> ${Math.round(rss1 / 2 ** 20)} MiB (+${grown} MiB), 12 s after the streams closed`);
  const r = await putGet(node, 'after-meta');
  assert.is(r.put, 200);
  assert.ok(grown < 100, `retained ${grown} MiB of metadata sent by closed streams`);
});

test.run();
