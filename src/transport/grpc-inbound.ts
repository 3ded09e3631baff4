/**
 * The receiving side: streams peers dial to us. Incoming streams are receive-only (we answer
 * pings, nothing else; our own messages go out on the streams we dial).
 *
 * The first frame must be a hello from the same cluster speaking our protocol version, which the
 * transport's owner admits (a member back on a wiped data directory is refused). A bad
 * hello, a frame that does not parse or a batch that does not decode ends that one stream with a
 * gRPC error status and ONE log line naming the problem; the server and every other stream carry
 * on. Nothing from a stream reaches the handler before its hello was accepted.
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import type { Message } from '../core/messages.js';
import { parseFrame, pongFrame, PROTOCOL_VERSION, type Frame } from './frame.js';
import { ACCEPTED_HEADER, FINGERPRINT_HEADER, REFUSAL_HEADER } from './grpc-service.js';
import type { StatsBook } from './stats.js';
import type { TransportLogger } from './types.js';
import { decodeBatch } from './wire.js';

/** What the inbound side needs from its transport. */
export interface InboundSettings {
  clusterId: string;
  /** This node's cluster fingerprint, when known: a hello with another one is refused. */
  fingerprint: () => string | undefined;
  /** A hello carried a fingerprint while this node knows none, from a node mayTeachFingerprint trusts. */
  onFingerprint: (fingerprint: string, from: string) => void;
  /**
   * Whether a node dialing in may teach this one, which knows no fingerprint yet, its cluster's:
   * a member of this node's configuration. A stranger's is refused, not learnt (found in review: a
   * joiner took the fingerprint of whatever dialed it first, another cluster's leader listing its
   * address by mistake or any process, kept it, and refused its own cluster for good).
   */
  mayTeachFingerprint: (from: string) => boolean;
  /** Whether a dialer that passed every other check may go on (see GrpcTransportOptions.admitDialer): undefined, or why not. Absent: all may. */
  admitDialer?: (address: string, incarnation: string | undefined) => Promise<string | undefined> | string | undefined;
  logger: TransportLogger;
  logPrefix: string;
  book: StatsBook;
  /** Hand a decoded batch to the transport's handler. */
  deliver: (from: string, messages: Message[]) => void;
}

type ServerStream = grpc.ServerDuplexStream<Buffer, Buffer>;

/** A peer that keeps redialing with a bad configuration must not flood the log: one line per 30 s. */
const REPEAT_LOG_MS = 30_000;
/** Refusals logged per connecting host per REPEAT_LOG_MS, whatever they say. */
const HOST_LOG_LINES = 16;

/** Serves the peer stream method and tracks open inbound streams so stop() can end them. */
export class InboundStreams {
  private readonly calls = new Set<ServerStream>();
  /** The address and data directory incarnation each open stream's hello named, from its admission on. */
  private readonly dialers = new Map<ServerStream, { address: string; incarnation: string }>();
  private readonly lastLogged = new Map<string, number>();
  private readonly hostLogged = new Map<string, { since: number; lines: number }>();

  constructor(private readonly settings: InboundSettings) {}

