// Regression (found in review; fixed). Before the fix: a snapshot chunk whose meta.size is below the file format's trailer size passes
// validate.ts (any non-negative integer) and the core (it only checks offsets), reaches
// SnapshotKeeper.receiveChunks, where SnapshotStore.beginReceive throws a RangeError ("too small
// for a snapshot file"). Only SnapshotError is caught there, so the RangeError ends the pump and
// failStorage stops the node. One message (under the leader's id and term) stops a follower.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { batch, hello, openStream, putGet, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(3);

test('a snapshot chunk announcing a 4-byte snapshot: the follower drops it and keeps running', async () => {
  const leader = await cluster().waitLeader();
  const follower = cluster().nodes.find((n) => n !== leader)!;
  const st = (await follower.status())!;
  const s = openStream(follower.peerAddress);
  s.write(hello('mallory:1'));
  const meta = { index: st.commitIndex + 100, term: st.term, membership: [], size: 4 };
  s.write(batch([{ type: 'snapshot', from: memberId(leader.peerAddress), to: memberId(follower.peerAddress), term: st.term, meta, offset: 0, length: 4, data: new Uint8Array(4), done: true }]));
  await sleep(2000);
  s.close();
  const r = await putGet(follower, 'after-snapshot').catch((err: Error) => ({ put: 0, get: 0, text: err.message }));
  const fatal = follower.output.split('\n').find((l) => /fatal/.test(l));
  assert.ok(r.put === 200 && fatal === undefined, `the follower stopped: PUT ${r.put} ${r.text.slice(0, 80)}; ${fatal}`);
});

test('snapshot chunks past the announced size, or at a wrong offset: dropped with a log line, the follower keeps running', async () => {
  const leader = await cluster().waitLeader();
  const follower = cluster().nodes.filter((n) => n !== leader)[1]!;
  const st = (await follower.status())!;
  const from = memberId(leader.peerAddress);
  const to = memberId(follower.peerAddress);
  const meta = { index: st.commitIndex + 100, term: st.term, membership: [], size: 1024 };
  const chunk = (offset: number, length: number, done: boolean) => ({ type: 'snapshot', from, to, term: st.term, meta, offset, length, data: new Uint8Array(length), done });
  const s = openStream(follower.peerAddress);
  s.write(hello('mallory:2'));
  s.write(batch([chunk(0, 512, false), chunk(4096, 16, false), chunk(512, 4096, true)]));
  await sleep(2000);
  s.close();
  const r = await putGet(follower, 'after-chunks').catch((err: Error) => ({ put: 0, get: 0, text: err.message }));
  const lines = follower.output.split('\n').filter((l) => /snapshot|fatal/.test(l));
  console.log(lines.slice(-3).join('\n'));
  assert.is(r.put, 200, lines.join('\n'));
  assert.ok(lines.some((l) => /runs past its size 1024/.test(l)), 'a log line names the problem');
});

test.run();
