// A node's judgement of data directory incarnations (src/incarnation-guard.ts): when a refusal of
// its streams stops it, when a joiner counts itself refused by all, and which members' records a
// configuration change forgets or adopts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Member, Membership } from '../../src/core/index.js';
import { IncarnationGuard, type IncarnationGuardOptions } from '../../src/incarnation-guard.js';
import { memberId } from '../../src/members.js';

const SELF = '127.0.0.1:7000';
const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const ONE = '0123456789abcdef';
const TWO = 'fedcba9876543210';

interface Harness {
  guard: IncarnationGuard;
  warnings: string[];
  /** Moves the guard's clock on by `ms`. */
  advance: (ms: number) => void;
  dir: string;
}

async function withGuard(options: Partial<IncarnationGuardOptions>, body: (h: Harness) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-guard-'));
  let clock = 1_000;
  const warnings: string[] = [];
  try {
    const guard = await IncarnationGuard.claim({
      dataDir: dir,
      joining: false,
      electionTimeoutMs: 300,
      log: (level, line) => level === 'warn' && warnings.push(line),
      now: () => clock,
      ...options,
    });
    await body({ guard, warnings, advance: (ms) => (clock += ms), dir });
    await guard.settled();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function members(...addresses: string[]): Membership {
  return addresses.map((context): Member => ({ id: memberId(context), role: 'voter', promote: false, context }));
}

test('incarnation guard: a node started without join on a new data directory stops when a member refuses it, naming the member, the reason and its incarnation', () =>
  withGuard({}, async ({ guard, dir }) => {
    for (const holdsMore of [false, true]) {
      const stopFor = guard.refused(A, 'heard as another incarnation', holdsMore);
      assert.type(stopFor, 'string', `holdsMore ${holdsMore}`);
      assert.match(stopFor!, `the member ${A} refuses this node's streams: heard as another incarnation`);
      assert.match(stopFor!, `${dir} has incarnation ${guard.incarnation}`);
      assert.match(stopFor!, 'move it away before starting with join');
    }
  }));

test('incarnation guard: a kept directory holding only its founding entry stops when refused; one holding more bears it, warning once per member', () =>
  withGuard({}, async ({ dir }) => {
    // The second start on the directory: the incarnation was kept, not made.
    const again = await IncarnationGuard.claim({ dataDir: dir, joining: false, electionTimeoutMs: 300, log: () => {} });
    assert.type(again.refused(A, 'r', false), 'string', 'only the founding entry: a wiped member that founded again');
    const warnings: string[] = [];
    const kept = await IncarnationGuard.claim({ dataDir: dir, joining: false, electionTimeoutMs: 300, log: (_level, line) => warnings.push(line) });
    assert.is(kept.refused(A, 'r', true), undefined);
    assert.is(kept.refused(A, 'r', true), undefined);
    assert.is(warnings.length, 1, 'said once for A');
    assert.match(warnings[0]!, `the member ${A} refuses this node's streams: r`);
    assert.match(warnings[0]!, 'taken for a member that has not yet received this node\'s removal and re-addition');
    assert.is(kept.refused(B, 'r', true), undefined);
    assert.is(warnings.length, 2, 'said once for B');
  }));

test('incarnation guard: a joiner is never stopped by one refusal; it counts as refused by all once every member it asks refused it for longer than catching up takes', () =>
  withGuard({ joining: true }, async ({ guard, advance }) => {
    const outlasts = guard.refusalOutlastsCatchUpMs();
    assert.ok(outlasts >= 2 * 2000 + 2 * 300, `longer than two backoffs and two election timeouts (${outlasts} ms)`);
    const asked = [memberId(A), memberId(B)];
    assert.is(guard.refusedByAll(asked, memberId(A)), undefined, 'nobody refused yet');
    assert.is(guard.refused(A, 'A says no', false), undefined, 'a joiner goes on');
    advance(outlasts);
    assert.is(guard.refusedByAll(asked, memberId(A)), undefined, 'B has not refused');
    assert.is(guard.refused(B, 'B says no', false), undefined);
    advance(outlasts - 1);
    assert.is(guard.refusedByAll(asked, memberId(A)), undefined, 'B\'s refusal has not outlasted catching up');
    // A later refusal by the same member keeps the time of its first.
    assert.is(guard.refused(B, 'B says no again', false), undefined);
    advance(1);
    assert.is(guard.refusedByAll(asked, memberId(B)), 'B says no again', 'the asked member\'s reason');
    assert.is(guard.refusedByAll(asked, memberId('127.0.0.1:7009')), 'A says no', 'else the first candidate\'s');
    assert.is(guard.refusedByAll([], memberId(A)), undefined, 'no candidates: never');
    guard.letIn(A);
    assert.is(guard.refusedByAll(asked, memberId(B)), undefined, 'A let a stream in: its refusal is over');
    guard.refused(A, 'A says no', false);
    assert.is(guard.refusedByAll(asked, memberId(B)), undefined, 'A\'s new refusal starts the wait again');
  }));

test('incarnation guard: a configuration change forgets the members that left, in the new configuration or any adopted since, and keeps the rest', () =>
  withGuard({}, async ({ guard }) => {
    await guard.peers.admit(A, ONE, true);
    await guard.peers.admit(B, TWO, true);
    // A lagging follower appends B's removal and its re-addition at once.
    guard.membershipChanged(members(SELF, A, B), [members(SELF, A), members(SELF, A, B)], SELF);
    assert.is(guard.peers.get(A), ONE, 'A stayed');
    assert.is(guard.peers.get(B), undefined, 'B left in between: its new directory is heard again');
    guard.membershipChanged(members(SELF, B), [members(SELF, B)], SELF);
    assert.is(guard.peers.get(A), undefined, 'A left');
  }));

test('incarnation guard: a member without a record adopts the one incarnation its open streams dialed in with; none when two differ, never for itself', () =>
  withGuard({}, async ({ guard }) => {
    await guard.peers.admit(A, ONE, true);
    const heard: Record<string, string[]> = { [SELF]: [ONE], [A]: [TWO], [B]: [TWO] };
    guard.membershipChanged(members(SELF, A, B), [members(SELF, A, B)], SELF, (address) => heard[address] ?? []);
    assert.is(guard.peers.get(A), ONE, 'a kept record is not replaced');
    assert.is(guard.peers.get(B), TWO, 'B adopted');
    assert.is(guard.peers.get(SELF), undefined, 'never itself');
    guard.forgetAll();
    heard[B] = [ONE, TWO];
    guard.membershipChanged(members(SELF, A, B), [members(SELF, A, B)], SELF, (address) => heard[address] ?? []);
    assert.is(guard.peers.get(B), undefined, 'two incarnations at one address: ambiguous, neither kept');
    assert.is(guard.peers.get(A), TWO, 'A, forgotten with the snapshot, adopts the one it dialed in with');
  }));

test('incarnation guard: the incarnation is made at the first start and kept after', () =>
  withGuard({}, async ({ guard, dir }) => {
    const again = await IncarnationGuard.claim({ dataDir: dir, joining: false, electionTimeoutMs: 300, log: () => {} });
    assert.is(again.incarnation, guard.incarnation);
    assert.type(guard.refused(A, 'r', true), 'string', 'made: stops even holding more');
    assert.is(again.refused(A, 'r', true), undefined, 'kept: bears it');
  }));

test.run();
