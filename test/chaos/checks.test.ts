// The chaos suite's own machinery, without raft-node: the final-state check catches lost,
// duplicated, invented and reordered writes; the schedule is a function of the seed; a network
// namespace partition really stops traffic and healing restores it; namespaces of dead runs are
// removed.
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HistoryRecorder } from '../support/lincheck/index.js';
import { NETNS_PREFIX, NetnsLab, netnsAvailable, removeStale } from './netns.js';
import { acknowledgedCheck } from './report.js';
import { FAULT_KINDS, makeSchedule } from './schedule.js';

/** p1 writes w1, p2 appends |a1 and |a2 after it; p3's write of w3 is of unknown outcome. */
function history(): HistoryRecorder {
  const h = new HistoryRecorder();
  h.invoke(1, 'write', 'k', 'w1');
  h.ok(1);
  h.invoke(2, 'append', 'k', '|a1');
  h.ok(2);
  h.invoke(2, 'append', 'k', '|a2');
  h.ok(2);
  h.invoke(4, 'cas', 'k', ['nope', 'c4']);
  h.fail(4);
  return h;
}

test('final-state check: the right value passes; lost, duplicated, invented, reordered and stale values fail', () => {
  const ok = acknowledgedCheck(history().events, { k: 'w1|a1|a2' });
  assert.ok(ok.pass, ok.details.join('\n'));
  const cases: Array<[string | null, RegExp]> = [
    ['w1|a1', /acknowledged append "\|a2".* is lost/],
    ['w1|a1|a2|a2', /twice/],
    ['w1|a1|a2|a9', /no append that may have happened/],
    ['w1|a2|a1', /comes after it/],
    ['c4|a1|a2', /no write or CAS that may have happened/],
    [null, /missing at the end/],
    ['|a1|a2', /holds no write or delete at all/],
  ];
  for (const [final, problem] of cases) {
    const r = acknowledgedCheck(history().events, { k: final });
    assert.not.ok(r.pass, `${final} must fail`);
    assert.match(r.details.join('\n'), problem, `${final}: ${r.details.join('; ')}`);
  }
  // An overwrite of unknown outcome may have wiped the appends, or not.
  const h = history();
  h.invoke(3, 'write', 'k', 'w3');
  h.info(3);
  for (const final of ['w3', 'w1|a1|a2']) assert.ok(acknowledgedCheck(h.events, { k: final }).pass, final);
  // w3 began after |a2 returned: |a2 cannot follow it.
  assert.match(acknowledgedCheck(h.events, { k: 'w3|a2' }).details.join('\n'), /returned before the write of the base "w3"/);
  // ... but an append acknowledged after the base write returned must be there.
  const late = history();
  late.invoke(3, 'write', 'k', 'w3');
  late.ok(3);
  late.invoke(2, 'append', 'k', '|a3');
  late.ok(2);
  assert.ok(acknowledgedCheck(late.events, { k: 'w3|a3' }).pass);
  assert.match(acknowledgedCheck(late.events, { k: 'w3' }).details.join('\n'), /"\|a3".* is lost/);
  assert.match(acknowledgedCheck(late.events, { k: 'w1|a1|a2|a3' }).details.join('\n'), /began after "w1"/);
});

