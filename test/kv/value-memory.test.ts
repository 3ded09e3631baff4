// Memory a stored value keeps alive. A value written by compare-and-set was a view into the
// decoded command payload, which also holds the key and the whole `expect` bytes: the store
// kept the old value's bytes alive for as long as the new value lived.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandRegistry } from '../../src/command.js';
import { bytesCodec } from '../../src/codec.js';
import { CasCommand, KV_COMMANDS, KvStore, SetCommand } from '../../src/kv/index.js';

function registry(): CommandRegistry<KvStore> {
  const r = new CommandRegistry<KvStore>(bytesCodec);
  for (const cls of KV_COMMANDS) r.register(cls as never);
  return r;
}

test('a small value written by CAS over a 1 MiB value does not keep the 1 MiB expect alive (memory per key ~ value size)', () => {
  const r = registry();
  const store = new KvStore();
  const big = Buffer.alloc(1024 * 1024, 7);
  r.decode(r.encode(new SetCommand('doc', big))).do(store);
  // The usual optimistic-concurrency step: replace the document we read with a new (small) one.
  const result = r.decode(r.encode(new CasCommand('doc', big, Buffer.from('v2')))).do(store) as { ok: boolean };
  assert.ok(result.ok);
  const stored = store.get('doc')!;
  assert.is(stored.toString(), 'v2');
  // Expected: the 2-byte value costs about 2 bytes (at most a small constant more);
  // observed: it is a view into the 1 MiB + payload of the CAS command.
  assert.ok(stored.buffer.byteLength < 64 * 1024, `a 2-byte value keeps an ArrayBuffer of ${stored.buffer.byteLength} bytes alive`);
});

test('100 keys CAS-replaced from 256 KiB to 16-byte values: retained ArrayBuffer bytes stay near the data size', () => {
  const r = registry();
  const store = new KvStore();
  const old = Buffer.alloc(256 * 1024, 1);
  for (let i = 0; i < 100; i++) {
    r.decode(r.encode(new SetCommand(`k${i}`, old))).do(store);
    r.decode(r.encode(new CasCommand(`k${i}`, old, Buffer.alloc(16, 2)))).do(store);
  }
  const buffers = new Set<ArrayBufferLike>();
  for (const [, v] of store.entries()) buffers.add(v.buffer);
  let retained = 0;
  for (const b of buffers) retained += b.byteLength;
  assert.ok(retained < 1024 * 1024, `1,600 bytes of values keep ${retained} bytes alive`);
});

test.run();
