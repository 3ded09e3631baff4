// A joiner whose catch-up is a snapshot transfer longer than its request timeout waits for it:
// the chunks move none of its log indexes, and a review found the transfer taken for no progress
// (a warning "… has not reached this node … asking again" and a second request every timeout).
// Mutant: the received bytes dropped from Node.awaitAdmission's progress.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, interceptReceive, snapshotTransferCluster } from '../support/node-cluster.js';

test('a joiner caught up by a snapshot transfer longer than its request timeout: no warning, no second request', async () => {
  const { c } = snapshotTransferCluster({ logLevel: 'error' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    for (let i = 0; i < 60; i++) await leader.do(new SetCommand(`s${i}`, `value ${i}`));
    await leader.snapshot();
    assert.ok(leader.status().firstIndex > 1, 'the leader compacted its log');
    const address = await c.newAddress();
    c.addresses.push(address);
    // Each 64-byte chunk reaches the joiner 100 ms late: the transfer takes seconds.
    c.configure = (node, a) => {
      if (a !== address) return;
      interceptReceive(node, (from, messages, deliver) => {
        const chunks = messages.filter((m) => m.type === 'snapshot');
        const rest = messages.filter((m) => m.type !== 'snapshot');
        if (rest.length > 0) deliver(from, rest);
        if (chunks.length > 0) setTimeout(() => deliver(from, chunks), 100);
      });
    };
    const lines: Array<{ level: string; line: string; at: number }> = [];
    const joiner = await c.start(address, {
      join: true,
      nonVoting: true,
      members: c.addresses.slice(0, 3).join(';'),
      requestTimeoutMs: 1000,
      logLevel: 'info',
      logger: (level, line) => lines.push({ level, line, at: Date.now() }),
    });
    await joiner.admitted();
    const accepted = lines.find((l) => l.line.startsWith('join accepted'));
    const took = Date.now() - accepted!.at;
    assert.ok(took > 1500, `the transfer after the acceptance outlasted the request timeout of 1000 ms (${took} ms)`);
    assert.equal(lines.filter((l) => l.level !== 'info'), [], 'no warning');
    assert.is(lines.filter((l) => l.line.startsWith('join accepted')).length, 1, lines.map((l) => l.line).join('\n'));
    assert.ok(joiner.status().snapshotIndex > 0, 'caught up by the snapshot');
    // (The context recovers from the snapshot beside the run loop: admitted() may come first.)
    await c.waitFor(() => joiner.context.data.get('s59') === 'value 59', 5000, 'the joiner to hold the snapshot\'s state');
  } finally {
    await c.close();
  }
});

test.run();
