// stop() failed pending proposals with a StoppedError whose outcomeUnknown was false (found in review), which the API
// defines as "certainly not appended to any leader's log". A proposal pending at stop() may well
// be appended, committed and durable already: it applies at the next start (and on the other
// members). A caller trusting outcomeUnknown retries it and the command applies twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoppedError } from '../../src/errors.js';
import { Node } from '../../src/node.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { Kv, SetCommand, slowSave, waitUntil, oneMemberNode } from '../support/node-cluster.js';

const network = new MemoryNetwork();
const roots: string[] = [];

const waitFor = (probe: () => boolean, what: string, timeoutMs = 5000): Promise<boolean> => waitUntil(what, probe, timeoutMs);

const oneMember = (dataDir: string): Promise<Node<Kv>> => oneMemberNode(network, 'so1:9501', dataDir);

test('a proposal committed before stop() is not reported as certainly not applied', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-lifecycle-'));
  roots.push(root);
  const dataDir = join(root, 'data');
  const node = await oneMember(dataDir);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const save = slowSave(node, gate);
  await node.start();
  await waitFor(() => node.isLeader(), 'the node to lead');
  await node.do(new SetCommand('a', '1'));

  // A snapshot save holds applying (as documented): the next write commits but waits to apply.
  const snapshot = node.snapshot().catch(() => undefined);
  await waitFor(() => save.saving(), 'the save to start');
  const pending = node.do(new SetCommand('k', 'v')).then(
    () => undefined,
    (err: Error) => err,
  );
  await waitFor(() => node.status().commitIndex > node.status().appliedIndex, 'the write to commit');

  const stopped = node.stop();
  release();
  await stopped;
  await snapshot;
  const err = await pending;
  assert.instance(err, StoppedError);

  // The write was committed and durable: it applies at the next start.
  const again = await oneMember(dataDir);
  await again.start();
  try {
    await waitFor(() => again.context.data.get('k') === 'v', 'k=v after the restart');
  } finally {
    await again.stop();
  }
  assert.ok((err as StoppedError).outcomeUnknown, 'do() was rejected with outcomeUnknown false ("certainly not appended"), yet the command applied');
});

test.after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

test.run();
