// A command entry skipped as a duplicate (a copy of a proposal that applied already) is
// counted by tsraft_server_duplicate_commands_skipped_total ("not applied") — and must then not be
// counted by tsraft_server_proposals_applied_total ("applied to the state machine") as well.
// The duplicate is made the way a retry after a leader failure makes one: the same encoded
// command (same session header) proposed twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster } from '../support/node-cluster.js';
import { metricValue } from '../support/prometheus.js';

test('a duplicate command entry is counted as skipped, not also as applied', async () => {
  const c = new TestCluster(1, { logLevel: 'error' });
  try {
    await c.startAll();
    const node = await c.waitLeader();
    await node.do(new SetCommand('warm', 'up'));
    const before = await node.metrics();
    const internals = node as unknown as {
      proposer: { begin(): number; header(seq: number): unknown; end(seq: number): void };
      registry: { encode(cmd: unknown, header: unknown): Uint8Array };
      submit(req: { op: string; data: Uint8Array; address: string }): Promise<{ index: number }>;
    };
    const seq = internals.proposer.begin();
    const data = internals.registry.encode(new SetCommand('k', 'v'), internals.proposer.header(seq));
    const first = await internals.submit({ op: 'propose', data, address: '' });
    const second = await internals.submit({ op: 'propose', data, address: '' }).catch((e: Error) => e);
    internals.proposer.end(seq);
    void second;
    const after = await node.metrics();
    const d = (name: string) => metricValue(after, name) - metricValue(before, name);
    assert.is(d('tsraft_server_duplicate_commands_skipped_total'), 1, 'one copy skipped');
    assert.is(d('tsraft_server_proposals_committed_total'), 2, 'both entries committed');
    assert.is(d('tsraft_server_proposals_applied_total'), 1, `applied once (first at ${first.index}), but the skipped copy is counted as applied too`);
  } finally {
    await c.close();
  }
});

test.run();
