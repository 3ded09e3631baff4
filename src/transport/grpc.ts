/**
 * The production peer transport over gRPC (@grpc/grpc-js): one long-lived bidirectional stream
 * per peer, carrying batches of messages as opaque frames.
 *
 * Who dials whom: every node dials every peer and sends only on the stream it dialed
 * (grpc-link.ts); streams dialed to it are receive-only (grpc-inbound.ts). That keeps each
 * direction independent — a peer restarting or a half-broken connection only affects one
 * direction, and there is never a race over which of two streams to use.
 */
import * as grpc from '@grpc/grpc-js';
import type { Message } from '../core/messages.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { FlushScheduler } from './flush-scheduler.js';
import { InboundStreams } from './grpc-inbound.js';
import { PeerLink, type LinkSettings } from './grpc-link.js';
import { channelCredentials, channelOptions, PEER_SERVICE, peerServer, serverCredentials, type TlsOptions } from './grpc-service.js';
import { DEFAULT_QUEUE_LIMITS } from './queue.js';
import { StatsBook } from './stats.js';
import type { MessageHandler, QueueLimits, Transport, TransportLogger, TransportStats } from './types.js';

export type { TlsOptions } from './grpc-service.js';

/** Options of a {@link GrpcTransport}. */
export interface GrpcTransportOptions {
  /**
   * This node's address as its peers dial it ("host:port"). It is sent in the handshake so
   * receivers know who is talking. Port 0 picks a free port at start() (tests).
   */
  address: string;
  /** Where to listen, when it differs from `address` (e.g. "0.0.0.0:7000"). Default: `address`. */
  listen?: string;
  /** Streams from nodes with another cluster id are refused. */
  clusterId: string;
  /**
   * This node's cluster fingerprint (see cluster-fingerprint.ts), read at each handshake (a node
   * may learn it while running); streams from nodes with another one are refused. Absent: this
   * transport takes no part in fingerprints and refuses none. Returning undefined: none known yet;
   * a dialer with one is then refused unless mayTeachFingerprint trusts it.
   */
  fingerprint?: () => string | undefined;
  /**
   * Told the fingerprint that a node this one dialed answered with, or a trusted node dialed in
   * with (mayTeachFingerprint), while this one knew none.
   */
  onFingerprint?: (fingerprint: string, from: string) => void;
  /**
   * Whether a node dialing in with a fingerprint, while this one knows none, may teach it (a
   * member of this node's configuration). Default: none may when `fingerprint` is given.
   */
  mayTeachFingerprint?: (from: string) => boolean;
  /**
   * This node's data directory incarnation (see data-dir-incarnation.ts), sent in every hello.
   * Absent: none is sent.
   */
  incarnation?: () => string | undefined;
  /**
   * Asked, once a dialer's hello passed every other check, whether its stream may go on; it
   * carries the dialer's data directory incarnation, if any. Nothing from the stream is taken
   * before the answer. Resolving with a reason refuses the stream (FAILED_PRECONDITION, with the
   * reason, logged on both ends; the dialer retries with backoff). Absent: every dialer is let in.
   */
  admitDialer?: (address: string, incarnation: string | undefined) => Promise<string | undefined> | string | undefined;
  /**
   * Told when a node this one dialed refused it for its data directory incarnation (its
   * `admitDialer` did): it heard from this address on another directory. The link retries with
   * backoff whatever this does.
   */
  onIncarnationRefused?: (peer: string, reason: string) => void;
  /** Mutual TLS; without it the transport is plaintext. */
  tls?: TlsOptions;
  /** Where to report rejected streams and lost peers. Default: console. */
  logger?: TransportLogger;
  /** Per-peer queue bounds. Default: DEFAULT_QUEUE_LIMITS (4096 messages, 8 MiB). */
  queue?: Partial<QueueLimits>;
  /** Reconnect backoff. Default: 50 ms doubling to 2 s, 20 % jitter. */
  backoff?: Partial<BackoffOptions>;
  /** Cut batches at about this many bytes. Default 1 MiB. */
  maxBatchBytes?: number;
  /** Written-but-unsent bytes per stream before we stop writing. Default 8 MiB. */
  maxInflightBytes?: number;
  /** Ping interval for round-trip measurement (0 disables). Default 1000 ms. */
  pingIntervalMs?: number;
  /** Told every ping round trip (peer address, milliseconds), e.g. for a metrics histogram. */
  onRoundTrip?: (peer: string, ms: number) => void;
  /** A connection attempt whose hello gets no answer in this time is abandoned. Default 5000 ms. */
  handshakeTimeoutMs?: number;
  /** stop() waits this long for a graceful server shutdown before forcing it. Default 500 ms. */
  shutdownGraceMs?: number;
  /** Randomness for backoff jitter. Default Math.random. */
  random?: () => number;
}

