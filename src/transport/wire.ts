/**
 * The wire encoding of a batch of core messages: one MessagePack array (msgpackr).
 *
 * A batch of many objects uses msgpackr's record extension: it carries, inline, one definition
 * per object shape and then each object as its values only. Batches stay self-contained (no state
 * shared between encoder and decoder, so any frame decodes on its own) yet are about three times
 * smaller and decode about three times faster than plain maps on append-heavy traffic. A batch of
 * a few objects — the one append or ack of a lightly loaded cluster — is plain maps: there the
 * definitions are pure overhead, and a round trip between two processes took ~15 µs less (p50,
 * `npm run bench:hop`). The decoder reads both forms, so the choice is the sender's alone.
 *
 * Decoding validates the structure (see validate.ts); any problem becomes a WireError that names
 * it, never an exception of another kind.
 */
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import type { Message } from '../core/messages.js';
import type { PeerMessage } from '../peer-messages.js';
import { WireError, validateBatch } from './validate.js';

export { WireError, validateBatch, validateMessage } from './validate.js';

const recordPackr = new Packr({ useRecords: true });
const mapPackr = new Packr({ useRecords: false });

/**
 * From this many objects (messages plus log entries) a batch is encoded with records. In a loop,
 * records cost more than maps up to ~4 objects and win clearly from ~8 (8 entries: 633 against
 * 782 bytes; 32 acks: 9 against 72 µs to encode).
 */
export const RECORDS_FROM_OBJECTS = 8;

const unpackr = new Unpackr({
  useRecords: true,
  // Plain MessagePack maps become objects (with records on, msgpackr would default to Map).
  mapsAsObjects: true,
  // A peer written in another language may send uint64; keep numbers as numbers (validation
  // then rejects anything beyond Number.MAX_SAFE_INTEGER).
  int64AsType: 'number',
  // Byte fields stay views into the frame here; validation copies each small one out (into the
  // entry slab), so that a small entry kept in the log cache never pins a receive buffer, and
  // keeps a large one's view when it is most of the frame (ByteSlab.keepOrCopy).
  copyBuffers: false,
  // No structured-clone references: one entry referenced thousands of times in a 1 MiB frame
  // was copied once per reference by validation (found in review: 1.5 GiB from a 1 MiB frame).
  structuredClone: false,
});

/**
 * Encode a batch of messages. The result is a Buffer (a Uint8Array) owned by the caller. With
 * `reserve` (0–255), its first `reserve` bytes are left free for a frame header (their contents
 * undefined) and the batch follows: prefixing a header by copying cost a fresh copy of every big
 * entry (~220 ms for 59 MiB on the benchmark VM, page faults mostly).
 */
export function encodeBatch(messages: readonly Message[], reserve = 0): Buffer {
  if (!Number.isInteger(reserve) || reserve < 0 || reserve > 255) throw new RangeError(`reserve must be an integer from 0 to 255, got ${reserve}`);
  let objects = messages.length;
  for (let i = 0; i < messages.length && objects < RECORDS_FROM_OBJECTS; i++) {
    const m = messages[i]!;
    if (m.type === 'append') objects += m.entries.length;
  }
  const packr = objects >= RECORDS_FROM_OBJECTS ? recordPackr : mapPackr;
  return reserve > 0 ? packr.pack(messages, RESERVE_START_SPACE | reserve) : packr.pack(messages);
}

/**
 * Decode and validate a batch. Byte fields come back as plain Uint8Array.
 * @throws WireError when the bytes are not MessagePack or not an array of valid messages.
 */
export function decodeBatch(bytes: Uint8Array): Message[] {
  if (bytes.byteLength === 0) throw new WireError('batch is empty (0 bytes)');
  // Decoding from a plain Uint8Array view makes msgpackr produce Uint8Array (not Buffer) values.
  const view = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let value: unknown;
  try {
    value = unpackr.unpack(view);
  } catch (err) {
    throw new WireError(`batch is not valid MessagePack (${bytes.byteLength} bytes): ${(err as Error).message?.slice(0, 120) ?? String(err)}`);
  }
  return validateBatch(value);
}

/**
 * A cheap estimate of a message's encoded size, used to bound queues in bytes and to cut
 * batches. Exact for the payload bytes that dominate (entry data, snapshot data), rough for the
 * fixed fields.
 */
export function estimateMessageSize(raftOrPeerMessage: Message): number {
  // The transport carries the Node's own messages too (typed as Message on the way through):
  // a forwarded command counted as 48 bytes let a dead leader's queue hold 12.5 MiB under a
  // 1 MiB bound (found in review).
  const message = raftOrPeerMessage as PeerMessage;
  let size = 48;
  switch (message.type) {
    case 'append':
      for (const e of message.entries) size += 16 + e.data.byteLength;
      break;
    case 'snapshot':
      size += message.data.byteLength + 32;
      for (const m of message.meta.membership) size += 16 + m.context.length;
      break;
    case 'readIndex':
    case 'readIndexResp':
      size += message.context.length;
      break;
    case 'forward':
      size += message.data.byteLength + message.address.length;
      break;
    case 'forwardResp':
      size += message.message.length + message.leader.length + (message.problem?.length ?? 0);
      break;
    case 'nodeMeta':
      size += message.meta.length + (message.codec?.length ?? 0);
      break;
    default:
      break;
  }
  return size;
}
