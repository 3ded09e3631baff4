// From a mutation review of the transport: parseFrame enforces every bound a hello, ping and pong frame has. No
// fast test sent a hello over its byte limit (with extra padding, the strings themselves short),
// a cluster id over 512 characters or with a control character (it goes into a refusal's log
// line), an address over 512 characters, a fractional version, or a ping/pong of more than 8
// bytes: with any one of those checks removed, the existing unit and stream tests all passed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { helloFrame, parseFrame, pingFrame, pongFrame, PROTOCOL_VERSION } from '../../src/transport/frame.js';
import { WireError } from '../../src/transport/wire.js';

const plain = new Packr({ useRecords: false });
const rawHello = (value: unknown): Buffer => Buffer.concat([Buffer.from([1]), plain.pack(value)]);
const hello = (fields: Record<string, unknown>): Buffer => rawHello({ v: PROTOCOL_VERSION, cluster: 'c', from: '127.0.0.1:7000', ...fields });

function refused(frame: Uint8Array, pattern: RegExp, what: string): void {
  assert.throws(() => parseFrame(frame), (err: Error) => err instanceof WireError && pattern.test(err.message), what);
}

test('a hello at the limits is taken', () => {
  const cluster = 'c'.repeat(512);
  const from = `${'h'.repeat(505)}:65535`;
  assert.is(from.length, 511);
  const parsed = parseFrame(helloFrame({ version: PROTOCOL_VERSION, clusterId: cluster, address: from }));
  assert.equal(parsed, { kind: 'hello', hello: { version: PROTOCOL_VERSION, clusterId: cluster, address: from } });
});

test('a hello of more bytes than a hello takes is refused before decoding, even when its fields are fine', () => {
  refused(hello({ pad: 'x'.repeat(3000) }), /hello of \d+ bytes, more than the \d+ a hello takes/, 'padded hello');
});

test('hello.cluster: at most 512 characters, no control characters', () => {
  refused(hello({ cluster: 'c'.repeat(513) }), /hello\.cluster must be a string of at most 512 characters/, '513 characters');
  for (const bad of ['a\nb', 'a\rb', 'a\u0000b', 'a\u001bb', 'a\u007fb']) {
    refused(hello({ cluster: bad }), /hello\.cluster must be a string .* without control characters/, JSON.stringify(bad));
  }
});

test('hello.from: at most 512 characters, even as a well-formed host:port', () => {
  refused(hello({ from: `${'h'.repeat(511)}:1` }), /hello\.from must be a non-empty string of at most 512 characters/, '512 + 1 characters');
  refused(hello({ from: '' }), /hello\.from must be a non-empty string/, 'empty');
  refused(hello({ from: 'no-port' }), /hello\.from: bad member address/, 'no port');
});

test('hello.v must be an integer', () => {
  for (const v of [2.5, '2', null, 2 ** 53]) refused(hello({ v }), /hello\.v \(protocol version\) must be an integer/, JSON.stringify(v));
});

test('a ping and a pong carry exactly 8 bytes', () => {
  const ping = pingFrame(1234.5);
  assert.equal(parseFrame(ping), { kind: 'ping', payload: ping.subarray(1) });
  assert.equal(parseFrame(pongFrame(ping.subarray(1))), { kind: 'pong', sentAt: 1234.5 });
  for (const n of [0, 7, 9, 1024]) {
    refused(Buffer.concat([Buffer.from([3]), Buffer.alloc(n)]), new RegExp(`ping frame must carry 8 bytes, got ${n}`), `ping of ${n}`);
    refused(Buffer.concat([Buffer.from([4]), Buffer.alloc(n)]), new RegExp(`pong frame must carry 8 bytes, got ${n}`), `pong of ${n}`);
  }
});

test('hello.inc (data directory incarnation): carried when given, 16 lowercase hex digits or refused', () => {
  const fields = { version: PROTOCOL_VERSION, clusterId: 'c', address: '127.0.0.1:7000', fingerprint: '0123456789abcdef', incarnation: 'fedcba9876543210' };
  assert.equal(parseFrame(helloFrame(fields)), { kind: 'hello', hello: fields });
  for (const bad of ['FEDCBA9876543210', 'fedcba987654321', 'fedcba98765432100', 'fedcba987654321g', 7, null]) {
    refused(hello({ inc: bad }), /hello\.inc \(data directory incarnation\) must be 16 lowercase hex digits/, JSON.stringify(bad));
  }
});

test.run();