function splitHostPort(address: string): { host: string; port: string } {
  const i = address.lastIndexOf(':');
  if (i < 0) throw new Error(`address "${address}" must be host:port`);
  return { host: address.slice(0, i), port: address.slice(i + 1) };
}

/** A {@link Transport} over gRPC bidi streams. */
export class GrpcTransport implements Transport {
  private advertised: string;
  private readonly listenAddress: string;
  private readonly book = new StatsBook();
  private readonly links = new Map<string, PeerLink>();
  private readonly scheduler = new FlushScheduler((to) => this.links.get(to)?.flush());
  private readonly settings: LinkSettings;
  private readonly inbound: InboundStreams;
  private readonly tls: TlsOptions | undefined;
  private readonly shutdownGraceMs: number;
  private server: grpc.Server | undefined;
  private handler: MessageHandler | undefined;
  private starting: Promise<void> | undefined;
  private started = false;
  private stopped = false;

  constructor(options: GrpcTransportOptions) {
    this.advertised = options.address;
    this.listenAddress = options.listen ?? options.address;
    splitHostPort(this.advertised);
    splitHostPort(this.listenAddress);
    this.tls = options.tls;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 500;
    const logger = options.logger ?? console;
    const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    // A getter: the advertised address changes at start() when port 0 was asked for.
    const logPrefix = (): string => `transport ${this.advertised}`;
    const fingerprint = options.fingerprint ?? (() => undefined);
    const onFingerprint = options.onFingerprint ?? (() => {});
    this.settings = {
      clusterId: options.clusterId,
      fingerprint,
      incarnation: options.incarnation ?? (() => undefined),
      onIncarnationRefused: options.onIncarnationRefused ?? (() => {}),
      onFingerprint,
      selfAddress: () => this.advertised,
      credentials: channelCredentials(options.tls),
      channelOptions: channelOptions(backoff),
      logger,
      get logPrefix() {
        return logPrefix();
      },
      queue: { ...DEFAULT_QUEUE_LIMITS, ...options.queue },
      backoff,
      random: options.random ?? Math.random,
      maxBatchBytes: options.maxBatchBytes ?? 1024 * 1024,
      maxInflightBytes: options.maxInflightBytes ?? 8 * 1024 * 1024,
      pingIntervalMs: options.pingIntervalMs ?? 1000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000,
      onRoundTrip: options.onRoundTrip,
    };
    this.inbound = new InboundStreams({
      clusterId: options.clusterId,
      fingerprint,
      onFingerprint,
      mayTeachFingerprint: options.mayTeachFingerprint ?? (() => options.fingerprint === undefined),
      ...(options.admitDialer ? { admitDialer: options.admitDialer } : {}),
      logger,
      get logPrefix() {
        return logPrefix();
      },
      book: this.book,
      deliver: (from, messages) => this.deliver(from, messages),
    });
  }

  /** This node's advertised address; with port 0 it holds the chosen port once start() resolved. */
  get address(): string {
    return this.advertised;
  }

