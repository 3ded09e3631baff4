// A restart never changes the membership: once the data directory holds a configuration it wins
// over `members` (as etcd's does over --initial-cluster). A different `members` is ignored with a
// warning naming both; the same one, or none, starts quietly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { Kv, SetCommand, kvSnapshot } from '../support/node-cluster.js';

const network = new MemoryNetwork();
let root = '';
let dataDir = '';

/** Starts n1 on the data directory with `members`, waits for it to lead, stops it; returns its warnings. */
async function run(members: string | undefined): Promise<string[]> {
  const warnings: string[] = [];
  const kv = new Kv();
  const node = await Node.create<Kv>({
    port: 9001,
    dataDir,
    context: kv,
    ...(members === undefined ? {} : { members }),
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    sync: 'none',
    transport: new MemoryTransport(network, { address: 'n1:9001', logger: { info() {}, warn() {} } }),
    logger: (level, line) => {
      if (level === 'warn') warnings.push(line);
    },
  });
  node.registerCommand(SetCommand);
  node.setSnapshot(kvSnapshot(kv));
  await node.start();
  try {
    const deadline = Date.now() + 5000;
    while (!node.isLeader() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(node.isLeader(), 'n1 leads its one-member cluster');
    assert.equal(node.peers(), [], 'the persisted configuration is in force: no peers');
    await node.do(new SetCommand('k', String(Date.now())));
  } finally {
    await node.stop();
  }
  return warnings;
}

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsraft-restart-members-'));
  dataDir = join(root, 'n1');
});

test('founded as one member: restarting with three members warns that they are ignored, naming both lists', async () => {
  assert.equal(await run('n1:9001'), [], 'founding: no warning');
  const warnings = await run('n1:9001;n2:9002;n3:9003');
  assert.is(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, 'members "n1:9001;n2:9002;n3:9003" ignored');
  assert.match(warnings[0]!, 'configuration, which wins: "n1:9001"');
  assert.match(warnings[0]!, 'join()/leave() (raft-node: POST /members, DELETE /members/<address>)');
});

test('restarting with the same members, or with none, is quiet', async () => {
  assert.equal(await run('n1:9001'), []);
  assert.equal(await run(undefined), []);
});

test.after(async () => {
  network.close();
  await rm(root, { recursive: true, force: true });
});

test.run();
