/**
 * Frames of the peer stream. Every gRPC message on the stream is one frame: a kind byte followed
 * by its payload.
 *
 *   1 hello  (client -> server, first frame only) MessagePack { v, cluster, from, fp?, inc? }
 *   2 batch  (client -> server) a wire.ts batch of messages
 *   3 ping   (client -> server) 8 bytes: the sender's clock, echoed back in a pong
 *   4 pong   (server -> client) the ping's 8 bytes
 *
 * The hello lets a receiver refuse a stream from another cluster (a misconfigured node, an old
 * member of a rebuilt cluster, a member back on a wiped data directory) before any of its
 * messages reach the core, and tells it which address the stream's messages come from.
 */
import { Packr, Unpackr } from 'msgpackr';
import { checkAddress } from '../members.js';
import { FINGERPRINT_PATTERN } from '../cluster-fingerprint.js';
import { INCARNATION_PATTERN } from '../data-dir-incarnation.js';
import type { Message } from '../core/messages.js';
import { WireError } from './validate.js';
import { encodeBatch } from './wire.js';

/**
 * Version of the stream protocol, carried in the hello; a receiver refuses other versions, so
 * members that cannot read each other's entries never replicate to each other.
 * 2: command entries carry a proposer session header (sessions.ts); a member of version 1 would
 *    fail to decode them at apply and its state would drift from the others'.
 */
export const PROTOCOL_VERSION = 2;

/** The kind byte of a frame. */
export const FrameKind = { Hello: 1, Batch: 2, Ping: 3, Pong: 4 } as const;
/** The kind byte of a frame. */
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** The first frame of every stream. */
export interface Hello {
  /** Protocol version of the sender. */
  version: number;
  /** The cluster the sender belongs to; must equal the receiver's. */
  clusterId: string;
  /** The sender's own address ("host:port"), as the receiver knows it in the membership. */
  address: string;
  /**
   * The sender's cluster fingerprint (see cluster-fingerprint.ts), when it knows one; absent from
   * nodes that know none and from older versions, which ignore it.
   */
  fingerprint?: string;
  /**
   * The incarnation of the sender's data directory (see data-dir-incarnation.ts), when it has
   * one: a member that comes back on a wiped directory is told apart by it. Absent from older
   * versions, which ignore it.
   */
  incarnation?: string;
}

/** A parsed frame. Batch payloads are left encoded: the caller decodes them (and counts errors). */
export type Frame =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'batch'; payload: Uint8Array }
  | { kind: 'ping'; payload: Uint8Array }
  | { kind: 'pong'; sentAt: number };

