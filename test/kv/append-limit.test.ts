// The append command's value limit (src/kv/commands.ts): an AppendCommand carries the longest
// value it may produce, and the state machine refuses — changing nothing — an append that would
// go past it, the same on every member whatever its own --max-value-bytes. Appends logged before
// the limit existed (type id 3, no limit field) still decode and apply, without a limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesCodec } from '../../src/codec.js';
import { CommandRegistry } from '../../src/command.js';
import { AppendCommand, KV_COMMANDS, KvStore, LegacyAppendCommand, SetCommand } from '../../src/kv/index.js';
import { entry, u32 } from './helpers.js';

function registry(): CommandRegistry<KvStore> {
  const r = new CommandRegistry<KvStore>(bytesCodec);
  for (const cls of KV_COMMANDS) r.register(cls);
  return r;
}

const reg = registry();

const MiB = 1024 * 1024;

test('an append that would pass the limit is refused and changes nothing; the result says the length', () => {
  const s = new KvStore();
  const full = Buffer.alloc(MiB, 0x61);
  new SetCommand('k', full).do(s);
  const digest = s.digest();
  assert.equal(new AppendCommand('k', Buffer.from('x'), MiB).do(s), { ok: false, length: MiB });
  assert.is(s.get('k'), full, 'the very same value stays');
  assert.is(s.digest(), digest);
  // A missing key counts as empty: a suffix longer than the limit is refused and creates nothing.
  assert.equal(new AppendCommand('new', Buffer.alloc(11), 10).do(s), { ok: false, length: 0 });
  assert.not.ok(s.has('new'));
});

test('appends up to exactly the limit succeed, also an empty one at the limit', () => {
  const s = new KvStore();
  new SetCommand('k', Buffer.alloc(MiB - 1, 0x61)).do(s);
  assert.equal(new AppendCommand('k', Buffer.from('x'), MiB).do(s), { ok: true, length: MiB });
  assert.is(s.get('k')!.length, MiB);
  assert.is(s.get('k')![MiB - 1], 0x78);
  assert.equal(new AppendCommand('k', Buffer.alloc(0), MiB).do(s), { ok: true, length: MiB });
  assert.equal(new AppendCommand('fresh', Buffer.alloc(10), 10).do(s), { ok: true, length: 10 });
  assert.equal(new AppendCommand('zero', Buffer.alloc(0), 0).do(s), { ok: true, length: 0 });
  // Without a limit, values grow freely.
  assert.equal(new AppendCommand('k', Buffer.from('yz')).do(s), { ok: true, length: MiB + 2 });
});

test('wire layout of an append: type 5, [key][u8 has limit][u32 LE limit][suffix]', () => {
  const hex = (c: AppendCommand): string => Buffer.from(reg.encode(c)).toString('hex');
  assert.is(hex(new AppendCommand('é', Buffer.from([0, 1]), MiB)), '05000000' + '02000000' + 'c3a9' + '01' + '00001000' + '0001');
  assert.is(hex(new AppendCommand('é', Buffer.from([0, 1]))), '05000000' + '02000000' + 'c3a9' + '00' + '00000000' + '0001');
});

test('the limit round-trips through the log (and its absence), with the suffix byte for byte', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  for (const limit of [undefined, 0, 1, MiB, 0xffff_ffff]) {
    for (const suffix of [all, Buffer.alloc(0)]) {
      const back = reg.decode(reg.encode(new AppendCommand('k/𝄞', suffix, limit)));
      assert.instance(back, AppendCommand);
      const a = back as AppendCommand;
      assert.is(a.key, 'k/𝄞');
      assert.is(a.maxLength, limit);
      assert.ok(a.suffix.equals(suffix));
    }
  }
});

test('an append logged in the old format (type 3, no limit field) decodes as an unlimited AppendCommand and applies', () => {
  // Bytes as the previous AppendCommand (type 3) wrote them: [type][key length][key][suffix].
  const old = entry(3, u32(3), Buffer.from('log'), Buffer.from('line 1\n'));
  assert.is(Buffer.from(old).toString('hex'), Buffer.from(reg.encode(new LegacyAppendCommand('log', Buffer.from('line 1\n')))).toString('hex'));
  const back = reg.decode(old);
  assert.instance(back, AppendCommand);
  assert.is((back as AppendCommand).key, 'log');
  assert.is((back as AppendCommand).suffix.toString(), 'line 1\n');
  assert.is((back as AppendCommand).maxLength, undefined);
  const s = new KvStore();
  new SetCommand('log', Buffer.alloc(2 * MiB, 0x2e)).do(s);
  assert.equal(back.do(s), { ok: true, length: 2 * MiB + 7 }, 'no limit applies to an old append');
  assert.is(s.get('log')!.subarray(2 * MiB).toString(), 'line 1\n');
  // An old append of a key with an empty suffix, too.
  const empty = reg.decode(entry(3, u32(1), Buffer.from('e')));
  assert.equal(empty.do(s), { ok: true, length: 0 });
  assert.ok(s.has('e'));
});

test('malformed append payloads are refused with a TypeError naming the problem', () => {
  const throwsWith = (data: Uint8Array, pattern: RegExp): void => {
    try {
      reg.decode(data);
    } catch (error) {
      assert.instance(error, TypeError);
      assert.match((error as Error).message, pattern);
      return;
    }
    assert.unreachable(`expected a TypeError matching ${String(pattern)}`);
  };
  throwsWith(entry(5, u32(1), Buffer.from('k'), Buffer.from([1, 0, 0])), /append command payload too short/);
  throwsWith(entry(5, u32(1), Buffer.from('k'), Buffer.from([2]), u32(5)), /has-limit flag must be 0 or 1, got 2/);
  throwsWith(entry(5, u32(1), Buffer.from('k'), Buffer.from([0]), u32(5)), /without a limit has a limit field of 5/);
  throwsWith(entry(5, u32(9), Buffer.from('k')), /key length 9 exceeds the payload/);
});

test('a limit that is not a u32 is refused when the command is made', () => {
  for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
    assert.throws(() => new AppendCommand('k', Buffer.alloc(0), bad), (e: unknown) => e instanceof RangeError && /maxLength/.test((e as Error).message), String(bad));
  }
});

test.run();
