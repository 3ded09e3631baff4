import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr, Unpackr } from 'msgpackr';
import { SeededRandom } from '../../src/core/rng.js';
import type { Message } from '../../src/core/messages.js';
import { decodeBatch, encodeBatch, estimateMessageSize, RECORDS_FROM_OBJECTS, WireError } from '../../src/transport/wire.js';
import { ALL_EXAMPLES, EXAMPLES } from './fixtures.js';

/** Encode a raw value the way a (buggy or hostile) peer might, bypassing our encoder. */
const raw = (value: unknown): Buffer => new Packr({ useRecords: false }).pack(value);

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  try {
    decodeBatch(bytes);
  } catch (err) {
    assert.instance(err, WireError);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`decoding should have failed with ${pattern}`);
}

function byteFields(m: Message): Uint8Array[] {
  if (m.type === 'append') return m.entries.map((e) => e.data);
  if (m.type === 'snapshot') return [m.data];
  return [];
}

for (const example of ALL_EXAMPLES) {
  test(`a ${example.type} message round-trips unchanged`, () => {
    const [decoded] = decodeBatch(encodeBatch([example]));
    assert.equal(decoded, example);
    for (const b of byteFields(decoded!)) assert.is(b.constructor, Uint8Array, 'byte fields come back as plain Uint8Array');
  });
}

test('a batch of every type round-trips in order, twice in a row (encoder state does not leak between batches)', () => {
  const batch = [...ALL_EXAMPLES, ...ALL_EXAMPLES];
  assert.equal(decodeBatch(encodeBatch(batch)), batch);
  assert.equal(decodeBatch(encodeBatch(batch)), batch);
  assert.equal(decodeBatch(encodeBatch([])), []);
});

test('every batch is self-contained: a fresh decoder reads it after the encoder made many others', () => {
  for (let i = 0; i < 50; i++) encodeBatch(i % 2 ? ALL_EXAMPLES : [EXAMPLES.heartbeat]);
  const fresh = new Unpackr({ useRecords: true, mapsAsObjects: true, int64AsType: 'number' });
  const decoded = fresh.unpack(encodeBatch(ALL_EXAMPLES)) as Message[];
  assert.equal(decoded.map((m) => m.type), ALL_EXAMPLES.map((m) => m.type));
  assert.equal(JSON.stringify(decoded[0]), JSON.stringify(EXAMPLES.vote));
});

/** An append carrying `n` entries: n + 1 objects in its batch. */
function appendOf(n: number): Message {
  const entry = EXAMPLES.append.entries[0]!;
  return { ...EXAMPLES.append, entries: Array.from({ length: n }, (_, i) => ({ ...entry, index: entry.index + i })) };
}

test('a batch of few objects is plain MessagePack maps: any MessagePack decoder reads it', () => {
  const small = [appendOf(RECORDS_FROM_OBJECTS - 2)];
  const plain = new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(new Uint8Array(encodeBatch(small))) as Message[];
  assert.equal(JSON.stringify(plain), JSON.stringify(small));
  assert.equal(decodeBatch(encodeBatch(small)), small);
});

test('a batch of many objects uses records: smaller than maps, and it round-trips', () => {
  for (const batch of [[appendOf(RECORDS_FROM_OBJECTS - 1)], [appendOf(64)], Array.from({ length: 32 }, () => EXAMPLES.appendResp)]) {
    const encoded = encodeBatch(batch);
    assert.ok(encoded.byteLength < raw(batch).byteLength, `records make ${encoded.byteLength} bytes, maps ${raw(batch).byteLength}`);
    assert.equal(decodeBatch(encoded), batch);
  }
});

test("the decoder reads either form of any batch (the encoding is the sender's choice)", () => {
  const withRecords = new Packr({ useRecords: true });
  for (const batch of [[EXAMPLES.heartbeat], [appendOf(2)], ALL_EXAMPLES, [appendOf(40)]]) {
    assert.equal(decodeBatch(raw(batch)), batch);
    assert.equal(decodeBatch(withRecords.pack(batch)), batch);
  }
});

test('decoding from a Buffer slice inside a larger buffer works and copies byte fields out of it', () => {
  const encoded = encodeBatch([EXAMPLES.snapshot]);
  const big = Buffer.alloc(encoded.length + 10);
  encoded.copy(big, 5);
  const [m] = decodeBatch(big.subarray(5, 5 + encoded.length)) as [typeof EXAMPLES.snapshot];
  assert.equal(m, EXAMPLES.snapshot);
  big.fill(0);
  assert.equal([...m.data], [9, 8, 7], 'the decoded bytes do not alias the receive buffer');
});

test('unknown extra fields are stripped, not passed to the core', () => {
  const [m] = decodeBatch(raw([{ ...EXAMPLES.timeoutNow, evil: 'x', __proto__x: 1 }]));
  assert.equal(Object.keys(m!).sort(), ['from', 'term', 'to', 'type']);
});

test('notMember.commitTerm is optional on the wire: a notice from an older member without it (or with nil) is taken, a wrong type refused', () => {
  const { commitTerm: _, ...older } = EXAMPLES.notMember as Extract<Message, { type: 'notMember' }>;
  const [decoded] = decodeBatch(new Packr({ useRecords: false }).pack([older]));
  assert.equal(decoded, older);
  assert.not.ok('commitTerm' in decoded!, 'absent, not undefined');
  assert.equal(decodeBatch(new Packr({ useRecords: false }).pack([{ ...older, commitTerm: null }]))[0], older);
  assert.throws(() => decodeBatch(new Packr({ useRecords: false }).pack([{ ...older, commitTerm: 'x' }])), (e: Error) => e instanceof WireError && /commitTerm/.test(e.message));
});