/** Longest cluster id or address a hello may carry; anything longer is garbage. */
const MAX_HELLO_STRING = 512;
/** A hello's encoded size limit: two strings of at most MAX_HELLO_STRING characters and a version. */
const MAX_HELLO_BYTES = 4 * MAX_HELLO_STRING + 64;
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What is wrong with `clusterId` as a hello carries it, if anything: checked where it is given
 * too (the clusterId option, raft-node's --cluster-id), since one a peer refuses started a
 * cluster that could never elect a leader (found in a README check).
 */
export function clusterIdProblem(clusterId: string): string | undefined {
  if (clusterId.length > MAX_HELLO_STRING) return `longer than the ${MAX_HELLO_STRING} characters a peer accepts (${clusterId.length})`;
  if (CONTROL.test(clusterId)) return 'it holds a control character, which a peer does not accept';
  // Encoded as UTF-8, a lone surrogate arrives as U+FFFD: no peer would ever match it (found in review).
  if (LONE_SURROGATE.test(clusterId)) return 'it holds a lone UTF-16 surrogate, which does not survive the trip to a peer';
  return undefined;
}

// The hello is tiny and read once per stream: plain MessagePack maps keep it readable by any tool.
const helloPackr = new Packr({ useRecords: false });
const helloUnpackr = new Unpackr({ useRecords: false, int64AsType: 'number' });

function withKind(kind: FrameKind, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(1 + payload.byteLength);
  frame[0] = kind;
  frame.set(payload, 1);
  return frame;
}

/** Encode the hello frame. */
export function helloFrame(hello: Hello): Buffer {
  const fields: Record<string, unknown> = { v: hello.version, cluster: hello.clusterId, from: hello.address };
  if (hello.fingerprint !== undefined) fields['fp'] = hello.fingerprint;
  if (hello.incarnation !== undefined) fields['inc'] = hello.incarnation;
  return withKind(FrameKind.Hello, helloPackr.pack(fields));
}

/** Wrap an encoded batch (see encodeBatch) into a batch frame (a copy; see encodeBatchFrame). */
export function batchFrame(batch: Uint8Array): Buffer {
  return withKind(FrameKind.Batch, batch);
}

/** Encode `messages` straight into a batch frame: the batch is packed after the kind byte, not copied behind it. */
export function encodeBatchFrame(messages: readonly Message[]): Buffer {
  const frame = encodeBatch(messages, 1);
  frame[0] = FrameKind.Batch;
  return frame;
}

/** A ping frame stamped with `sentAt` (ms on the sender's monotonic clock). */
export function pingFrame(sentAt: number): Buffer {
  const frame = Buffer.allocUnsafe(9);
  frame[0] = FrameKind.Ping;
  frame.writeDoubleBE(sentAt, 1);
  return frame;
}

/** The pong answering a ping with payload `payload`. */
export function pongFrame(payload: Uint8Array): Buffer {
  return withKind(FrameKind.Pong, payload);
}

function parseHello(payload: Uint8Array): Hello {
  // Before decoding: a hello is a few hundred bytes, and a MessagePack bomb (one byte per empty
  // map) decoded from a 64 MiB frame ran a node out of memory (found in review).
  if (payload.byteLength > MAX_HELLO_BYTES) throw new WireError(`hello of ${payload.byteLength} bytes, more than the ${MAX_HELLO_BYTES} a hello takes`);
  let value: unknown;
  try {
    value = helloUnpackr.unpack(payload);
  } catch (err) {
    throw new WireError(`hello is not valid MessagePack: ${(err as Error).message?.slice(0, 120)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WireError('hello must be a map');
  const { v, cluster, from, fp, inc } = value as Record<string, unknown>;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new WireError('hello.v (protocol version) must be an integer');
  if (typeof cluster !== 'string' || clusterIdProblem(cluster) !== undefined) {
    throw new WireError(`hello.cluster must be a string of at most ${MAX_HELLO_STRING} characters, without control characters`);
  }
  if (typeof from !== 'string' || from.length === 0 || from.length > MAX_HELLO_STRING) {
    throw new WireError(`hello.from must be a non-empty string of at most ${MAX_HELLO_STRING} characters`);
  }
  // The address is remembered, dialed and logged: one without a port crashed the node later, in
  // its ticker, and a newline in it forged log lines (found in review).
  try {
    checkAddress(from);
  } catch (err) {
    throw new WireError(`hello.from: ${(err as Error).message}`);
  }
  if (fp !== undefined && (typeof fp !== 'string' || !FINGERPRINT_PATTERN.test(fp))) throw new WireError('hello.fp (cluster fingerprint) must be 16 lowercase hex digits');
  if (inc !== undefined && (typeof inc !== 'string' || !INCARNATION_PATTERN.test(inc))) throw new WireError('hello.inc (data directory incarnation) must be 16 lowercase hex digits');
  return { version: v, clusterId: cluster, address: from, ...(fp !== undefined ? { fingerprint: fp } : {}), ...(inc !== undefined ? { incarnation: inc } : {}) };
}

/**
 * Split a frame into kind and payload (decoding the hello and pong, which are small).
 * @throws WireError on an empty frame, an unknown kind or a malformed hello/ping/pong.
 */
export function parseFrame(frame: Uint8Array): Frame {
  if (frame.byteLength === 0) throw new WireError('empty frame');
  const payload = frame.subarray(1);
  switch (frame[0]) {
    case FrameKind.Hello:
      return { kind: 'hello', hello: parseHello(payload) };
    case FrameKind.Batch:
      return { kind: 'batch', payload };
    case FrameKind.Ping:
      if (payload.byteLength !== 8) throw new WireError(`ping frame must carry 8 bytes, got ${payload.byteLength}`);
      return { kind: 'ping', payload };
    case FrameKind.Pong: {
      if (payload.byteLength !== 8) throw new WireError(`pong frame must carry 8 bytes, got ${payload.byteLength}`);
      const view = new DataView(payload.buffer, payload.byteOffset, 8);
      return { kind: 'pong', sentAt: view.getFloat64(0) };
    }
    default:
      throw new WireError(`unknown frame kind ${frame[0]} (expected 1..4; is this a tsraft peer?)`);
  }
}
