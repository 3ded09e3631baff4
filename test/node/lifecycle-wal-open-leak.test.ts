// A start() that fails while WalStorage.open reads the log (an I/O error reading the
// configuration entries after the snapshot, say) left the opened Wal open (found in review): its files stayed open
// and its directory (dataDir/wal) held by this process, so every later start() of this Node,
// or of a new Node on the directory, failed with DirectoryLockedError until the process exits.
// start() documents: "If it fails, what it opened is closed again ... so it may be called again."
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { Wal } from '../../wal/index.js';
import { Kv, SetCommand, waitUntil, oneMemberNode } from '../support/node-cluster.js';

const network = new MemoryNetwork();
const roots: string[] = [];

const waitFor = (probe: () => boolean, what: string, timeoutMs = 5000): Promise<boolean> => waitUntil(what, probe, timeoutMs);

const oneMember = (dataDir: string): Promise<Node<Kv>> => oneMemberNode(network, 'wl1:9301', dataDir);

test('a start() that fails reading the log releases the WAL: start() again works', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-lifecycle-'));
  roots.push(root);
  const dataDir = join(root, 'data');
  const first = await oneMember(dataDir);
  await first.start();
  await waitFor(() => first.isLeader(), 'the node to lead');
  await first.do(new SetCommand('a', '1'));
  await first.stop();

  // One read of the log fails at the next start (an EIO), as a disk may once.
  const entries = Wal.prototype.entries;
  let failures = 1;
  Wal.prototype.entries = function (this: Wal, ...args: Parameters<Wal['entries']>) {
    if (failures-- > 0) return Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
    return entries.apply(this, args);
  };
  const node = await oneMember(dataDir);
  let error: Error | undefined;
  try {
    await node.start();
  } catch (err) {
    error = err as Error;
  } finally {
    Wal.prototype.entries = entries;
  }
  assert.match(error?.message ?? '', /EIO/);

  let again: Error | undefined;
  try {
    await node.start();
  } catch (err) {
    again = err as Error;
  }
  if (again === undefined) {
    await waitFor(() => node.context.data.get('a') === '1', 'the write to apply');
    await node.stop();
  }
  assert.is(again && `${again.name}: ${again.message}`, undefined, 'start() again after the failed start failed');
});

test.after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

test.run();
