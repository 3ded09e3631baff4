// The fatal line a node logs when it stops itself: one of ours (LostDataError and the like, which
// name the problem and the fix) without a stack, which read as a crash after the explanation (a
// user trial); anything else, possibly a bug, with its stack. Mutant: the RaftError case dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError } from '../../src/errors.js';
import { Node } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { Kv, waitUntil } from '../support/node-cluster.js';
import { withTempDir } from '../support/temp-dir.js';

async function fatalLine(err: Error): Promise<string> {
  const lines: string[] = [];
  await withTempDir('tsraft-fatal-', async (dataDir) => {
    const network = new MemoryNetwork();
    const node = await Node.create<Kv>({
      dataDir,
      context: new Kv(),
      sync: 'none',
      logLevel: 'error',
      logger: (_level, line) => lines.push(line),
      transport: new MemoryTransport(network, { address: 'f1:1', logger: { info() {}, warn() {} } }),
    });
    await node.start();
    (node as unknown as { failStorage(err: Error): void }).failStorage(err);
    await waitUntil('stopped', () => node.lifecycle === 'stopped' || undefined, 5000);
    network.close();
  });
  return lines.find((l) => l.startsWith('fatal: ')) ?? `no fatal line in ${JSON.stringify(lines)}`;
}

test('a fatal error of ours is logged by name and message, without a stack', async () => {
  const line = await fatalLine(new LostDataError('its data directory lost what it acknowledged. Do this to bring it back'));
  assert.is(line, 'fatal: LostDataError: its data directory lost what it acknowledged. Do this to bring it back');
});

test('any other fatal error is logged with its stack', async () => {
  const line = await fatalLine(new Error('EIO: i/o error, write'));
  assert.match(line, /^fatal: Error: EIO: i\/o error, write\n\s+at /);
});

test.run();
