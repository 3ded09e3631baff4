// README, "The HTTP API": POST /members {"address": ..., "nonVoting": false by default} adds a
// voter (a voter-to-be joins non-voting with "promoting": true and is promoted once caught up);
// only "nonVoting": true adds a member that never votes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

interface MemberView {
  address: string;
  nonVoting: boolean;
  promoting?: boolean;
}

test('POST /members without nonVoting adds a voter-to-be (promoting); with nonVoting true a learner', async () => {
  const c = await KvCluster.start(1, { requestTimeoutMs: 1500 });
  try {
    const l = await c.waitLeader();
    // Addresses nothing listens on: the additions commit, the promotion never comes.
    const voter = await raw(l.url, 'POST', '/members', JSON.stringify({ address: '127.0.0.1:9' }));
    assert.is(voter.status, 200, voter.text);
    const added = (JSON.parse(voter.text) as { members: MemberView[] }).members.find((m) => m.address === '127.0.0.1:9');
    assert.is(added?.promoting, true, `a member added without nonVoting is to become a voter: ${voter.text}`);
    await raw(l.url, 'DELETE', '/members/127.0.0.1:9');
    const learner = await raw(l.url, 'POST', '/members', JSON.stringify({ address: '127.0.0.1:7', nonVoting: true }));
    assert.is(learner.status, 200, learner.text);
    const nonVoting = (JSON.parse(learner.text) as { members: MemberView[] }).members.find((m) => m.address === '127.0.0.1:7');
    assert.equal([nonVoting?.nonVoting, nonVoting?.promoting], [true, undefined], learner.text);
  } finally {
    await c.close();
  }
});

test.run();
