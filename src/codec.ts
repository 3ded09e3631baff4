/**
 * Codecs turn an application command's payload into bytes for the log and back. They are used for
 * commands only: the WAL's record framing and the messages between peers never depend on them.
 *
 * Three are provided:
 * - {@link MsgpackCodec} — standard MessagePack through msgpackr (the fastest in `bench/codec.ts`);
 * - {@link JsonCodec} — UTF-8 JSON, readable with any tool; binary values are tagged as base64;
 * - {@link BytesCodec} — the payload already is bytes; passed through untouched.
 *
 * Every codec rejects what it cannot encode and bytes it cannot decode with a {@link CodecError}
 * (or a `TypeError` for a value of the wrong type) whose message names the problem.
 * @module
 */
import { Packr, C1 } from 'msgpackr';

/** Turns a command's payload into bytes and back. Implementations are stateless and reusable. */
export interface Codec {
  /** Short lower-case name, e.g. `'msgpack'`; used in error messages and diagnostics. */
  readonly name: string;
  /**
   * Encodes `value` for the log. The returned bytes must not be modified afterwards.
   * @throws CodecError or TypeError when `value` cannot be represented by this codec
   */
  encode(value: unknown): Uint8Array;
  /**
   * Optional: as {@link Codec.encode}, but the result may alias `value`'s own memory. Callers that
   * copy the bytes at once (the command registry copies them into the log entry) use it to skip
   * the defensive copy `encode` makes.
   */
  encodeView?(value: unknown): Uint8Array;
  /**
   * Decodes bytes produced by {@link Codec.encode}. The result never aliases `bytes`.
   * @throws CodecError when `bytes` is not a valid encoding
   */
  decode(bytes: Uint8Array): unknown;
}

/**
 * A value could not be encoded or bytes could not be decoded. The message says which codec, which
 * direction and what was wrong, e.g. `cannot decode command (msgpack): Unexpected end of MessagePack
 * data`; the underlying library error, if any, is the `cause`.
 */
