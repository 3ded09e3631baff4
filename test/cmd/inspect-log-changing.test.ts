// inspect reads a segment's header when it lists the directory and its records later, one
// segment at a time. On a running node, a truncation renamed a new segment (with a new checksum
// salt) over the file of the same first index in between: the records were checked with the old
// header's salt and the report called a healthy log damaged (found in review). The header is now
// checked again from the bytes read, and a log that changed is scanned again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectReport } from '../../cmd/inspect.js';
import { Wal } from '../../wal/wal.js';

const require = createRequire(import.meta.url);
const fsp = require('node:fs/promises') as typeof import('node:fs/promises');

const entry = (index: number, term: number) => ({ index, term, type: 0, data: Buffer.alloc(100, index) });

test('a segment replaced by a truncation while inspect runs is not reported as damaged (header and records from one file)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-review2-inspect-'));
  const realOpen = fsp.open;
  try {
    const walDir = join(root, 'wal');
    const wal = await Wal.open(walDir, { segmentBytes: 512, sync: 'none' });
    for (let i = 1; i <= 8; i++) await wal.save({ entries: [entry(i, 1)] });
    // A reference report of the directory at rest: no problems.
    const before = await inspectReport(root);
    assert.is(before.problems, 0, before.text);
    const names = (await fsp.readdir(walDir)).filter((n) => n.endsWith('.wal'));
    const lastName = names.sort((a, b) => Number.parseInt(a) - Number.parseInt(b)).at(-1)!;
    const lastFirst = Number.parseInt(lastName);
    assert.ok(lastFirst > 1, `several segments: ${names.join(', ')}`);
    // The node truncates and appends between inspect's header read and its record read of the last segment.
    let opensOfLast = 0;
    let replaced = false;
    (fsp as { open: typeof fsp.open }).open = (async (path: Parameters<typeof fsp.open>[0], ...rest: unknown[]) => {
      if (!replaced && String(path).endsWith(`/${lastName}`) && ++opensOfLast === 2) {
        replaced = true;
        (fsp as { open: typeof fsp.open }).open = realOpen;
        syncBuiltinESMExports();
        await wal.truncateAfter(lastFirst - 1);
        for (let i = lastFirst; i <= 8; i++) await wal.save({ entries: [entry(i, 2)] });
      }
      return (realOpen as (...a: unknown[]) => ReturnType<typeof fsp.open>)(path, ...rest);
    }) as typeof fsp.open;
    syncBuiltinESMExports();
    const during = await inspectReport(root);
    assert.ok(replaced, 'the hook ran');
    assert.is(during.problems, 0, `a healthy log reported damaged:\n${during.text}`);
    await wal.close();
  } finally {
    (fsp as { open: typeof fsp.open }).open = realOpen;
    syncBuiltinESMExports();
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
