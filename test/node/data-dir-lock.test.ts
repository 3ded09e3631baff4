// One Node per data directory: a Node started on a directory another Node (in this process or in
// another) is using fails with DirectoryLockedError before touching it, and the first node's data
// stays intact. A directory whose owner died (kill -9) is taken over.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryLockedError } from '../../src/index.js';
import { Node } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';
import { Kv, SetCommand, oneMemberNode } from '../support/node-cluster.js';

const CHILD = fileURLToPath(new URL('./lock-child.ts', import.meta.url));
const network = new MemoryNetwork();
const roots: string[] = [];

async function newDataDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-node-lock-'));
  roots.push(root);
  return join(root, 'data');
}

const oneMember = (dataDir: string, address: string, transport?: Transport): Promise<Node<Kv>> => oneMemberNode(network, address, dataDir, transport);

async function waitFor(probe: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** sha256 of every file under `dir`, by relative path. */
async function tree(dir: string, root = dir, out: Record<string, string> = {}): Promise<Record<string, string>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await tree(path, root, out);
    else out[relative(root, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

async function startRejection(node: Node<Kv>): Promise<Error> {
  try {
    await node.start();
  } catch (error) {
    return error as Error;
  }
  await node.stop();
  assert.unreachable('start() succeeded');
  throw new Error('unreachable');
}

test('a second Node on a data directory in use fails to start, changes nothing, and the first keeps its data', async () => {
  const dataDir = await newDataDir();
  const first = await oneMember(dataDir, 'n1:9001');
  await first.start();
  await waitFor(() => first.isLeader(), 'the first node to lead');
  for (let i = 0; i < 20; i++) await first.do(new SetCommand(`k${i}`, `v${i}`));
  await first.stop();
  const owner = await oneMember(dataDir, 'n1:9001');
  await owner.start();
  await waitFor(() => owner.isLeader(), 'the restarted node to lead');
  await waitFor(() => owner.context.data.size === 20, 'the 20 keys to apply');
  const before = await tree(dataDir);

  const intruder = await oneMember(dataDir, 'n2:9002');
  const error = await startRejection(intruder);
  assert.instance(error, DirectoryLockedError);
  assert.match(error.message, dataDir);
  assert.is((error as DirectoryLockedError).pid, process.pid);
  assert.equal(await tree(dataDir), before, 'the refused start changed the data directory');

  for (let i = 20; i < 30; i++) await owner.do(new SetCommand(`k${i}`, `v${i}`));
  await owner.stop();
  const again = await oneMember(dataDir, 'n1:9001');
  await again.start();
  await waitFor(() => again.context.data.size === 30, 'all 30 keys after a restart');
  assert.is(again.context.data.get('k29'), 'v29');
  await again.stop();
});

test('a failed start() closes what it opened and releases the directory', async () => {
  const dataDir = await newDataDir();
  const transport = new MemoryTransport(network, { address: 'n3:9003', logger: { info() {}, warn() {} } });
  let failures = 1;
  const flaky: Transport = Object.assign(Object.create(transport) as Transport, {
    start: () => (failures-- > 0 ? Promise.reject(new Error('address in use')) : transport.start()),
  });
  const node = await oneMember(dataDir, 'n3:9003', flaky);
  const error = await startRejection(node);
  assert.is(error.message, 'address in use');
  // The directory is free again: the same node starts (this time the transport does too).
  await node.start();
  await waitFor(() => node.isLeader(), 'the node to lead');
  await node.do(new SetCommand('a', '1'));
  await node.stop();
});

test('another process holding the data directory: start fails naming its pid; after kill -9 the directory is taken over with its data', async () => {
  const dataDir = await newDataDir();
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, '25'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const intruder = await oneMember(dataDir, 'n1:9001');
    const error = await startRejection(intruder);
    assert.instance(error, DirectoryLockedError);
    assert.is((error as DirectoryLockedError).pid, child.pid);
    assert.match(error.message, `another tsraft process (pid ${child.pid}) is using`);

    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const successor = await oneMember(dataDir, 'n1:9001');
    await successor.start();
    await waitFor(() => successor.isLeader(), 'the successor to lead');
    await waitFor(() => successor.context.data.size === 25, "the child's 25 keys");
    await successor.stop();
  } finally {
    child.kill('SIGKILL');
  }
});

test.after(async () => {
  network.close();
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

test.run();
