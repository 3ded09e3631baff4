// A voter-to-be farther away than the voters (40 ms more per message) is promoted while writes go
// on (Raft thesis §4.2.1 catch-up rounds; test/core/learner-catch-up-rounds). Found in review:
// the leader promoted only a learner holding everything committed, which under steady writes such
// a learner never did: it stayed `promoting` until the load stopped, holding up other changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, interceptReceive } from '../support/node-cluster.js';

test('a voter-to-be 40 ms farther away than the voters is promoted while writes go on', async () => {
  const c = new TestCluster(3, { logLevel: 'error' });
  let writing = true;
  const writers: Promise<void>[] = [];
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    for (let w = 0; w < 8; w++) {
      writers.push(
        (async () => {
          for (let i = 0; writing; i++) await leader.do(new SetCommand(`w${w}`, String(i))).catch(() => undefined);
        })(),
      );
    }
    const joinerAddress = await c.newAddress();
    const joiner = await c.start(joinerAddress, { join: true, members: leader.address });
    interceptReceive(joiner, (from, messages, deliver) => void setTimeout(() => deliver(from, messages), 40));
    await joiner.admitted();
    const before = leader.status().commitIndex;
    await c.waitFor(() => joiner.status().appliedIndex >= before, 3000, 'the joiner to keep up with the log');
    const promoted = await c
      .waitFor(() => leader.members().find((m) => m.address === joinerAddress && !m.nonVoting), 5000, 'its promotion')
      .then(() => true, () => false);
    const me = leader.members().find((m) => m.address === joinerAddress);
    assert.ok(promoted, `not promoted after 5 s of writes: ${JSON.stringify(me)}, leader commit ${leader.status().commitIndex}, last ${leader.status().lastIndex}`);
    assert.ok(writing && leader.status().commitIndex > before, 'writes went on meanwhile');
  } finally {
    writing = false;
    await Promise.all(writers);
    await c.close();
  }
});

test.run();
