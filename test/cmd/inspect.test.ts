// `raft-node inspect` against the data directory of a real Node: a single-member key-value node
// writes every kind of command, adds two (never started) members, snapshots and writes on. The
// report must show segments, hard state, decoded commands, snapshot and membership; inspecting
// must leave every byte of the directory as it was, even damage that Wal.open would repair.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { inspectDataDir, inspectMain } from '../../cmd/inspect.js';
import { captured } from './inspect-output.js';
import { AppendCommand, CasCommand, DeleteCommand, installKv, KvStore, SetCommand } from '../../src/kv/index.js';
import { Node } from '../../src/node.js';
import { freePort } from '../support/node-cluster.js';
import { writtenBytes } from '../wal/helpers.js';

interface Fixture {
  root: string;
  dataDir: string;
  address: string;
  /** Added with join({ nonVoting: true }) in the first run: in the snapshot's membership. */
  learner: string;
  /** Added with join() after the snapshot: a voter that never catches up, so stays non-voting. */
  joining: string;
  /** The report taken after the first run (no snapshot yet, the whole log from index 1). */
  firstReport: string;
  snapshotIndex: number;
  lastIndex: number;
}

let fx: Fixture;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts a one-member KV node on `dataDir`, waits for it to lead, runs `work`, stops it. */
async function withNode(dataDir: string, port: number, work: (node: Node<KvStore>) => Promise<void>): Promise<void> {
  const node = await Node.create({
    host: '127.0.0.1',
    port,
    dataDir,
    context: new KvStore(),
    members: `127.0.0.1:${port}`,
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    sync: 'none',
    logLevel: 'silent',
    // Small segments so the log spans several, and a snapshot compacts some of them away (one
    // snapshot kept: with two, the first compacts nothing).
    walSegmentBytes: 2048,
    snapshotTrailingEntries: 100,
    snapshotsKept: 1,
  });
  installKv(node);
  await node.start();
  try {
    await waitFor(() => node.isLeader(), 'the node to lead');
    await work(node);
  } finally {
    await node.stop();
  }
}

/** sha256 of every file under `dir` by relative path (directories listed too). */
async function hashTree(dir: string, root = dir, out: Record<string, string> = {}): Promise<Record<string, string>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      out[`${relative(root, path)}/`] = 'dir';
      await hashTree(path, root, out);
    } else {
      out[relative(root, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
    }
  }
  return out;
}

/** Inspects `dir` and checks that it did not change a byte. */
async function inspectUnchanged(dir: string, options?: { limit?: number; from?: number }): Promise<string> {
  const before = await hashTree(dir);
  const report = await inspectDataDir(dir, options);
  assert.equal(await hashTree(dir), before, `inspecting ${dir} changed it`);
  return report;
}

async function segmentNames(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, 'wal'))).filter((n) => n.endsWith('.wal')).sort();
}

/** The report line of the table row that starts with `first` (after the indent). */
function row(report: string, first: string): string {
  const line = report.split('\n').find((l) => l.trimStart().startsWith(first));
  assert.ok(line, `a row starting with ${first} in:\n${report}`);
  return line;
}

