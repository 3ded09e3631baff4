/**
 * The outgoing side of one peer: a long-lived gRPC bidi stream this node dials and sends on.
 *
 * Lifecycle: connecting (hello written, waiting for the peer's "accepted" header) -> ready
 * (queued batches flow) -> on any break, backoff (exponential, jittered) -> connecting again.
 * Messages keep queuing in the bounded PeerQueue whatever the state, so a dead peer costs at
 * most the queue bounds and never blocks the caller.
 *
 * Backpressure: a batch is written only while the stream's write() last returned true (else we
 * wait for 'drain') and while fewer than `maxInflightBytes` written bytes are still unacknowledged
 * by HTTP/2 (write callbacks). Meanwhile sends keep coalescing in the queue.
 */
import * as grpc from '@grpc/grpc-js';
import type { Message } from '../core/messages.js';
import { performance } from 'node:perf_hooks';
import { Backoff, type BackoffOptions } from './backoff.js';
import { encodeBatchFrame, helloFrame, parseFrame, pingFrame, PROTOCOL_VERSION } from './frame.js';
import { FINGERPRINT_PATTERN } from '../cluster-fingerprint.js';
import { ACCEPTED_HEADER, FINGERPRINT_HEADER, MAX_FRAME_BYTES, PEER_STREAM_PATH, REFUSAL_HEADER } from './grpc-service.js';
import { PeerQueue } from './queue.js';
import type { PeerCounters } from './stats.js';
import type { QueueLimits, TransportLogger } from './types.js';

/** What every link of a transport shares. */
export interface LinkSettings {
  clusterId: string;
  /** This node's cluster fingerprint, sent in the hello when known (read at each connect). */
  fingerprint: () => string | undefined;
  /** This node's data directory incarnation, sent in the hello when it has one. */
  incarnation: () => string | undefined;
  /** The node dialed refused this one's data directory incarnation (see GrpcTransportOptions.onIncarnationRefused). */
  onIncarnationRefused: (peer: string, reason: string) => void;
  /** The node dialed answered with a fingerprint while this node knows none (it chose to dial it: a seed or a member). */
  onFingerprint: (fingerprint: string, from: string) => void;
  /** This node's advertised address (read at connect time: it is final only after start()). */
  selfAddress: () => string;
  credentials: grpc.ChannelCredentials;
  channelOptions: grpc.ChannelOptions;
  logger: TransportLogger;
  /** Prefix of every log line, e.g. "transport 10.0.0.1:7000". */
  logPrefix: string;
  queue: QueueLimits;
  backoff: BackoffOptions;
  random: () => number;
  /** Cut batches at about this many (estimated) bytes. */
  maxBatchBytes: number;
  /** Stop writing while this many written bytes are not yet taken by HTTP/2. */
  maxInflightBytes: number;
  /** Send a ping this often while ready (0: never); the pong gives the round-trip time. */
  pingIntervalMs: number;
  /** Give up on a connection attempt that got no answer to its hello in this time. */
  handshakeTimeoutMs: number;
  /** Told every measured round trip (peer address, milliseconds), e.g. for a metrics histogram. */
  onRoundTrip: ((peer: string, ms: number) => void) | undefined;
}

type LinkState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

/**
 * A ready stream is given up when its oldest unanswered ping has waited this many ping ticks and
 * at least SILENT_MS_BEFORE_CANCEL, with no drain of a backed-up stream meanwhile: the peer is
 * frozen (a stopped process, a paused VM) though its connection stays open. Counted in our own
 * timer's ticks, so that a stall of this process's event loop (one late tick) is not taken for
 * the peer's silence; a drain is progress, so a slow but live link is kept (a frame written to
 * the socket is not: the kernel takes it from a frozen peer's stream too).
 * gRPC's keepalive (10 s + 5 s) was the only check before: the link said "connected" with a stale
 * round trip and wrote into the void for ~15 s (found in review).
 */
