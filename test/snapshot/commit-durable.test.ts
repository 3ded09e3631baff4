// From a mutation review of src/snapshot/writer.ts and store.ts: commit() makes the new
// snapshot durable before anyone can rely on it. The temp file is fsynced after its last write and
// before it is renamed into place, and the directory is fsynced after the rename, so a power loss
// cannot leave a complete-looking name over missing bytes, nor lose the name. (Without either
// fsync every other snapshot test still passed.) Observed through the WAL tests' fault-fs shim.
import { register } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

register('../wal/faults/fault-hooks.mjs', import.meta.url);
const { controller } = await import('../wal/faults/harness.js');
const { SnapshotStore, snapshotDir } = await import('../../src/snapshot/store.js');
const { membership, removeDir, tempDir, writePayload } = await import('./helpers.js');

const dirs: string[] = [];
test.after(async () => {
  controller().armed = false;
  await Promise.all(dirs.map(removeDir));
});

test('commit fsyncs the data before the rename and the directory after it', async () => {
  const dataDir = await tempDir();
  dirs.push(dataDir);
  const store = await SnapshotStore.open(snapshotDir(dataDir));
  const ctl = controller();
  ctl.log = [];
  ctl.pending = [];
  ctl.count = 0;
  ctl.armed = true;
  const writer = await store.create({ index: 12, term: 3, membership: membership(1) });
  await writePayload(writer, 12, 300 * 1024);
  const stored = await writer.commit();
  ctl.armed = false;
  const log = ctl.log.map((l: string) => l.replace(/^\d+ /, ''));
  const temp = writer.tempPath;
  const lastWrite = log.map((l: string, i: number) => (l.startsWith(`write ${temp} `) ? i : -1)).reduce((a: number, b: number) => Math.max(a, b), -1);
  const fileSync = log.findIndex((l: string) => l === `sync ${temp}` || l === `datasync ${temp}`);
  const renamed = log.findIndex((l: string) => l === `rename ${temp} -> ${stored.path}`);
  assert.ok(lastWrite >= 0 && renamed >= 0, `log: ${log.join(' | ')}`);
  assert.ok(fileSync > lastWrite && fileSync < renamed, `the temp file is fsynced after its last write and before the rename: ${log.join(' | ')}`);
  assert.equal(
    ctl.pending.filter((op: { kind: string }) => op.kind === 'rename'),
    [],
    'the rename is covered by a directory fsync',
  );
});

test.run();
