// From a mutation review of the transport: estimateMessageSize, which the queue's byte bound and batch cuts
// trust, must grow with every field whose size the sender chooses: the number of entries in an
// append (not only their data), snapshot members' contexts, read contexts, a forward's address,
// a forwardResp's texts and a nodeMeta's meta. The existing test made only append data and
// snapshot data big; dropping any of the other terms left every test passing while a queue of
// such messages could hold many times its byte bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType, type Message } from '../../src/core/messages.js';
import type { PeerMessage } from '../../src/peer-messages.js';
import { encodeBatch, estimateMessageSize } from '../../src/transport/wire.js';
import { EXAMPLES } from './fixtures.js';

const BIG = 20_000;
const text = 'x'.repeat(BIG);
const peer = (m: PeerMessage): Message => m as unknown as Message;

const cases: Array<[string, Message]> = [
  ['an append of many empty entries', { ...EXAMPLES.append, prevIndex: 0, prevTerm: 0, entries: Array.from({ length: 5000 }, (_, i) => ({ index: i + 1, term: 7, type: EntryType.Noop, data: new Uint8Array(0) })) }],
  ['a snapshot chunk naming many members', { ...EXAMPLES.snapshot, meta: { ...EXAMPLES.snapshot.meta, membership: Array.from({ length: 500 }, (_, i) => ({ id: i + 1, role: 'voter' as const, promote: false, context: `member-${i}.example.com:7000` })) } }],
  ['a snapshot chunk with a long member context', { ...EXAMPLES.snapshot, meta: { ...EXAMPLES.snapshot.meta, membership: [{ id: 1, role: 'voter', promote: false, context: text }] } }],
  ['a readIndex with a long context', { ...EXAMPLES.readIndex, context: text }],
  ['a readIndexResp with a long context', { ...EXAMPLES.readIndexResp, context: text }],
  ['a forward with a long address', peer({ type: 'forward', from: 1, to: 2, term: 3, requestId: 1, op: 'propose', data: new Uint8Array(1), address: text })],
  ['a forwardResp with a long message', peer({ type: 'forwardResp', from: 1, to: 2, term: 3, requestId: 1, index: 0, logTerm: 0, error: 'e', message: text, leader: '', problem: 'p' })],
  ['a forwardResp with a long leader', peer({ type: 'forwardResp', from: 1, to: 2, term: 3, requestId: 1, index: 0, logTerm: 0, error: 'e', message: '', leader: text })],
  ['a forwardResp with a long problem', peer({ type: 'forwardResp', from: 1, to: 2, term: 3, requestId: 1, index: 0, logTerm: 0, error: 'e', message: '', leader: '', problem: text })],
  ['a nodeMeta with a long meta', peer({ type: 'nodeMeta', from: 1, to: 2, term: 3, meta: text })],
  ['a nodeMeta with a long codec', peer({ type: 'nodeMeta', from: 1, to: 2, term: 3, meta: '', codec: text })],
];

for (const [what, m] of cases) {
  test(`the estimate of ${what} is at least half its encoded size`, () => {
    const real = encodeBatch([m]).byteLength;
    const est = estimateMessageSize(m);
    assert.ok(real > 10_000, `the case is big (${real} bytes)`);
    assert.ok(est >= real / 2, `estimate ${est} for ${real} encoded bytes`);
  });
}

test.run();