const SILENT_PING_TICKS_BEFORE_CANCEL = 5;
const SILENT_MS_BEFORE_CANCEL = 2000;
/**
 * A ping written behind frames not yet flushed is answered only once they have crossed the link,
 * and one big frame (a 16 MiB entry) gives no progress until it is through: the wait allowed
 * grows by the bytes ahead of the ping at this rate. Without it, a frame needing more than the
 * wait on a slow link (12 MiB at 2 MB/s) had its stream cut mid-frame at every resend, and a
 * follower behind that link never got the entry (found in review). A peer frozen with a big frame
 * in flight is still noticed by gRPC's keepalive (10 s + 5 s).
 */
const SLOWEST_LINK_BYTES_PER_MS = 256;

const passThrough = (frame: Buffer): Buffer => frame;

/** The outgoing stream to one peer, with its queue, reconnects and backpressure. */
export class PeerLink {
  /** Messages waiting to be written to this peer. */
  readonly queue: PeerQueue;
  private readonly client: grpc.Client;
  private readonly backoff: Backoff;
  private state: LinkState = 'idle';
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private waitingDrain = false;
  /** When the oldest ping still unanswered was sent (or the last progress since), and the ticks since. */
  private silentSince: number | undefined;
  private silentTicks = 0;
  /** Bytes written before the oldest unanswered ping and not yet flushed when it was written (they delay its pong). */
  private bytesAheadOfPing = 0;
  private inflightBytes = 0;
  private everConnected = false;
  /** Why we ended the current attempt ourselves (handshake timeout), for the log line. */
  private cancelReason: string | undefined;
  /** Status code of the last failure we logged: repeated identical failures stay quiet. */
  private lastFailureCode: number | undefined;

  constructor(
    /** The peer's address ("host:port"). */
    readonly address: string,
    private readonly counters: PeerCounters,
    private readonly settings: LinkSettings,
  ) {
    this.queue = new PeerQueue(settings.queue);
    this.client = new grpc.Client(address, settings.credentials, settings.channelOptions);
    this.backoff = new Backoff(settings.backoff, settings.random);
  }

  /** Begin dialing (idempotent). */
  start(): void {
    if (this.state === 'idle') this.connect();
  }

  /** Close the stream and the channel for good and discard the queue. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearTimers();
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.client.close();
    this.counters.connected = false;
    this.queue.clear();
  }

  /** Write queued messages as batches, as far as backpressure allows. */
  flush(): void {
    const call = this.call;
    if (this.state !== 'ready' || !call) return;
    const { maxBatchBytes, maxInflightBytes } = this.settings;
    while (this.queue.length > 0 && !this.waitingDrain && this.inflightBytes < maxInflightBytes) {
      for (const frame of this.framesOf(this.queue.take(maxBatchBytes))) this.write(call, frame.frame, frame.messages);
    }
  }

