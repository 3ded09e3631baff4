// Regression (found in review; fixed). Before the fix: validate.ts accepts any safe integer as a term, and the core adopts any higher term
// (as Raft does). A single message with term 2^53-1 (from any id, even a non-member) makes the
// leader step down into that term and persist it; the next election's term 2^53 is no longer a
// safe integer, so every peer's validator refuses the vote requests (and the WAL refuses it too):
// the cluster can never elect a leader again, also after restarts (the term is on disk).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { http, waitFor } from '../support/processes.js';
import { batch, hello, openStream, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(3);

test('one appendResp with term 2^53-1: the cluster still has (or elects) a leader and serves writes', async () => {
  const leader = await cluster().waitLeader();
  assert.is((await http(`${leader.url}/kv/before`, { method: 'PUT', body: 'x' })).status, 200);
  const s = openStream(leader.peerAddress);
  s.write(hello('mallory:1'));
  s.write(
    batch([
      { type: 'appendResp', from: 999, to: memberId(leader.peerAddress), term: Number.MAX_SAFE_INTEGER, reject: true, index: 0, conflictTerm: 0, conflictIndex: 0 },
    ]),
  );
  await sleep(500);
  s.close();
  const statuses = await Promise.all(cluster().nodes.map((n) => n.status()));
  console.log('terms after the message:', statuses.map((st) => `${st?.address} ${st?.state} term ${st?.term}`).join('; '));
  // Give the cluster 10 election timeouts (5 s) to elect again.
  let newLeader: string | undefined;
  try {
    await waitFor('a leader', async () => {
      for (const n of cluster().nodes) {
        const st = await n.status();
        if (st?.state === 'leader') return (newLeader = st.address);
      }
      return undefined;
    }, 5000);
  } catch {
    /* asserted below */
  }
  const after = await Promise.all(cluster().nodes.map((n) => n.status()));
  const put = await http(`${cluster().nodes[0]!.url}/kv/after`, { method: 'PUT', body: 'y', timeoutMs: 15_000 });
  assert.ok(
    newLeader !== undefined && put.status === 200,
    `no leader / no write after a term of 2^53-1: ${after.map((st) => `${st?.address} ${st?.state} term ${st?.term}`).join('; ')}; PUT ${put.status} ${put.text}\n` +
      cluster().nodes.map((n) => n.output.split('\n').filter((l) => /term|refus|reject/i.test(l)).slice(-4).join('\n')).join('\n'),
  );
});

test.run();
