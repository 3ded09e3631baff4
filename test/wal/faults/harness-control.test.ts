// Negative control of the harness: damage that loses acknowledged entries must be reported.
import { register } from 'node:module';
import { readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

register('./fault-hooks.mjs', import.meta.url);
const { crashEverywhere } = await import('./harness.js');
type Op = import('./harness.js').Op;

test('harness control: cutting the last segment to its header is reported', async () => {
  const ops: Op[] = [
    { kind: 'save', from: 1, to: 3, term: 1 },
    { kind: 'save', from: 4, to: 6, term: 1 },
    { kind: 'save', from: 7, to: 9, term: 1 },
  ];
  const result = await crashEverywhere(ops, { sync: 'always', segmentBytes: 1 << 20, preallocate: false, cacheBytes: 0 }, {
    afterCopy: async (copy) => {
      const names = (await readdir(copy)).filter((n) => n.endsWith('.wal')).sort();
      await truncate(join(copy, names.at(-1)!), 64);
    },
  });
  console.log(result.findings.map((f) => `step ${f.failAt}: ${f.problem}`).join('\n'));
  assert.ok(result.findings.length > 0);
});

test.run();