  /**
   * Encodes a batch as frames within the frame limit: a batch that encodes larger (the byte
   * estimate the queue cuts batches by is rough for the fixed fields) is split in halves until
   * each fits. A single message over the limit, or
   * one that does not encode, is dropped and logged.
   */
  private framesOf(batch: Message[]): Array<{ frame: Buffer; messages: number }> {
    let frame: Buffer;
    try {
      frame = encodeBatchFrame(batch);
    } catch (err) {
      this.counters.droppedOther += batch.length;
      this.settings.logger.warn(`${this.settings.logPrefix}: dropped ${batch.length} unencodable messages for ${this.address}: ${(err as Error).message}`);
      return [];
    }
    if (frame.byteLength <= MAX_FRAME_BYTES) return [{ frame, messages: batch.length }];
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      return [...this.framesOf(batch.slice(0, half)), ...this.framesOf(batch.slice(half))];
    }
    this.counters.droppedOther += 1;
    this.settings.logger.warn(`${this.settings.logPrefix}: dropped a ${frame.byteLength}-byte message for ${this.address}: larger than the ${MAX_FRAME_BYTES}-byte frame limit (send smaller snapshot chunks)`);
    return [];
  }

  private write(call: grpc.ClientDuplexStream<Buffer, Buffer>, frame: Buffer, messages: number): void {
    const size = frame.byteLength;
    this.inflightBytes += size;
    const writable = call.write(frame, () => {
      if (this.call !== call) return;
      this.inflightBytes -= size;
      this.flush();
    });
    this.counters.sent += messages;
    this.counters.batchesSent++;
    this.counters.bytesSent += size;
    if (!writable && !this.waitingDrain) {
      this.waitingDrain = true;
      call.once('drain', () => {
        if (this.call !== call) return;
        this.waitingDrain = false;
        if (this.silentSince !== undefined) this.markSilentFrom(performance.now());
        this.flush();
      });
    }
  }

  private connect(): void {
    this.state = 'connecting';
    this.waitingDrain = false;
    this.silentSince = undefined;
    this.inflightBytes = 0;
    this.cancelReason = undefined;
    const call = this.client.makeBidiStreamRequest<Buffer, Buffer>(PEER_STREAM_PATH, passThrough, passThrough, new grpc.Metadata());
    this.call = call;
    call.on('metadata', (metadata: grpc.Metadata) => this.onMetadata(call, metadata));
    call.on('data', (frame: Buffer) => this.onFrame(call, frame));
    // A failed call emits 'error' and then 'status'; the status handler does the work, this
    // listener only keeps the error from being thrown as unhandled.
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => this.onStatus(call, status));
    const fingerprint = this.settings.fingerprint();
    const incarnation = this.settings.incarnation();
    call.write(
      helloFrame({
        version: PROTOCOL_VERSION,
        clusterId: this.settings.clusterId,
        address: this.settings.selfAddress(),
        ...(fingerprint ? { fingerprint } : {}),
        ...(incarnation ? { incarnation } : {}),
      }),
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.call !== call || this.state !== 'connecting') return;
      this.cancelReason = `no answer to the handshake within ${this.settings.handshakeTimeoutMs} ms`;
      call.cancel();
    }, this.settings.handshakeTimeoutMs);
  }

  private onMetadata(call: grpc.ClientDuplexStream<Buffer, Buffer>, metadata: grpc.Metadata): void {
    if (this.call !== call || this.state !== 'connecting') return;
    // Only the explicit header means "accepted": a refusal may also arrive as headers+trailers.
    if (metadata.get(ACCEPTED_HEADER)[0] !== '1') return;
    const theirs = metadata.get(FINGERPRINT_HEADER)[0];
    if (theirs !== undefined) {
      const ours = this.settings.fingerprint();
      const wrong =
        typeof theirs !== 'string' || !FINGERPRINT_PATTERN.test(theirs)
          ? `its answer carries a malformed cluster fingerprint ${JSON.stringify(String(theirs).slice(0, 40))}`
          : ours !== undefined && theirs !== ours
            ? `it belongs to another cluster: its cluster fingerprint is ${theirs}, this node's ${ours} (founded apart: a node meant to join a running cluster was started without join, or an address listed by mistake)`
            : undefined;
      if (wrong !== undefined) {
        this.cancelReason = wrong;
        call.cancel();
        return;
      }
      if (ours === undefined) this.settings.onFingerprint(theirs as string, this.address);
    }
    this.clearTimers();
    this.state = 'ready';
    this.counters.connected = true;
    if (this.everConnected) this.counters.reconnects++;
    if (this.lastFailureCode !== undefined) this.settings.logger.info(`${this.settings.logPrefix}: stream to ${this.address} established`);
    this.everConnected = true;
    this.lastFailureCode = undefined;
    this.backoff.reset();
    if (this.settings.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.ping(call), this.settings.pingIntervalMs);
      this.pingTimer.unref();
      this.ping(call);
    }
    this.flush();
  }

  private ping(call: grpc.ClientDuplexStream<Buffer, Buffer>): void {
    if (this.call !== call || this.state !== 'ready') return;
    const now = performance.now();
    if (this.silentSince !== undefined) {
      this.silentTicks++;
      const silentMs = now - this.silentSince;
      // The round trip is at least as long as the wait so far: stats must not show a stale one.
      this.counters.rttMs = Math.max(this.counters.rttMs ?? 0, silentMs);
      const allowedMs = SILENT_MS_BEFORE_CANCEL + this.bytesAheadOfPing / SLOWEST_LINK_BYTES_PER_MS;
      if (this.silentTicks >= SILENT_PING_TICKS_BEFORE_CANCEL && silentMs >= allowedMs) {
        this.cancelReason = `no pong for ${Math.round(silentMs)} ms (${this.silentTicks} ping intervals) and no progress: the peer seems frozen`;
        call.cancel();
        return;
      }
    }
    // Skipped while the stream is backed up: the pong would measure the queue, not the link.
    if (this.waitingDrain) return;
    call.write(pingFrame(now));
    if (this.silentSince === undefined) {
      this.markSilentFrom(now);
      this.bytesAheadOfPing = this.inflightBytes;
    }
  }

  private markSilentFrom(at: number): void {
    this.silentSince = at;
    this.silentTicks = 0;
  }

  private onFrame(call: grpc.ClientDuplexStream<Buffer, Buffer>, frame: Buffer): void {
    if (this.call !== call) return;
    try {
      const parsed = parseFrame(frame);
      if (parsed.kind === 'pong') {
        this.silentSince = undefined;
        this.counters.rttMs = performance.now() - parsed.sentAt;
        this.settings.onRoundTrip?.(this.address, this.counters.rttMs);
      }
    } catch {
      // The peer only ever answers pongs; anything else is ignored rather than trusted.
      this.counters.decodeErrors++;
    }
  }

  private onStatus(call: grpc.ClientDuplexStream<Buffer, Buffer>, status: grpc.StatusObject): void {
    if (this.call !== call || this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.call = undefined;
    this.clearTimers();
    this.counters.connected = false;
    const reason =
      this.cancelReason ?? (status.code === grpc.status.OK ? 'closed by the peer' : `${grpc.status[status.code] ?? status.code}: ${withoutEmptyResolutionNote(status.details)}`);
    const { logger, logPrefix } = this.settings;
    if (wasReady) {
      logger.warn(`${logPrefix}: lost stream to ${this.address} (${reason}); reconnecting with backoff`);
    } else if (status.code !== this.lastFailureCode) {
      // Logged once per kind of failure, not on every retry of a peer that stays down.
      logger.warn(`${logPrefix}: cannot open stream to ${this.address} (${reason})${notPeerHint(status)}; retrying with backoff`);
    }
    this.lastFailureCode = status.code;
    this.state = 'backoff';
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.state === 'backoff') this.connect();
    }, this.backoff.next());
    // Last: the owner may close the transport from here.
    if (status.metadata?.get(REFUSAL_HEADER)[0] === 'incarnation') this.settings.onIncarnationRefused(this.address, withoutEmptyResolutionNote(status.details));
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.timer = undefined;
    this.pingTimer = undefined;
  }
}

/**
 * grpc-js ends a failed connection's details with "Resolution note: " and the resolver's note,
 * which for an IP address is empty: every "cannot open stream" line ended "... Resolution note: )".
 */
function withoutEmptyResolutionNote(details: string): string {
  return details.replace(/\.? Resolution note: ?$/, '');
}

/**
 * What a failure to open a stream suggests when the peer did not speak HTTP/2 at all: grpc-js says
 * only "Protocol error", and a joiner given raft-node's HTTP port as its seed logged that once,
 * then asked again once a minute, with nothing pointing at the port (a user trial).
 */
function notPeerHint(status: grpc.StatusObject): string {
  if (status.code !== grpc.status.UNAVAILABLE || !/Protocol error/.test(status.details)) return '';
  return ': something that does not speak the peer protocol answers there — an HTTP/1 server (raft-node\'s HTTP API port instead of its --port?), or a TLS port while this node connects without TLS';
}
