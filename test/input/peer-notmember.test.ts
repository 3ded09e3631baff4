// Bad input: `notMember` is handled whatever its term and sender (Raft.step → noteNotMember). One
// such notice with a huge configIndex, sent to the leader, makes it step down and believe it was
// removed. Does the cluster recover (a new leader, the old one a member again)?
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { http, waitFor } from '../support/processes.js';
import { batch, hello, openStream, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(3);

test('a spoofed notMember to the leader: the cluster recovers and every member serves again', async () => {
  const leader = await cluster().waitLeader();
  const s = openStream(leader.peerAddress);
  s.write(hello('mallory:1'));
  s.write(batch([{ type: 'notMember', from: 31337, to: memberId(leader.peerAddress), term: 0, configIndex: Number.MAX_SAFE_INTEGER, commit: Number.MAX_SAFE_INTEGER }]));
  await sleep(300);
  s.close();
  const st = await leader.status();
  console.log(`old leader right after: state ${st?.state}, removedAt ${st?.removedAt}`);
  const answers = await waitFor(
    'every member serving',
    async () => {
      const rs = await Promise.all(cluster().nodes.map((n) => http(`${n.url}/kv/x`, { method: 'PUT', body: 'y', timeoutMs: 3000 }).catch(() => undefined)));
      return rs.every((r) => r?.status === 200) ? rs : undefined;
    },
    15_000,
  ).catch(async () => (await Promise.all(cluster().nodes.map((n) => http(`${n.url}/kv/x`, { method: 'PUT', body: 'y', timeoutMs: 3000 }).catch((e: Error) => ({ status: 0, text: e.message }))))).map((r) => `${r.status} ${r.text}`));
  console.log(JSON.stringify(answers.map((r) => (typeof r === 'string' ? r : r?.status))));
  assert.ok(answers.every((r) => typeof r !== 'string'), `not every member serves 15 s later: ${JSON.stringify(answers)}`);
});

test.run();