/** The message `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  assert.unreachable('expected a rejection');
  return '';
}

test.before(async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-inspect-'));
  const dataDir = join(root, 'node');
  const port = await freePort();
  const learner = `127.0.0.1:${await freePort()}`;
  const joining = `127.0.0.1:${await freePort()}`;
  await withNode(dataDir, port, async (node) => {
    await node.do(new SetCommand('k', Buffer.from('v')));
    await node.do(new SetCommand('long', Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH')));
    await node.do(new SetCommand('bin', Buffer.from([0x00, 0xff, 0x10])));
    await node.do(new AppendCommand('k', Buffer.from('w'), 1024));
    await node.do(new CasCommand('k', Buffer.from('vw'), Buffer.from('x')));
    await node.do(new CasCommand('fresh', null, Buffer.from('1')));
    await node.do(new DeleteCommand('bin'));
    await node.join({ address: learner, nonVoting: true });
  });
  const firstReport = await inspectDataDir(dataDir);
  let snapshotIndex = 0;
  let lastIndex = 0;
  await withNode(dataDir, port, async (node) => {
    for (let batch = 0; batch < 15; batch++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => node.do(new SetCommand(`key-${batch * 10 + i}`, Buffer.from(`value ${batch * 10 + i}`)))));
    }
    snapshotIndex = await node.snapshot();
    await node.join({ address: joining });
    for (let i = 0; i < 5; i++) await node.do(new AppendCommand('log', Buffer.from(`line ${i}\n`)));
    await node.do(new DeleteCommand('key-0'));
    lastIndex = node.status().lastIndex;
  });
  fx = { root, dataDir, address: `127.0.0.1:${port}`, learner, joining, firstReport, snapshotIndex, lastIndex };
});

test.after(async () => {
  if (fx) await rm(fx.root, { recursive: true, force: true });
});

test('a fresh log: one segment, the bootstrap entry, no-ops and every kv command decoded', async () => {
  const r = fx.firstReport;
  assert.match(r, 'No damage found.');
  assert.match(row(r, '00000000000000000001.wal'), /\s1\s.*\sok$/);
  assert.match(r, /^  log: \d+ entries, indices 1\.\.\d+$/m);
  assert.match(r, new RegExp(`^\\s+1\\s+1\\s+bootstrap\\s+127\\.0\\.0\\.1:${fx.address.split(':')[1]} \\(voter\\)$`, 'm'));
  assert.match(r, /^\s+\d+\s+\d+\s+no-op\s*$/m, 'the leader no-op');
  assert.match(r, 'set key="k" value=1 byte "v"');
  assert.match(r, /set key="k" value=1 byte "v" \[session \d+ seq \d+\]$/m, "the proposer's session and seq");
  assert.match(r, 'set key="long" value=44 bytes "abcdefghijklmnopqrstuvwxyz012345…"');
  assert.match(r, 'set key="bin" value=3 bytes 00ff10');
  assert.match(r, 'append key="k" suffix=1 byte "w" max=1024 bytes');
  assert.match(r, 'cas key="k" expect=2 bytes "vw" value=1 byte "x"');
  assert.match(r, 'cas key="fresh" expect=absent value=1 byte "1"');
  assert.match(r, 'delete key="bin"');
  assert.not.match(r, /earlier.*not shown/, 'a short log is listed whole');
  assert.match(r, /Snapshots \(.*\)\n  \(none\)/);
  assert.match(r, new RegExp(`conf change\\s+addLearner ${fx.learner.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(r, /^Membership at the end of the log, index \d+ \(2 configuration entries in the log, the last at index \d+\)$/m);
  assert.match(row(r, fx.address), /\svoter$/);
  assert.match(row(r, fx.learner), /\snon-voting$/);
});

test('hard state: term, the vote as the member address, commit', async () => {
  const r = await inspectUnchanged(fx.dataDir);
  const hs = r.split('Hard state\n')[1]!.split('\n');
  assert.match(hs[0]!, /TERM\s+VOTE\s+COMMIT/);
  const values = /^\s+(\d+)\s+(\S+) \(id \d+\)\s+(\d+)$/.exec(hs[1]!);
  assert.ok(values, hs[1]);
  const [, term, vote, commit] = values;
  assert.ok(Number(term) >= 2, 'the restart started a new term');
  assert.is(vote, fx.address, 'the node voted for itself');
  assert.is(Number(commit), fx.lastIndex);
});

test('after a snapshot: several segments, the last 100 entries, the snapshot verified, the membership with non-voting members', async () => {
  const r = await inspectUnchanged(fx.dataDir);
  assert.match(r, 'No damage found.');
  const segments = await segmentNames(fx.dataDir);
  assert.ok(segments.length >= 2, `several segments: ${segments.join(' ')}`);
  assert.not.ok(segments.includes('00000000000000000001.wal'), 'the snapshot compacted the first segment away');
  for (const name of segments) assert.match(row(r, name), /\sok$/);

  const title = /^Entries (\d+)\.\.(\d+) \((\d+) earlier not shown; --from and --limit choose the window\)$/m.exec(r);
  assert.ok(title, `entries title in:\n${r}`);
  assert.is(Number(title[2]), fx.lastIndex);
  assert.is(Number(title[2]) - Number(title[1]) + 1, 100);
  assert.match(r, 'append key="log" suffix=7 bytes "line 4\\n"');
  assert.match(r, 'delete key="key-0"');

  const snapshot = row(r, `${String(fx.snapshotIndex).padStart(20, '0')}-`);
  assert.match(snapshot, new RegExp(`\\s${fx.snapshotIndex}\\s`));
  assert.match(snapshot, `${fx.address} (voter)`);
  assert.match(snapshot, `${fx.learner} (non-voting)`);
  assert.not.match(snapshot, fx.joining, 'joined after the snapshot');
  assert.match(snapshot, /\sok$/);

  assert.match(r, new RegExp(`conf change\\s+addVoter ${fx.joining.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(r, `Membership at the end of the log, index ${fx.lastIndex} (snapshot at index ${fx.snapshotIndex} + 1 configuration entry after it)`);
  assert.match(row(r, fx.address), /\svoter$/);
  assert.match(row(r, fx.learner), /\snon-voting$/);
  assert.match(row(r, fx.joining), /\snon-voting, joining as a voter$/);
});

test('--from and --limit choose the window', async () => {
  const r = await inspectUnchanged(fx.dataDir, { from: 1, limit: 20 });
  const first = Number(/^  log: \d+ entries, indices (\d+)\.\./m.exec(r)![1]);
  assert.ok(first > 1);
  const title = /^Entries (\d+)\.\.(\d+) \((\d+) later not shown;/m.exec(r);
  assert.ok(title, r);
  assert.is(Number(title[1]), first);
  assert.is(Number(title[2]), first + 19);

  const past = await inspectDataDir(fx.dataDir, { from: fx.lastIndex + 1 });
  assert.match(past, `(none at or after index ${fx.lastIndex + 1} (the log ends at ${fx.lastIndex}))`);
});

test('what Wal.open would repair (torn tail, leftover files) is reported and left alone', async () => {
  const dir = join(fx.root, 'torn');
  await cp(fx.dataDir, dir, { recursive: true });
  const segments = await segmentNames(dir);
  const last = segments[segments.length - 1]!;
  // A write cut short: half a record where the next one goes, before the unwritten tail.
  const lastPath = join(dir, 'wal', last);
  const handle = await open(lastPath, 'r+');
  await handle.write(Buffer.from('half a record'), 0, 13, await writtenBytes(lastPath));
  await handle.close();
  await writeFile(join(dir, 'wal', `${segments[0]}.tmp`), 'partial');
  await writeFile(join(dir, 'snapshots', 'x.snap.abc.tmp'), 'partial');

  const r = await inspectUnchanged(dir);
  assert.match(r, /^1 problem found/m);
  assert.match(row(r, last), /torn tail at byte offset \d+: 13 bytes \(frame header CRC mismatch\); Wal\.open would truncate it$/);
  assert.match(r, `note: ${segments[0]}.tmp: leftover of an interrupted segment creation (Wal.open would delete it)`);
  assert.match(r, 'note: x.snap.abc.tmp: leftover of an interrupted snapshot write or transfer');
  assert.match(r, 'delete key="key-0"', 'the entries before the tail are all there');
});

test('a byte flipped in the middle of a segment is reported with the file and the record offset', async () => {
  const dir = join(fx.root, 'flipped');
  await cp(fx.dataDir, dir, { recursive: true });
  const segments = await segmentNames(dir);
  const victim = segments[0]!; // not the last one: damage there can never be a torn tail
  const path = join(dir, 'wal', victim);
  const bytes = await readFile(path);
  const flipped = Math.floor((await writtenBytes(path)) / 2); // inside the records, not the unwritten tail
  bytes[flipped] = bytes[flipped]! ^ 0xff;
  await writeFile(path, bytes);

  const r = await inspectUnchanged(dir);
  assert.match(r, /^\d+ problems? found \(see below\); nothing was repaired\./m);
  const line = row(r, victim);
  const found = /CRC mismatch at byte offset (\d+)/.exec(line);
  assert.ok(found, line);
  const offset = Number(found[1]);
  assert.ok(offset <= flipped && offset >= 64, `the damaged record (at ${offset}) holds the flipped byte (${flipped})`);
  assert.match(line, /Wal\.open would refuse the log/);
  for (const name of segments.slice(1)) assert.ok(row(r, name), 'the segments after it are still listed');
});

test('inspectMain exits 3 when the report names problems (damage, or a torn tail to repair), 0 when it names none', async () => {
  const dir = join(fx.root, 'exit-status');
  await cp(fx.dataDir, dir, { recursive: true });
  const clean = captured();
  assert.is(await inspectMain([dir], clean), 0);
  assert.match(clean.stdout, /^No damage found\.$/m);
  const segments = await segmentNames(dir);
  const path = join(dir, 'wal', segments[0]!);
  const bytes = await readFile(path);
  const flipped = Math.floor((await writtenBytes(path)) / 2);
  bytes[flipped] = bytes[flipped]! ^ 0xff;
  await writeFile(path, bytes);
  const damaged = captured();
  assert.is(await inspectMain([dir], damaged), 3);
  assert.match(damaged.stdout, /^\d+ problems? found \(see below\)/m);
  assert.is(damaged.stderr, '');
  const help = captured();
  assert.is(await inspectMain(['--help'], help), 0);
  assert.match(help.stdout, /Exit status: 0 no problems found, 3 problems found/);
});

test('the cluster fingerprint: shown when kept, said to be missing on a joiner, and a damaged CLUSTER file is a problem (exit 3)', async () => {
  assert.match(fx.firstReport, /^Cluster fingerprint [0-9a-f]{16} \(CLUSTER\): the same on every member of one cluster\.$/m);
  const dir = join(fx.root, 'fingerprint');
  await cp(fx.dataDir, dir, { recursive: true });
  await rm(join(dir, 'CLUSTER'));
  assert.match(await inspectDataDir(dir), /^No cluster fingerprint kept yet \(CLUSTER\)/m);
  await writeFile(join(dir, 'CLUSTER'), 'oops');
  const damaged = captured();
  assert.is(await inspectMain([dir], damaged), 3);
  assert.match(damaged.stdout, /^1 problem found \(see below\)/m);
  // README: the line under the report's title counts them (it came after the identity lines).
  assert.match(damaged.stdout.split('\n')[1]!, /^1 problem found \(see below\); nothing was repaired\.$/);
  assert.is(fx.firstReport.split('\n')[1], 'No damage found.');
  assert.match(damaged.stdout, /^Problem: .*CLUSTER does not hold a cluster fingerprint .* \(start\(\) refuses it\)$/m);
});

test('the data directory incarnation and the members\' kept: shown, and a lost (in a directory holding data and PEERS) or damaged INCARNATION or a damaged PEERS file is a problem (exit 3)', async () => {
  assert.match(fx.firstReport, /^Data directory incarnation [0-9a-f]{16} \(INCARNATION\): the members know this directory by it/m);
  assert.match(fx.firstReport, /^(No member incarnations kept \(PEERS\)\.|Member incarnations kept \(PEERS\): .*)$/m);
  const dir = join(fx.root, 'incarnation');
  await cp(fx.dataDir, dir, { recursive: true });
  await rm(join(dir, 'INCARNATION'));
  await writeFile(join(dir, 'PEERS'), '127.0.0.1:7001 0123456789abcdef\n127.0.0.1:7002 fedcba9876543210\n');
  const shown = await inspectDataDir(dir);
  // A user trial: this said "the next start makes one", exit 0; the members then refused the new one.
  assert.match(shown, /^1 problem found/m);
  assert.match(shown, new RegExp(`^Problem: no data directory incarnation \\(INCARNATION\\) .*every member's PEERS file holds it under ${fx.address.replaceAll('.', '\\.')} `, 'm'));
  assert.match(shown, /^Member incarnations kept \(PEERS\): 127\.0\.0\.1:7001 0123456789abcdef, 127\.0\.0\.1:7002 fedcba9876543210\.$/m);
  await writeFile(join(dir, 'INCARNATION'), 'oops');
  await writeFile(join(dir, 'PEERS'), 'garbage\n');
  const damaged = captured();
  assert.is(await inspectMain([dir], damaged), 3);
  assert.match(damaged.stdout, /^2 problems found \(see below\)/m);
  assert.match(damaged.stdout, /^Problem: .*INCARNATION does not hold this data directory's incarnation .* \(start\(\) refuses it\)$/m);
  assert.match(damaged.stdout, /^Problem: .*PEERS line 1 is not "ADDRESS INCARNATION" .* \(start\(\) refuses it\)$/m);
});

test('a snapshot whose data changed fails its check', async () => {
  const dir = join(fx.root, 'bad-snapshot');
  await cp(fx.dataDir, dir, { recursive: true });
  const [name] = (await readdir(join(dir, 'snapshots'))).filter((n) => n.endsWith('.snap'));
  const bytes = await readFile(join(dir, 'snapshots', name!));
  bytes[0] = bytes[0]! ^ 0xff;
  await writeFile(join(dir, 'snapshots', name!), bytes);
  const r = await inspectUnchanged(dir);
  assert.match(row(r, name!), /CORRUPT: data checksum mismatch$/);
  assert.match(r, /warning: the log starts at index \d+ and there is no valid snapshot/);
});

test('not a data directory: a clear error naming the path', async () => {
  const empty = join(fx.root, 'empty');
  await mkdir(empty);
  const missing = join(fx.root, 'missing');
  assert.is(await rejection(inspectDataDir(missing)), `${missing}: no such directory`);
  assert.is(await rejection(inspectDataDir(empty)), `${empty} is not a tsraft data directory: it has neither a wal/ nor a snapshots/ subdirectory`);
  assert.match(await rejection(inspectDataDir(join(fx.dataDir, 'wal'))), /wal is not a tsraft data directory.*pass the directory above it/);
});

test('inspectMain: 0 with the report, 2 naming a bad flag, 1 for a missing directory', async () => {
  const ok = captured();
  assert.is(await inspectMain([fx.dataDir, '--limit', '3'], ok), 0);
  assert.match(ok.stdout, /^Entries \d+\.\.\d+ \(\d+ earlier not shown/m);
  assert.is(ok.stdout.split('Entries ')[1]!.split('\n\n')[0]!.split('\n').length, 5, 'title, header, 3 entries');
  assert.is(ok.stderr, '');

  const from = captured();
  assert.is(await inspectMain([`--from=${fx.lastIndex}`, fx.dataDir], from), 0);
  assert.match(from.stdout, `Entries ${fx.lastIndex}..${fx.lastIndex} (`);

  const unknown = captured();
  assert.is(await inspectMain([fx.dataDir, '--bogus', '1'], unknown), 2);
  assert.match(unknown.stderr, 'unknown flag --bogus');
  assert.is(unknown.stdout, '');

  for (const args of [[fx.dataDir, '--limit', 'ten'], [fx.dataDir, '--limit', '0'], [fx.dataDir, '--from'], [], [fx.dataDir, fx.dataDir]]) {
    const bad = captured();
    assert.is(await inspectMain(args, bad), 2, args.join(' '));
    assert.match(bad.stderr, 'usage: raft-node inspect <path>');
  }

  const missing = captured();
  const path = join(fx.root, 'no-such-dir');
  assert.is(await inspectMain([path], missing), 1);
  assert.match(missing.stderr, `${path}: no such directory`);
});

test.run();
