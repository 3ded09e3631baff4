// Regression (found in review; fixed). Before the fix: the leader's side of a forwarded addLearner/addVoter never runs checkAddress (the HTTP
// handler and the joiner's own flags do). An address POST /members refuses with 400 is committed
// into the configuration when it arrives as a peer `forward`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { http } from '../support/processes.js';
import { batch, hello, openStream, putGet, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(3);

test('a forwarded addLearner with an address POST /members refuses is refused too', async () => {
  const leader = await cluster().waitLeader();
  const bad = '0.0.0.0:65536';
  const viaHttp = await http(`${leader.url}/members`, { method: 'POST', body: JSON.stringify({ address: bad, nonVoting: true }) });
  console.log(`POST /members ${bad}: ${viaHttp.status} ${viaHttp.text}`);
  assert.is(viaHttp.status, 400);
  const s = openStream(leader.peerAddress);
  s.write(hello('joiner:1'));
  s.write(batch([{ type: 'forward', from: 778, to: memberId(leader.peerAddress), term: 0, requestId: 2, op: 'addLearner', data: new Uint8Array(0), address: bad }]));
  await sleep(2000);
  s.close();
  const st = await leader.status();
  console.log('members now:', JSON.stringify(st?.members.map((m) => m.address)));
  // Restarting a member with that configuration in its log:
  const follower = cluster().nodes.find((n) => n !== leader)!;
  await follower.signal('SIGTERM');
  follower.start();
  await sleep(4000);
  console.log(`restarted follower running: ${follower.running}; ${follower.output.split('\n').filter((l) => /error|fatal|bad member/i.test(l)).slice(-3).join(' | ')}`);
  const r = await putGet(leader, 'after');
  assert.is(r.put, 200);
  assert.ok(follower.running, 'the restarted member runs');
  assert.ok(!st?.members.some((m) => m.address === bad), `${bad} became a member through the peer port`);
});

test.run();