export class CodecError extends Error {
  override name = 'CodecError';
  /**
   * @param codec the name of the codec that failed
   * @param direction whether encoding or decoding failed
   * @param reason what was wrong
   * @param cause the underlying error, if any
   */
  constructor(
    readonly codec: string,
    readonly direction: 'encode' | 'decode',
    /** What was wrong, without the "cannot decode command (codec)" that the message begins with. */
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`cannot ${direction} command (${codec}): ${reason}`, cause === undefined ? undefined : { cause });
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkBytes(codec: string, bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`cannot decode command (${codec}): expected a Uint8Array, got ${describe(bytes)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'an object without a prototype';
  return typeof value;
}

/**
 * Standard MessagePack (msgpackr with its record extension off, `undefined` written as nil), so any
 * MessagePack implementation — msgpack-lite, Go's vmihailenko/msgpack, Python's msgpack — can read
 * what it writes.
 *
 * Mapping: objects and `Map`s encode as maps and decode as plain objects; `Uint8Array`/`Buffer`
 * encode as bin and decode as a fresh `Uint8Array` (a `Buffer` when the input was one) that does not
 * alias the input; `undefined` decodes as `null`; `Date` uses the standard timestamp extension;
 * integers beyond 32 bits are written as float64 (exact up to 2^53) unless given as `bigint`,
 * which is written as int64; int64/uint64 values (from us or another writer) decode as `bigint`.
 *
 * Encoded bytes are views into msgpackr's allocation slab, which later encodes never overwrite; copy
 * them if you need to keep a single small encoding alive for a long time without its slab.
 */
export class MsgpackCodec implements Codec {
  /** `'msgpack'`. */
  readonly name = 'msgpack';
  readonly #packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true, copyBuffers: true });

  /**
   * @throws CodecError when msgpackr cannot encode `value` (e.g. a `bigint` beyond 64 bits, a
   *   cycle), or `value` holds a binary value other than a Uint8Array anywhere (arrays, objects,
   *   Map keys and values, Set members, at any depth)
   */
  encode(value: unknown): Uint8Array {
    const other = findOtherBinary(value);
    if (other !== undefined) throw new CodecError(this.name, 'encode', otherBinaryMessage(other));
    try {
      return this.#packr.pack(value);
    } catch (error) {
      throw new CodecError(this.name, 'encode', reasonOf(error), error);
    }
  }

  /**
   * @throws CodecError on truncated data, trailing bytes, unknown extension types or the
   *   never-used byte 0xc1 (as the whole value or nested in it)
   * @throws TypeError when `bytes` is not a Uint8Array
   */
  decode(bytes: Uint8Array): unknown {
    checkBytes(this.name, bytes);
    if (bytes.length === 0) throw new CodecError(this.name, 'decode', 'no bytes (empty payload)');
    let value: unknown;
    try {
      value = this.#packr.unpack(bytes);
    } catch (error) {
      throw new CodecError(this.name, 'decode', reasonOf(error), error);
    }
    // msgpackr decodes 0xc1 to a placeholder object wherever it stands; looked for only when the
    // byte occurs at all (a native scan), since it may also be part of a string or a number.
    if (value === C1 || (bytes.includes(0xc1) && holdsC1(value))) throw new CodecError(this.name, 'decode', 'byte 0xc1 is never used in MessagePack');
    return value;
  }
}

/** Key of the object {@link JsonCodec} writes in place of a binary value: `{"$bytes": "<base64>"}`. */
export const JSON_BYTES_TAG = '$bytes';
const QUOTED_TAG = `"${JSON_BYTES_TAG}"`;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * UTF-8 JSON. Slower than MessagePack but readable by any tool.
 *
 * Binary values (`Uint8Array`, `Buffer`) are written as `{"$bytes": "<base64>"}` and decode as a
 * `Uint8Array` (a `Buffer`); an object of your own with a `$bytes` key is therefore refused. `Map`
 * and `Set`, which JSON would silently turn into `{}`, are refused too; `undefined` as the whole
 * value, `bigint` and cycles are refused by JSON itself. Otherwise JSON's rules apply: `undefined`
 * and function properties are left out, `Date`s become strings.
 */
export class JsonCodec implements Codec {
  /** `'json'`. */
  readonly name = 'json';
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });

  /**
   * @throws CodecError for values JSON cannot represent faithfully (see the class notes)
   */
  encode(value: unknown): Uint8Array {
    let text: string | undefined;
    try {
      // The replacer costs about a third of JSON.stringify's speed; a walk that finds nothing for
      // it to do is cheaper, and then plain JSON.stringify writes the same text.
      text = needsReplacer(value) ? JSON.stringify(value, replaceBinary) : JSON.stringify(value);
    } catch (error) {
      throw new CodecError(this.name, 'encode', reasonOf(error), error);
    }
    if (text === undefined) throw new CodecError(this.name, 'encode', `JSON cannot represent ${describe(value)} as a value`);
    return Buffer.from(text, 'utf8');
  }

  /**
   * @throws CodecError on invalid UTF-8, invalid JSON, or a malformed `$bytes` tag
   * @throws TypeError when `bytes` is not a Uint8Array
   */
  decode(bytes: Uint8Array): unknown {
    checkBytes(this.name, bytes);
    let text: string;
    try {
      text = this.#decoder.decode(bytes);
    } catch (error) {
      throw new CodecError(this.name, 'decode', 'invalid UTF-8', error);
    }
    try {
      // Tags can only be present where the text spells the tag key; skip the reviver otherwise.
      return text.includes(QUOTED_TAG) ? JSON.parse(text, reviveBinary) : JSON.parse(text);
    } catch (error) {
      if (error instanceof CodecError) throw error;
      throw new CodecError(this.name, 'decode', reasonOf(error), error);
    }
  }
}

/**
 * Whether `value` holds anything {@link replaceBinary} would change or refuse: binary values, Maps,
 * Sets, objects with a `$bytes` key — or a `toJSON` method (which may return any of those).
 */
function needsReplacer(value: unknown): boolean {
  return forEachNested(value, (v) => v instanceof Uint8Array || isOtherBinary(v) !== undefined || v instanceof Map || v instanceof Set || typeof (v as { toJSON?: unknown }).toJSON === 'function' || Object.hasOwn(v, JSON_BYTES_TAG));
}

/** Nesting depth past which {@link forEachNested} goes on without recursion (deep values, cycles). */
const MAX_RECURSION_DEPTH = 64;
/** Objects looked into before {@link forEachNestedIteratively} starts to remember them (to end cycles). */
const TRACK_SEEN_AFTER = 256;

/**
 * Calls `visit` on `value` and every object nested in it — array items, own and inherited
 * enumerable properties, Map keys and values, Set members; not inside binary values — until
 * `visit` returns true (and then returns true). Recursive while shallow (most values: no
 * allocation); deeper values, cycles included, go on in {@link forEachNestedIteratively}.
 */
function forEachNested(value: unknown, visit: (v: object) => boolean, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= MAX_RECURSION_DEPTH) return forEachNestedIteratively(value, visit);
  if (visit(value)) return true;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (forEachNested(value[i], visit, depth + 1)) return true;
  } else if (value instanceof Map) {
    for (const [k, x] of value) if (forEachNested(k, visit, depth + 1) || forEachNested(x, visit, depth + 1)) return true;
  } else if (value instanceof Set) {
    for (const x of value) if (forEachNested(x, visit, depth + 1)) return true;
  } else {
    for (const key in value) if (forEachNested((value as Record<string, unknown>)[key], visit, depth + 1)) return true;
  }
  return false;
}

/**
 * {@link forEachNested} with a stack of its own, so depth costs no call stack; an object met again
 * after the first TRACK_SEEN_AFTER is not looked into again, so a cycle ends.
 */
function forEachNestedIteratively(value: object, visit: (v: object) => boolean): boolean {
  const pending: object[] = [value];
  let seen: Set<object> | undefined;
  const add = (x: unknown): void => {
    if (typeof x === 'object' && x !== null) pending.push(x);
  };
  for (let looked = 0; pending.length > 0; looked++) {
    const v = pending.pop()!;
    if (looked >= TRACK_SEEN_AFTER) {
      seen ??= new Set();
      if (seen.has(v)) continue;
      seen.add(v);
    }
    if (visit(v)) return true;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) add(v[i]);
    else if (v instanceof Map) for (const [k, x] of v) (add(k), add(x));
    else if (v instanceof Set) for (const x of v) add(x);
    else for (const key in v) add((v as Record<string, unknown>)[key]);
  }
  return false;
}

/**
 * The kind of the first binary value other than a Uint8Array anywhere in `value` (Maps and Sets
 * included, at any depth), or undefined: msgpackr would write it corrupt (see isOtherBinary).
 */
function findOtherBinary(value: unknown): string | undefined {
  let kind: string | undefined;
  forEachNested(value, (v) => (kind = isOtherBinary(v)) !== undefined);
  return kind;
}

/** Whether msgpackr's 0xc1 placeholder stands anywhere in a decoded value. */
function holdsC1(value: unknown): boolean {
  return forEachNested(value, (v) => v === C1);
}

/**
 * The kind of a binary value other than a Uint8Array (an ArrayBuffer, a DataView, another typed
 * array), which the codecs refuse: JSON wrote them as `{}` or `{"0": ...}`, msgpackr copied a
 * typed array element by element into a bin of its byte length (leftover slab bytes after).
 */
function isOtherBinary(value: object): string | undefined {
  if (value instanceof Uint8Array) return undefined;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value.constructor.name;
  return undefined;
}

function otherBinaryMessage(kind: string): string {
  return `cannot encode a ${kind}: binary values must be a Uint8Array or Buffer (new Uint8Array(v.buffer, v.byteOffset, v.byteLength) has its bytes)`;
}

/** JSON.stringify replacer: binary values become tags, ambiguous or lossy values are refused. */
function replaceBinary(this: unknown, key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  // A Buffer has already been through its toJSON here; the holder still has the original.
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) {
    return { [JSON_BYTES_TAG]: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
  }
  const other = typeof original === 'object' && original !== null ? isOtherBinary(original) : undefined;
  if (other) throw new Error(otherBinaryMessage(other));
  if (Object.hasOwn(value, JSON_BYTES_TAG)) {
    throw new Error(`the key "${JSON_BYTES_TAG}" is reserved by the JSON codec to mark binary values`);
  }
  if (value instanceof Map || value instanceof Set) {
    throw new Error(`JSON cannot represent a ${value.constructor.name}${key === '' ? '' : ` (at key "${key}")`}; use plain objects and arrays`);
  }
  return value;
}

/** JSON.parse reviver: `{"$bytes": "<base64>"}` becomes a Uint8Array. */
function reviveBinary(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, JSON_BYTES_TAG)) return value;
  const encoded = (value as Record<string, unknown>)[JSON_BYTES_TAG];
  if (Object.keys(value).length !== 1 || typeof encoded !== 'string' || !BASE64.test(encoded)) {
    throw new CodecError('json', 'decode', `malformed binary value: expected {"${JSON_BYTES_TAG}": "<base64>"} and nothing else`);
  }
  return Buffer.from(encoded, 'base64');
}

/**
 * The payload is raw bytes and is stored as is. `encode` accepts only a `Uint8Array` (a `Buffer`
 * is one) and copies it, so the caller may reuse its buffer after proposing; `decode` accepts any
 * bytes and returns a copy, so the command may keep or modify what it receives without touching
 * the log.
 */
export class BytesCodec implements Codec {
  /** `'bytes'`. */
  readonly name = 'bytes';

  /**
   * @throws TypeError when `value` is not a Uint8Array
   */
  encode(value: unknown): Uint8Array {
    return new Uint8Array(this.encodeView(value)); // a copy (Buffer#slice would not copy)
  }

  /**
   * `value` itself, checked: the command registry copies it into the log entry at once, so a
   * second copy here was wasted (a whole extra copy of every value written through raft-node).
   * @throws TypeError when `value` is not a Uint8Array
   */
  encodeView(value: unknown): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`cannot encode command (bytes): the bytes codec takes a Uint8Array, got ${describe(value)}`);
    }
    return value;
  }

  /**
   * @throws TypeError when `bytes` is not a Uint8Array
   */
  decode(bytes: Uint8Array): Uint8Array {
    checkBytes(this.name, bytes);
    return new Uint8Array(bytes); // a copy
  }
}

/** A shared {@link MsgpackCodec}. */
export const msgpackCodec: Codec = new MsgpackCodec();
/** A shared {@link JsonCodec}. */
export const jsonCodec: Codec = new JsonCodec();
/** A shared {@link BytesCodec}. */
export const bytesCodec: Codec = new BytesCodec();
