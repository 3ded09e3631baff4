// CustomSync and node.setSyncTypes refuse what is not a list of rules with the documented classes
// (policy.ts: TypeError for a value that is not a list, RangeError for an empty or malformed one),
// naming CustomSync. Replaces a test that called CustomSync only and checked `instanceof Error`
// (a test audit: throwing a plain Error passed it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/index.js';
import { CustomSync } from '../../src/snapshot/index.js';
import { Kv } from '../support/node-cluster.js';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
};

const NOT_A_LIST: unknown[] = [undefined, null, { seconds: 1, changes: 1 }, 'EverySecond', 7];
const MALFORMED: unknown[] = [[], [{ seconds: -1, changes: 1 }], [{ seconds: 1, changes: 0 }], [{ seconds: 1, changes: 1.5 }], [{ seconds: Infinity, changes: 1 }], [null]];

test('CustomSync: a value that is not a list is a TypeError, an empty or malformed list a RangeError, each naming CustomSync', () => {
  for (const bad of NOT_A_LIST) {
    const err = thrown(() => CustomSync(bad as never));
    assert.instance(err, TypeError, `CustomSync(${JSON.stringify(bad)}): ${String(err)}`);
    assert.match((err as Error).message, /^CustomSync/);
  }
  for (const bad of MALFORMED) {
    const err = thrown(() => CustomSync(bad as never));
    assert.instance(err, RangeError, `CustomSync(${JSON.stringify(bad)}): ${String(err)}`);
    assert.match((err as Error).message, /^CustomSync/);
  }
});

test('node.setSyncTypes refuses the same values with the same classes, at the call', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsraft-sync-types-'));
  try {
    const node = await Node.create<Kv>({ host: '127.0.0.1', port: 1, dataDir: dir, context: new Kv(), logLevel: 'silent' });
    for (const bad of NOT_A_LIST) assert.instance(thrown(() => node.setSyncTypes(bad as never)), TypeError, `setSyncTypes(${JSON.stringify(bad)})`);
    for (const bad of MALFORMED) assert.instance(thrown(() => node.setSyncTypes(bad as never)), RangeError, `setSyncTypes(${JSON.stringify(bad)})`);
    assert.is(thrown(() => node.setSyncTypes([{ seconds: 1, changes: 10 }])), undefined, 'a well-formed list is taken');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