test('nodeMeta.codec is optional on the wire: an announcement from an older member without it is taken, a wrong type refused', () => {
  const older = { type: 'nodeMeta', from: 1, to: 2, term: 3, meta: 'http://127.0.0.1:10001' };
  const [decoded] = decodeBatch(new Packr({ useRecords: false }).pack([older])) as unknown as Array<Record<string, unknown>>;
  assert.equal(decoded, older);
  assert.not.ok('codec' in decoded!, 'absent, not undefined');
  assert.equal(decodeBatch(new Packr({ useRecords: false }).pack([{ ...older, codec: 'msgpack' }]))[0], { ...older, codec: 'msgpack' });
  assert.throws(() => decodeBatch(new Packr({ useRecords: false }).pack([{ ...older, codec: 7 }])), (e: Error) => e instanceof WireError && /codec/.test(e.message));
});

test('garbage that is not MessagePack is rejected with a WireError naming the problem', () => {
  rejects(new Uint8Array(0), /batch is empty/);
  rejects(Buffer.from('hello, raft!'), /batch must be an array of messages|not valid MessagePack/);
  rejects(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), /not valid MessagePack/);
  rejects(encodeBatch(ALL_EXAMPLES).subarray(0, 40), /not valid MessagePack/);
});

test('wrong shapes are rejected with the message index, type and field in the error', () => {
  rejects(raw({ type: 'vote' }), /batch must be an array of messages, got object/);
  rejects(raw([42]), /message 0 must be a map, got number/);
  rejects(raw([{ ...EXAMPLES.vote, type: 'launchMissiles' }]), /message 0\.type must be a known message type, got "launchMissiles"/);
  rejects(raw([EXAMPLES.vote, { ...EXAMPLES.vote, type: 7 }]), /message 1\.type must be a known message type, got number/);
  const { lastTerm: _omit, ...noLastTerm } = EXAMPLES.vote;
  rejects(raw([noLastTerm]), /message 0 \(vote\)\.lastTerm must be a non-negative integer, got undefined/);
  rejects(raw([{ ...EXAMPLES.vote, term: -1 }]), /\(vote\)\.term must be a non-negative integer/);
  rejects(raw([{ ...EXAMPLES.vote, term: 1.5 }]), /\(vote\)\.term must be a non-negative integer, got number 1\.5/);
  rejects(raw([{ ...EXAMPLES.vote, term: '3' }]), /\(vote\)\.term must be a non-negative integer, got string/);
  rejects(raw([{ ...EXAMPLES.vote, preVote: 1 }]), /\(vote\)\.preVote must be a boolean, got number/);
  rejects(raw([{ ...EXAMPLES.heartbeat, commit: 2n ** 63n }]), /\(heartbeat\)\.commit must be a non-negative integer, got number/);
  rejects(raw([{ ...EXAMPLES.readIndexResp, index: 0.5 }]), /\(readIndexResp\)\.index must be an integer/);
  rejects(raw([{ ...EXAMPLES.readIndex, context: null }]), /\(readIndex\)\.context must be a string, got null/);
});

test('nested shapes are checked: entries, entry types, snapshot metadata, members', () => {
  const entries = EXAMPLES.append.entries;
  rejects(raw([{ ...EXAMPLES.append, entries: 'none' }]), /\(append\)\.entries must be an array, got string/);
  rejects(raw([{ ...EXAMPLES.append, entries: [entries[0], { ...entries[1], data: 'abc' }] }]), /message 0 \(append\)\.entries\[1\]\.data must be bytes \(Uint8Array\), got string/);
  rejects(raw([{ ...EXAMPLES.append, entries: [{ ...entries[0], type: 9 }] }]), /entries\[0\]\.type must be a known EntryType, got 9/);
  rejects(raw([{ ...EXAMPLES.snapshot, data: [1, 2, 3] }]), /\(snapshot\)\.data must be bytes \(Uint8Array\), got array/);
  rejects(raw([{ ...EXAMPLES.snapshot, meta: null }]), /\(snapshot\)\.meta must be a map, got null/);
  const badMember = { ...EXAMPLES.snapshot.meta.membership[0], role: 'king' };
  rejects(raw([{ ...EXAMPLES.snapshot, meta: { ...EXAMPLES.snapshot.meta, membership: [badMember] } }]), /meta\.membership\[0\]\.role must be "voter" or "learner", got string/);
});

test('a fuzz of random and mutated bytes only ever produces WireError (never another exception)', () => {
  const rng = new SeededRandom(20240601);
  const valid = encodeBatch(ALL_EXAMPLES);
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = new Uint8Array(1 + rng.int(64)).map(() => rng.int(256));
    } else {
      bytes = Uint8Array.from(valid);
      for (let k = 0; k < 1 + rng.int(4); k++) bytes[rng.int(bytes.length)] = rng.int(256);
    }
    try {
      decodeBatch(bytes);
    } catch (err) {
      if (!(err instanceof WireError)) throw new Error(`case ${i}: ${String(err)} is not a WireError`);
      rejected++;
    }
  }
  assert.ok(rejected > 1500, `most garbage is rejected (${rejected})`);
});

test('estimateMessageSize counts payload bytes and stays within a small factor of the real size', () => {
  const big: Message = { ...EXAMPLES.append, entries: [{ index: 1, term: 1, type: 0, data: new Uint8Array(10_000) }] };
  assert.ok(estimateMessageSize(big) >= 10_000);
  for (const m of [...ALL_EXAMPLES, big]) {
    const real = encodeBatch([m]).length;
    const est = estimateMessageSize(m);
    assert.ok(est >= real / 4 && est <= real * 4 + 64, `${m.type}: estimate ${est} vs real ${real}`);
  }
});

test.run();