  /** Bind the listener, then dial every current peer. Rejects when the address cannot be bound. */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`transport ${this.advertised} was stopped; create a new one`));
    // Concurrent calls share one bind.
    this.starting ??= this.listen();
    return this.starting;
  }

  private async listen(): Promise<void> {
    const server = peerServer((line) => this.settings.logger.warn(`transport ${this.advertised}: ${line}`));
    server.addService(PEER_SERVICE, { stream: this.inbound.handle });
    this.server = server;
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(this.listenAddress, serverCredentials(this.tls), (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
    }).catch((err: Error) => {
      server.forceShutdown();
      this.server = undefined;
      this.starting = undefined; // a later start() may try again (e.g. once the port is free)
      // grpc-js names the system error only in its text: its code is copied out so that a program
      // can tell a port in use (EADDRINUSE) from other failures without matching words.
      const failure: Error & { code?: string } = new Error(`transport: cannot listen on ${this.listenAddress}: ${err.message}`, { cause: err });
      const code = /\b(E[A-Z]{3,})\b/.exec(err.message)?.[1];
      if (code) failure.code = code;
      throw failure;
    });
    const { host, port: asked } = splitHostPort(this.advertised);
    if (asked === '0') this.advertised = `${host}:${port}`;
    this.started = true;
    if (this.stopped) {
      // stop() was called while binding: its shutdown found no port yet, so close it now.
      server.forceShutdown();
      this.server = undefined;
      return;
    }
    for (const link of this.links.values()) link.start();
  }

  /** Close every stream and the listener; graceful for `shutdownGraceMs`, then forced. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.scheduler.close();
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.inbound.closeAll();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  send(to: string, messages: readonly Message[]): void {
    if (this.enqueue(to, messages)) this.scheduler.schedule(to);
  }

  sendSoon(to: string, messages: readonly Message[], withinMs: number): void {
    if (this.enqueue(to, messages)) this.scheduler.scheduleWithin(to, withinMs);
  }

  /** Queues messages on the link to `to`; false when there is nothing to flush. */
  private enqueue(to: string, messages: readonly Message[]): boolean {
    if (this.stopped || messages.length === 0) return false;
    const link = this.links.get(to);
    if (!link) {
      this.book.droppedUnknownPeer += messages.length;
      return false;
    }
    for (const m of messages) link.queue.push(m);
    return true;
  }

  discard(to: string, which: (message: Message) => boolean): void {
    this.links.get(to)?.queue.dropWhere(which);
  }

  /** The data directory incarnations of the open streams dialed in as `address` (see Transport.dialerIncarnations). */
  dialerIncarnations(address: string): string[] {
    return this.inbound.incarnationsOf(address);
  }

  onMessages(handler: MessageHandler): void {
    this.handler = handler;
  }

  setPeers(addresses: readonly string[]): void {
    if (this.stopped) return;
    const wanted = new Set(addresses);
    wanted.delete(this.address); // a member list may include this node; it never dials itself
    for (const [address, link] of this.links) {
      if (wanted.has(address)) continue;
      link.close();
      this.links.delete(address);
      this.book.forget(address);
    }
    for (const address of wanted) {
      if (this.links.has(address)) continue;
      splitHostPort(address);
      const link = new PeerLink(address, this.book.peer(address), this.settings);
      this.links.set(address, link);
      this.book.attachQueue(address, link.queue);
      if (this.started) link.start();
    }
  }

  /** Writes everything queued now (see Transport.flush). */
  flush(): void {
    this.scheduler.flushNow();
  }

  stats(): TransportStats {
    return this.book.snapshot();
  }

  private deliver(from: string, messages: Message[]): void {
    try {
      this.handler?.(from, messages);
    } catch (err) {
      // A bug in the handler must not tear down the stream the next batch arrives on.
      this.settings.logger.warn(`transport ${this.advertised}: message handler threw on a batch from ${from}: ${(err as Error).stack ?? String(err)}`);
    }
  }
}
