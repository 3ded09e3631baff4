/**
 * The contract between the Node layer and a peer transport (gRPC in production, in-memory in
 * tests). The transport moves batches of core {@link Message}s between addresses; it never
 * interprets `from`/`to` (the Node layer maps numeric NodeIds to "host:port" addresses).
 */
import type { Message } from '../core/messages.js';

/** Called with every batch received from a peer, in the order the peer sent them. */
export type MessageHandler = (from: string, messages: Message[]) => void;

/**
 * Where a transport reports what an operator should see (rejected streams, lost peers). Injected
 * so tests can collect lines and servers can route them to their own log; `console` fits.
 */
export interface TransportLogger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * Bounds of one peer's outgoing queue. Both apply: a dead or slow peer can hold at most
 * `maxMessages` messages and about `maxBytes` bytes (estimated, see estimateMessageSize).
 * The oldest message does not count toward `maxBytes`: it is kept while the messages behind it
 * fit, so a big entry or snapshot chunk (even one larger than `maxBytes`) can always make
 * progress; the queue holds at most `maxBytes` plus one message.
 */
export interface QueueLimits {
  maxMessages: number;
  maxBytes: number;
}

/** Counters and gauges of one peer, for metrics. Every field is a plain number or boolean. */
export interface PeerStats {
  /** Messages written to the wire (encoded into a batch and handed to the stream). */
  sent: number;
  /** Batches (stream writes) sent. */
  batchesSent: number;
  /** Encoded bytes sent. */
  bytesSent: number;
  /** Messages received from this peer and handed to the handler. */
  received: number;
  /** Batches received from this peer. */
  batchesReceived: number;
  /** Encoded bytes received from this peer. */
  bytesReceived: number;
  /** Outgoing messages dropped: queue full, peer removed with messages queued, oversized. */
  dropped: number;
  /** Frames from this peer that did not decode (each one also ended the stream). */
  decodeErrors: number;
  /** Messages waiting in the outgoing queue now. */
  queuedMessages: number;
  /** Estimated bytes waiting in the outgoing queue now. */
  queuedBytes: number;
  /** True while the outgoing stream to this peer is established. */
  connected: boolean;
  /** Times the outgoing stream was (re)established after the first connection. */
  reconnects: number;
  /** Last measured round trip of a ping on the outgoing stream, in ms; undefined before one. */
  rttMs: number | undefined;
  /**
   * Whether this transport dials the peer (it is in setPeers, with an outgoing queue); false for an
   * address that only dialed in. Optional: a transport that leaves it out has every peer counted as dialed.
   */
  dialed?: boolean;
}

/** A snapshot of a transport's counters. */
export interface TransportStats {
  /** Per peer address: peers from setPeers, plus any address that sent us messages. */
  peers: Record<string, PeerStats>;
  /** Messages passed to send() for an address that is not a current peer (dropped). */
  droppedUnknownPeer: number;
  /** Inbound streams rejected: wrong cluster id, bad handshake, undecodable frames. */
  rejectedStreams: number;
  /** Frames that failed to decode before their sender was identified. */
  decodeErrors: number;
}

/** A peer transport: bounded per-peer queues, one coalesced batch per write, fault tolerant. */
export interface Transport {
  /** This node's address ("host:port") as peers know it; final after start() when port 0 was asked. */
  readonly address: string;
  /** Start listening (and dialing the current peers). Resolves once ready to receive. */
  start(): Promise<void>;
  /** Close every stream, the listener and all timers. Queued messages are discarded. */
  stop(): Promise<void>;
  /**
   * Queue messages for a peer; they leave as one batch with everything else queued for it before
   * the next flush (setImmediate). Never blocks and never throws on a dead peer: a full queue
   * drops its oldest messages and counts them. Messages for an address that is not a peer are
   * dropped and counted in `droppedUnknownPeer`.
   */
  send(to: string, messages: readonly Message[]): void;
  /** Set the one handler that receives every inbound batch (replaces any previous handler). */
  onMessages(handler: MessageHandler): void;
  /**
   * Declare the current peers: streams open to new addresses and close to removed ones (their
   * queued messages are dropped). This node's own address, if listed, is ignored.
   */
  setPeers(addresses: readonly string[]): void;
  /** A snapshot of the counters, for metrics. */
  stats(): TransportStats;
  /**
   * Write everything queued now rather than at the next setImmediate. The Node calls it once it
   * has sent the messages that need no local durability (right after starting its WAL write,
   * or before the write of an in-line step), so they leave while the disk works. Optional.
   */
  flush?(): void;
  /**
   * Like send(), but the messages may wait up to `withinMs` milliseconds so that they leave in
   * the same stream write as the next messages sent to that peer. For messages nobody waits on,
   * such as a leader's commit notice: every stream write costs CPU on both ends. Optional; a
   * caller without it uses send().
   */
  sendSoon?(to: string, messages: readonly Message[], withinMs: number): void;
  /**
   * Drop the messages queued for `to` and not yet written that `which` selects (counted as
   * dropped). The Node calls it when a member leaves the configuration, for the replication
   * messages queued while it was unreachable: they were meant for the member it was, and a node
   * that comes back at that address later (added again, on another data directory) must not
   * take them for its own. Optional; without it such messages may reach that node.
   */
  discard?(to: string, which: (message: Message) => boolean): void;
  /**
   * The data directory incarnations (see data-dir-incarnation.ts) that the open streams dialed in
   * as `address` announced, distinct. The Node asks when `address` becomes a member: a joiner's
   * stream was let in before it was one, and its incarnation must be kept then. Optional; a
   * transport without a handshake has none.
   */
  dialerIncarnations?(address: string): readonly string[];
}