  /** The gRPC handler of the peer stream method. */
  readonly handle = (call: ServerStream): void => {
    const remote = call.getPeer();
    // Log suppression is keyed by host: a redialing client gets a new ephemeral port every time.
    const remoteHost = remote.slice(0, remote.lastIndexOf(':'));
    let from: string | undefined;
    /** The hello passed its checks and waits for admitDialer's answer. */
    let admitting = false;
    let done = false;
    this.calls.add(call);
    const forget = (): void => {
      done = true;
      this.calls.delete(call);
      this.dialers.delete(call);
    };
    // 'error' fires when the dialer cancels or the connection drops; either way the stream is over.
    call.on('error', forget);
    call.on('close', forget);
    // The dialer half-closed: finish our side with an OK status.
    call.on('end', () => {
      if (!done) call.end();
      forget();
    });

    const reject = (code: grpc.status, reason: string, decodeError: boolean, kind?: 'incarnation'): void => {
      if (done) return;
      const { book } = this.settings;
      book.rejectedStreams++;
      if (decodeError) {
        if (from !== undefined) book.peer(from).decodeErrors++;
        else book.decodeErrors++;
      }
      this.log(remoteHost, `${from ?? remoteHost}|${reason}`, `rejected stream from ${from ?? remote}: ${reason}`);
      forget();
      // grpc-js turns an 'error' emitted on a server stream into the call's final status.
      const metadata = new grpc.Metadata();
      if (kind !== undefined) metadata.set(REFUSAL_HEADER, kind);
      call.emit('error', { code, details: reason, metadata });
    };

    call.on('data', (bytes: Buffer) => {
      if (done) return;
      let frame: Frame;
      try {
        frame = parseFrame(bytes);
      } catch (err) {
        return reject(grpc.status.INVALID_ARGUMENT, `undecodable frame: ${(err as Error).message}`, true);
      }
      // The dialer waits for the answer to its hello before it sends anything else.
      if (admitting) return reject(grpc.status.INVALID_ARGUMENT, `a ${frame.kind} frame before the hello was answered`, true);
      if (from === undefined) {
        if (frame.kind !== 'hello') return reject(grpc.status.INVALID_ARGUMENT, `first frame must be a hello, got a ${frame.kind} frame`, true);
        const { version, clusterId, address } = frame.hello;
        if (version !== PROTOCOL_VERSION) {
          return reject(grpc.status.FAILED_PRECONDITION, `${address} speaks protocol version ${version}, this node speaks ${PROTOCOL_VERSION}`, false);
        }
        if (clusterId !== this.settings.clusterId) {
          return reject(grpc.status.PERMISSION_DENIED, `${address} belongs to cluster "${clusterId}", this node to cluster "${this.settings.clusterId}"`, false);
        }
        const ours = this.settings.fingerprint();
        const theirs = frame.hello.fingerprint;
        if (ours !== undefined && theirs !== undefined && theirs !== ours) {
          return reject(
            grpc.status.PERMISSION_DENIED,
            `${address} belongs to another cluster: its cluster fingerprint is ${theirs}, the dialed node's ${ours} (they were founded apart: a node meant to join a running cluster was started without join, or an address of one is listed in the other, reused or added by mistake)`,
            false,
          );
        }
        if (ours === undefined && theirs !== undefined) {
          if (!this.settings.mayTeachFingerprint(address)) {
            return reject(
              grpc.status.UNAVAILABLE,
              `${address} sent cluster fingerprint ${theirs}, and this node knows none yet and does not count ${address} among its members: ` +
                'it learns its cluster\'s fingerprint from a node it dials (a joiner: the member it asks to join) or from a member of its configuration',
              false,
            );
          }
          this.settings.onFingerprint(theirs, address);
        }
        const accept = (): void => {
          from = address;
          const accepted = new grpc.Metadata();
          accepted.set(ACCEPTED_HEADER, '1');
          const known = this.settings.fingerprint();
          if (known !== undefined) accepted.set(FINGERPRINT_HEADER, known);
          call.sendMetadata(accepted);
        };
        const { incarnation } = frame.hello;
        if (incarnation !== undefined) this.dialers.set(call, { address, incarnation });
        let admission: Promise<string | undefined> | string | undefined;
        try {
          admission = this.settings.admitDialer?.(address, incarnation);
        } catch (err) {
          admission = Promise.reject(err as Error);
        }
        if (admission === undefined) return accept();
        if (typeof admission === 'string') return reject(grpc.status.FAILED_PRECONDITION, admission, false, 'incarnation');
        admitting = true;
        admission.then(
          (refusal) => {
            admitting = false;
            if (done) return;
            if (refusal === undefined) accept();
            else reject(grpc.status.FAILED_PRECONDITION, refusal, false, 'incarnation');
          },
          (err: Error) => {
            admitting = false;
            reject(grpc.status.UNAVAILABLE, `could not check ${address}'s data directory incarnation: ${err.message}`, false);
          },
        );
        return;
      }
      switch (frame.kind) {
        case 'batch': {
          let messages: Message[];
          try {
            messages = decodeBatch(frame.payload);
          } catch (err) {
            return reject(grpc.status.INVALID_ARGUMENT, `undecodable batch: ${(err as Error).message}`, true);
          }
          const counters = this.settings.book.peer(from);
          counters.received += messages.length;
          counters.batchesReceived++;
          counters.bytesReceived += bytes.byteLength;
          this.settings.deliver(from, messages);
          return;
        }
        case 'ping':
          // Not while the dialer leaves pongs unread: they would pile up here (found in review:
          // 27 MiB of pings cost 397 MiB). The dialer's round-trip sample is then just lost.
          if (!call.writableNeedDrain) call.write(pongFrame(frame.payload));
          return;
        default:
          return reject(grpc.status.INVALID_ARGUMENT, `unexpected ${frame.kind} frame after the handshake`, true);
      }
    });
  };

  /** End every inbound stream with an OK status (the dialers will reconnect elsewhere or later). */
  closeAll(): void {
    for (const call of this.calls) call.end();
    this.calls.clear();
    this.dialers.clear();
  }

  /** The data directory incarnations the open streams dialed in as `address` named (distinct). */
  incarnationsOf(address: string): string[] {
    const found = new Set<string>();
    for (const dialer of this.dialers.values()) if (dialer.address === address) found.add(dialer.incarnation);
    return [...found];
  }

  /**
   * Log `line` unless the same `key` was logged within REPEAT_LOG_MS, and at most
   * HOST_LOG_LINES lines per REPEAT_LOG_MS for connections from `host`: the key holds what the
   * peer claims, and one varied at every dial defeated the first limit (found in review).
   */
  private log(host: string, key: string, line: string): void {
    const now = performance.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < REPEAT_LOG_MS) return;
    // Garbage from many sources must not grow these maps without bound.
    if (this.lastLogged.size >= 1000) this.lastLogged.clear();
    this.lastLogged.set(key, now);
    let budget = this.hostLogged.get(host);
    if (!budget || now - budget.since >= REPEAT_LOG_MS) {
      if (this.hostLogged.size >= 1000) this.hostLogged.clear();
      budget = { since: now, lines: 0 };
      this.hostLogged.set(host, budget);
    }
    if (budget.lines >= HOST_LOG_LINES) return;
    budget.lines++;
    const more = budget.lines === HOST_LOG_LINES ? ` (no more refusals from ${host} are logged for ${REPEAT_LOG_MS / 1000} s)` : '';
    this.settings.logger.warn(`${this.settings.logPrefix}: ${line}${more}`);
  }
}
