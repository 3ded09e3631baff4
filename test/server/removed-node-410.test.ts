// What a removed node answers to membership requests and transfers (real processes). README: a
// removed node answers 410 to "every KV request ..., membership changes and transfers". DELETE
// /members/{itself} again answered 200 (leave() took the RemovedError of a self-removal for
// success even when the node was removed before the request), and a transfer naming an address
// missing from its last-known list was checked against that list first and answered 400 (found
// in review).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, http, waitFor } from '../support/processes.js';

test('a removed node answers 410 to DELETE /members/{itself} and to any transfer, as README says', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    const gone = c.nodes.find((n) => n !== leader)!;
    const del = await http(`${leader.url}/members/${encodeURIComponent(gone.peerAddress)}`, { method: 'DELETE' });
    assert.is(del.status, 200, del.text);
    await waitFor('the removed node to know it', async () => (await gone.status())?.removedAt ?? undefined);
    const again = await http(`${gone.url}/members/${encodeURIComponent(gone.peerAddress)}`, { method: 'DELETE' });
    assert.is(again.status, 410, `DELETE of itself on a removed node: ${again.status} ${again.text}`);
    const transfer = await http(`${gone.url}/leader/transfer`, { method: 'POST', body: JSON.stringify({ address: '127.0.0.1:9' }) });
    assert.is(transfer.status, 410, `transfer on a removed node: ${transfer.status} ${transfer.text}`);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test.run();
