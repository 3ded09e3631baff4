// Regression (found in review; fixed). Before the fix: validate.ts checks each entry's fields but not that an append's entries are
// consecutive from prevIndex + 1 with terms that never go down. RaftLog.maybeAppend/append check
// only the first entry, so such an append reaches the WAL, whose save() rejects it
// (WalAppendError) — and a failed local write stops the node (failStorage). One malformed append
// (sent under the leader's id and term, which /status shows; nothing binds a message's `from` to
// the stream it came on) stops a follower.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { waitFor } from '../support/processes.js';
import { batch, hello, openStream, putGet, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(3);

async function sendAppend(variant: 'gap' | 'term-down'): Promise<{ stopped: boolean; output: string }> {
  const leader = await cluster().waitLeader();
  const follower = cluster().nodes.filter((n) => n !== leader)[variant === 'gap' ? 0 : 1]!;
  await putGet(leader, `k-${variant}`);
  await sleep(300);
  const st = (await follower.status())!;
  const last = st.lastIndex;
  const term = st.term;
  const e = (index: number, t: number) => ({ index, term: t, type: 2, data: new Uint8Array(0) });
  const entries = variant === 'gap' ? [e(last + 1, term), e(last + 3, term)] : [e(last + 1, term), e(last + 2, term - 1)];
  const s = openStream(follower.peerAddress);
  s.write(hello('mallory:1'));
  s.write(batch([{ type: 'append', from: memberId(leader.peerAddress), to: memberId(follower.peerAddress), term, prevIndex: last, prevTerm: term, entries, commit: 0 }]));
  const accepted = await Promise.race([s.headers.then(() => true), sleep(1500).then(() => false)]);
  await sleep(2000);
  const st2 = await follower.status();
  console.log(variant, 'before', JSON.stringify({ last, term, commit: st.commitIndex }), 'hello accepted', accepted, 'after', JSON.stringify(st2 && { last: st2.lastIndex, term: st2.term, state: st2.state }));
  s.close();
  const put = await putGet(follower, `after-${variant}`).catch((err: Error) => ({ put: 0, get: 0, text: err.message }));
  const fatal = follower.output.split('\n').find((l) => /fatal/.test(l));
  console.log(`${variant}: process running ${follower.running}; PUT/GET on it ${put.put}/${put.get} ${put.text.slice(0, 120)}; ${fatal ?? 'no fatal line'}`);
  return { stopped: put.put !== 200 || fatal !== undefined, output: follower.output };
}

test('an append whose entries skip an index: the follower refuses it and keeps running', async () => {
  const r = await sendAppend('gap');
  assert.ok(!r.stopped, `the follower stopped:\n${r.output.split('\n').filter((l) => /fatal|error|WalAppend/i.test(l)).slice(0, 3).join('\n')}`);
});

test('an append whose entry terms go down: the follower refuses it and keeps running', async () => {
  await waitFor('3 nodes up', () => cluster().nodes.every((n) => n.running) || undefined, 1000).catch(() => {});
  const r = await sendAppend('term-down');
  assert.ok(!r.stopped, `the follower stopped:\n${r.output.split('\n').filter((l) => /fatal|error|WalAppend/i.test(l)).slice(0, 3).join('\n')}`);
});

test.run();
