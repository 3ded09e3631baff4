/**
 * Request bodies: read with a size limit (413 beyond it, before buffering more than the limit),
 * and JSON bodies checked field by field (400 naming the field).
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { HttpError } from './http-errors.js';

/** Reads the whole body; rejects with 413 once it exceeds `limit` bytes (checked against Content-Length first). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new HttpError(413, `body of ${declared} bytes exceeds the limit of ${limit} bytes`));
  }
  // A request whose connection was reset before its turn came (pipelined behind others) is
  // destroyed: it emits nothing more, and the wait for its body never ended, holding the
  // connection's later requests and the server's stop for good (found in a README check).
  if (req.destroyed) return Promise.reject(goneBeforeBody());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('close', () => {
      if (!req.readableEnded && !failed) {
        failed = true;
        reject(goneBeforeBody());
      }
    });
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(413, `body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      // An HttpError is the server's own answer to a request it cut short (see KvHttpServer.cutShort).
      if (!failed) reject(err instanceof HttpError ? err : new HttpError(400, `could not read the body: ${err.message}`));
    });
  });
}

/**
 * Refuses a body the server would not decode, which it would otherwise store still encoded and
 * answer 200 (found in a user trial: a gzip body came back compressed): 415 for a Content-Encoding
 * other than identity, 501 for a transfer coding other than chunked (RFC 9112 §6.1).
 */
export function checkBodyCoding(headers: IncomingHttpHeaders): void {
  const content = headers['content-encoding'];
  if (content !== undefined && content.trim() !== '' && content.trim().toLowerCase() !== 'identity') {
    throw new HttpError(415, `Content-Encoding ${JSON.stringify(content)} is not supported: send the body unencoded`);
  }
  const transfer = headers['transfer-encoding'];
  if (transfer !== undefined && transfer.split(',').some((coding) => coding.trim().toLowerCase() !== 'chunked')) {
    throw new HttpError(501, `Transfer-Encoding ${JSON.stringify(transfer)} is not supported: only chunked`);
  }
}

function goneBeforeBody(): HttpError {
  return new HttpError(400, 'the connection closed before the request\'s body was read', { outcome: 'not applied' });
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses a JSON object body (UTF-8, RFC 8259 §8.1); 400 naming the problem otherwise. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = STRICT_UTF8.decode(body);
  } catch {
    // Decoded leniently, invalid bytes became U+FFFD and were stored so, with a 200 (a user trial).
    throw new HttpError(400, 'malformed JSON body: not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `malformed JSON body: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Refuses a field other than `known` (400 naming it): a misspelt optional field was ignored, so
 * `"encodng": "base64"` stored the base64 text itself and `"nonvoting": true` added a voter
 * (found in a README walkthrough).
 */
export function onlyFields(obj: Record<string, unknown>, known: readonly string[]): void {
  for (const name of Object.keys(obj)) {
    if (!known.includes(name)) throw new HttpError(400, `unknown field ${shownName(name)} (the fields are ${known.map((k) => `"${k}"`).join(', ')})`);
  }
}

/**
 * A name the client sent, quoted for an error message: at most 64 UTF-16 units of it. A CAS body
 * may be 12 MiB; a field name that long came back whole in the 400 (found in review).
 */
export function shownName(name: string): string {
  return name.length <= 64 ? JSON.stringify(name) : `${JSON.stringify(name.slice(0, 64))}… (${name.length} characters)`;
}

/** A required string field of a JSON body. */
export function stringField(obj: Record<string, unknown>, name: string): string {
  const v = obj[name];
  if (typeof v !== 'string') throw new HttpError(400, `field "${name}" must be a string`);
  return v;
}

/** A field that is a string or null (and must be present). */
export function nullableStringField(obj: Record<string, unknown>, name: string): string | null {
  if (!(name in obj)) throw new HttpError(400, `field "${name}" is required (a string, or null)`);
  const v = obj[name];
  if (v !== null && typeof v !== 'string') throw new HttpError(400, `field "${name}" must be a string or null`);
  return v;
}

/** An optional boolean field (default false). */
export function booleanField(obj: Record<string, unknown>, name: string): boolean {
  const v = obj[name];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new HttpError(400, `field "${name}" must be a boolean`);
  return v;
}

/** How a JSON body carries bytes in strings: `utf8` (the string's UTF-8 bytes) or `base64`. */
export type BytesEncoding = 'utf8' | 'base64';

/** An optional `"utf8" | "base64"` field (default utf8). */
export function bytesEncodingField(obj: Record<string, unknown>, name: string): BytesEncoding {
  const v = obj[name];
  if (v === undefined) return 'utf8';
  if (v !== 'utf8' && v !== 'base64') throw new HttpError(400, `field "${name}" must be "utf8" or "base64"`);
  return v;
}

/**
 * Standard base64 with padding (with the length a multiple of 4); Buffer.from would skip any other
 * character silently. No nested quantifier: a pattern of 4-character groups ran V8's regex engine
 * out of stack past ~3.2 MiB of bytes, which answered a valid CAS 500 (found in an event-loop audit).
 */
const BASE64_CHARACTERS = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes a string field stands for; 400 naming the field when it is not valid base64. */
export function decodeBytes(text: string, encoding: BytesEncoding, name: string): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  if (text.length % 4 !== 0 || !BASE64_CHARACTERS.test(text)) throw new HttpError(400, `field "${name}" is not valid base64 (standard alphabet, with padding)`);
  return Buffer.from(text, 'base64');
}

/** `bytes` as a string in `encoding` (utf8 replaces invalid sequences with U+FFFD). */
export function encodeBytes(bytes: Buffer, encoding: BytesEncoding): string {
  return bytes.toString(encoding);
}
