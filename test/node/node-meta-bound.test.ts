// setNodeMeta's documented bound: 65,536 characters are kept, one more is a RangeError that
// changes nothing (peers would not keep a longer one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import { Kv } from '../support/node-cluster.js';

test('setNodeMeta() takes 65,536 characters and throws a RangeError past them', async () => {
  const node = await Node.create<Kv>({ port: 9001, dataDir: join(tmpdir(), 'tsraft-node-meta-never-created'), context: new Kv(), logLevel: 'silent' });
  node.setNodeMeta('x'.repeat(65_536));
  assert.is(node.getNodeMeta(node.address), 'x'.repeat(65_536));
  assert.throws(() => node.setNodeMeta('x'.repeat(65_537)), (e: unknown) => e instanceof RangeError);
  assert.is(node.getNodeMeta(node.address), 'x'.repeat(65_536), 'the refused value changed nothing');
});

test.run();
