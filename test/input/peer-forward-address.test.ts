// Regression (found in review; fixed). Before the fix: a `forward` message asking the leader to add a member (op addLearner / addVoter) is
// taken from anyone (a joiner is not a member yet), and its `address` is checked by nobody on
// the leader's side (validate.ts: any string; checkAddress runs only in the joiner's own
// process and in the HTTP handler). The leader's proposeAddition → proposeAsLeader →
// addresses.expect → updatePeers → GrpcTransport.setPeers throws on "nocolon" (splitHostPort),
// inside an async function whose promise nobody catches (`void this.proposeAddition(...).then`):
// an unhandled rejection, which ends the Node.js process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { batch, hello, openStream, putGet, sleep, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(3);

test('a forwarded addLearner with the address "nocolon": refused, the leader keeps running', async () => {
  const leader = await cluster().waitLeader();
  const s = openStream(leader.peerAddress);
  s.write(hello('joiner:1'));
  s.write(batch([{ type: 'forward', from: 777, to: memberId(leader.peerAddress), term: 0, requestId: 1, op: 'addLearner', data: new Uint8Array(0), address: 'nocolon' }]));
  await sleep(2000);
  s.close();
  const lines = leader.output.split('\n').filter((l) => /nocolon|Unhandled|must be host:port/.test(l));
  assert.ok(leader.running, `the leader process exited:\n${lines.slice(0, 6).join('\n')}`);
  const r = await putGet(leader, 'after-forward');
  assert.is(r.put, 200);
});

test.run();
