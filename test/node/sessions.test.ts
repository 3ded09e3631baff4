// Proposer sessions: the header every command entry carries and the table every node builds from
// the log, which makes a proposal proposed again after a leader failure apply once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionTable, decodeSessionFrame, encodeSessionHeader, isSessionRecords, type SessionHeader } from '../../src/sessions.js';
import { ProposerSession } from '../../src/proposer-session.js';
import { CommandRegistry } from '../../src/command.js';
import { jsonCodec } from '../../src/codec.js';

class Incr {
  static readonly type = 7;
  constructor(readonly by: number) {}
  do(ctx: { n: number }): number {
    ctx.n += this.by;
    return ctx.n;
  }
}

const h = (session: number, seq: number, floor = seq): SessionHeader => ({ session, seq, floor });

test('session header: round-trips small and 48-bit numbers, and the command bytes follow it', () => {
  const registry = new CommandRegistry<{ n: number }>(jsonCodec);
  registry.register(Incr);
  for (const header of [h(1, 1), h(2 ** 48 - 1, 2 ** 40 + 3, 2 ** 40 - 70000), h(123456, 300, 1)]) {
    const data = registry.encode(new Incr(5), header);
    assert.equal(data.subarray(0, data.byteLength - registry.encode(new Incr(5)).byteLength), encodeSessionHeader(header));
    const frame = decodeSessionFrame(data);
    assert.equal(frame.header, header);
    const ctx = { n: 1 };
    assert.is(registry.decode(frame.command).do(ctx), 6);
  }
});

test('session header: command data written without one (older logs) decodes with no header', () => {
  const registry = new CommandRegistry<{ n: number }>(jsonCodec);
  registry.register(Incr);
  const data = registry.encode(new Incr(2));
  const frame = decodeSessionFrame(data);
  assert.is(frame.header, undefined);
  assert.is(frame.command, data);
});

test('session header: a truncated or unknown-version header is refused with a message naming it', () => {
  const good = encodeSessionHeader(h(99999, 5));
  assert.throws(() => decodeSessionFrame(good.subarray(0, 6)), /ends inside its session header/);
  const other = good.slice();
  other[4] = 9;
  assert.throws(() => decodeSessionFrame(other), /unknown version 9/);
  const beyond = new Uint8Array([0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  assert.throws(() => decodeSessionFrame(beyond), /beyond 2\^53/);
});

test('session table: a retried proposal (same session and seq) does not run again and answers with the first outcome', () => {
  const t = new SessionTable();
  assert.equal(t.admit(h(1, 1), 10), { run: true });
  t.record(h(1, 1), { result: 'first', error: undefined });
  assert.equal(t.admit(h(1, 1), 14), { run: false, outcome: { result: 'first', error: undefined }, stale: false });
  // Another session's seq 1 is another proposal.
  assert.equal(t.admit(h(2, 1), 15), { run: true });
});

test('session table: an entry below its session floor (a proposal given up) is skipped as stale', () => {
  const t = new SessionTable();
  t.admit(h(1, 1), 1); // seq 1 sent, never answered, given up
  t.record(h(1, 1), { result: 1, error: undefined });
  assert.equal(t.admit(h(1, 3, 3), 2), { run: true }); // floor 3: seqs 1 and 2 are settled
  t.record(h(1, 3, 3), { result: 3, error: undefined });
  assert.equal(t.admit(h(1, 2, 2), 3), { run: false, outcome: undefined, stale: true });
});

test('session table: outcomes below the floor are forgotten as the floor rises (bounded memory)', () => {
  const t = new SessionTable();
  for (let seq = 1; seq <= 10_000; seq++) {
    const header = h(1, seq, Math.max(1, seq - 5));
    assert.ok(t.admit(header, seq).run);
    t.record(header, { result: seq, error: undefined });
  }
  const [[, floor, lastIndex, seqs]] = t.toRecords() as [[number, number, number, number[]]];
  assert.is(floor, 9995);
  assert.is(lastIndex, 10_000);
  assert.equal(seqs, [9995, 9996, 9997, 9998, 9999, 10_000]);
  assert.ok(t.seqsHeld < 128, `${t.seqsHeld} seqs held`);
});

test('session table: beyond its capacity the least recently active session is forgotten', () => {
  const t = new SessionTable(3);
  t.admit(h(1, 1), 1);
  t.admit(h(2, 1), 2);
  t.admit(h(3, 1), 3);
  t.admit(h(1, 2), 4); // session 1 active again
  t.admit(h(4, 1), 5); // session 2 is the least recently active
  assert.equal(t.toRecords().map((r) => r[0]).sort(), [1, 3, 4]);
});

test('session table: a snapshot round trip keeps which seqs applied, not their results', () => {
  const t = new SessionTable();
  t.admit(h(1, 4, 2), 8);
  t.record(h(1, 4, 2), { result: 'x', error: undefined });
  const records = JSON.parse(JSON.stringify(t.toRecords())) as unknown;
  assert.ok(isSessionRecords(records));
  const restored = new SessionTable();
  restored.restore(records);
  assert.equal(restored.admit(h(1, 4, 2), 9), { run: false, outcome: undefined, stale: false });
  assert.equal(restored.admit(h(1, 1, 1), 10), { run: false, outcome: undefined, stale: true });
  assert.equal(restored.admit(h(1, 5, 2), 11), { run: true });
  assert.not.ok(isSessionRecords([[1, 2, 3]]));
  assert.not.ok(isSessionRecords([[1, -2, 3, []]]));
});

test('proposer session: the floor is the lowest seq still waiting, whatever order answers come in', () => {
  const p = new ProposerSession();
  const [a, b, c] = [p.begin(), p.begin(), p.begin()];
  assert.is(p.lowestWaiting, a);
  p.end(b);
  assert.is(p.lowestWaiting, a);
  p.end(a);
  assert.is(p.lowestWaiting, c);
  p.end(c);
  assert.is(p.lowestWaiting, c + 1);
  assert.equal(p.header(p.begin()), { session: p.session, seq: c + 1, floor: c + 1 });
  assert.ok(Number.isSafeInteger(p.session));
});

test.run();