test('final-state check with deletes: a key deleted last is missing or holds only appends made after the delete; a delete does not excuse what began after it returned', () => {
  const deleted = history();
  deleted.invoke(5, 'delete', 'k');
  deleted.ok(5);
  assert.ok(acknowledgedCheck(deleted.events, { k: null }).pass, 'deleted after everything: missing');
  assert.match(acknowledgedCheck(deleted.events, { k: 'w1|a1|a2' }).details.join('\n'), /"w1".*holds no write or delete|began after/, 'the delete was lost');
  // An append acknowledged after the delete returned recreates the key and must be there.
  const recreated = history();
  recreated.invoke(5, 'delete', 'k');
  recreated.ok(5);
  recreated.invoke(2, 'append', 'k', '|a5');
  recreated.ok(2);
  assert.ok(acknowledgedCheck(recreated.events, { k: '|a5' }).pass);
  const lost = acknowledgedCheck(recreated.events, { k: null });
  assert.not.ok(lost.pass);
  assert.match(lost.details.join('\n'), /acknowledged append "\|a5".* is lost.*missing at the end/);
  assert.match(acknowledgedCheck(recreated.events, { k: '|a1|a5' }).details.join('\n'), /"\|a1".*returned before the delete/, 'an append before the delete survived it');
  // A write acknowledged after the delete returned: the key cannot be missing.
  const rewritten = history();
  rewritten.invoke(5, 'delete', 'k');
  rewritten.ok(5);
  rewritten.invoke(6, 'write', 'k', 'w6');
  rewritten.ok(6);
  assert.ok(acknowledgedCheck(rewritten.events, { k: 'w6' }).pass);
  assert.match(acknowledgedCheck(rewritten.events, { k: null }).details.join('\n'), /the write "w6".* began after "" \(the delete/);
  // A delete of unknown outcome may or may not have applied.
  const unsure = history();
  unsure.invoke(5, 'delete', 'k');
  unsure.info(5);
  for (const final of [null, 'w1|a1|a2']) assert.ok(acknowledgedCheck(unsure.events, { k: final }).pass, String(final));
  // Two deletes: the later one (which began after the append) explains the missing key.
  const twice = new HistoryRecorder();
  twice.invoke(1, 'delete', 'k');
  twice.ok(1);
  twice.invoke(2, 'append', 'k', '|a1');
  twice.ok(2);
  twice.invoke(1, 'delete', 'k');
  twice.ok(1);
  assert.ok(acknowledgedCheck(twice.events, { k: null }).pass, 'the second delete removed |a1');
});

test('the schedule is a function of the seed, inside the run time, one window at a time', () => {
  const a = makeSchedule(42, 60_000, FAULT_KINDS);
  assert.equal(a, makeSchedule(42, 60_000, FAULT_KINDS));
  assert.not.equal(a, makeSchedule(43, 60_000, FAULT_KINDS));
  for (const [i, f] of a.entries()) {
    assert.ok(f.at + f.duration <= 59_000, 'ends before the clients stop');
    if (i > 0) assert.ok(f.at >= a[i - 1]!.at + a[i - 1]!.duration, 'no overlap');
  }
  assert.is(new Set(a.slice(0, FAULT_KINDS.length).map((f) => f.kind)).size, Math.min(FAULT_KINDS.length, a.length), 'every kind before a repeat');
  assert.equal(makeSchedule(42, 60_000, []), []);
});

const can = netnsAvailable();
test(`network namespaces: a partition stops traffic, healing restores it, nothing is left behind${can.ok ? '' : ` (skipped: ${can.reason})`}`, async () => {
  if (!can.ok) return;
  const lab = await NetnsLab.create();
  const servers: ReturnType<typeof spawn>[] = [];
  try {
    const hosts = await Promise.all([0, 1].map((i) => lab.addHost(i)));
    // A TCP echo server inside each namespace, on its own address.
    for (const [i, h] of hosts.entries()) {
      const code = `require('net').createServer((s) => s.pipe(s)).listen(7000, '${h.ip}', () => console.log('up'))`;
      const [cmd, ...args] = [...lab.wrap(i), process.execPath, '-e', code];
      const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      servers.push(child);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    }
    // Can namespace `from` open a connection to `to` within 1 s?
    const reach = (from: number, to: string): boolean => {
      const code = `const s = require('net').connect(7000, '${to}', () => process.exit(0)); s.on('error', () => process.exit(1)); setTimeout(() => process.exit(2), 1000)`;
      try {
        const [cmd, ...args] = [...lab.wrap(from), process.execPath, '-e', code];
        execFileSync(cmd!, args, { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(reach(0, hosts[1]!.ip) && reach(1, hosts[0]!.ip), 'connected before the partition');
    await lab.cut([{ from: 0, to: 1 }]);
    assert.not.ok(reach(0, hosts[1]!.ip), 'one-way cut: 0 cannot reach 1');
    // (A blackhole route dropped 0's answers as well: every one-way cut was two-way; found in review.)
    assert.ok(reach(1, hosts[0]!.ip), 'one-way cut: 1 still reaches 0');
    await lab.heal();
    await lab.partition([0], [1]);
    assert.not.ok(reach(0, hosts[1]!.ip), 'partitioned: 0 -/-> 1');
    assert.not.ok(reach(1, hosts[0]!.ip), 'partitioned: 1 -/-> 0');
    await lab.heal();
    assert.ok(reach(0, hosts[1]!.ip) && reach(1, hosts[0]!.ip), 'connected again after healing');
  } finally {
    for (const s of servers) s.kill('SIGKILL');
    await lab.destroy();
  }
  assert.equal(lab.leftovers(), [], 'namespaces and links removed');

  // Leftovers of a run whose process died are removed by the next run (or by removeStale).
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => dead.once('exit', resolve));
  const stale = `${NETNS_PREFIX}${dead.pid!.toString(36)}z-0`;
  execFileSync('ip', ['netns', 'add', stale]);
  assert.ok(removeStale().includes(stale), 'stale namespace removed');
  assert.not.ok(execFileSync('ip', ['netns', 'list']).toString().includes(stale));
});

test.run();
