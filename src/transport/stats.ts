/**
 * Mutable per-peer counters shared by the parts of a transport (outgoing link, inbound stream
 * handler), and the bookkeeping that turns them into a {@link TransportStats} snapshot.
 */
import type { PeerQueue } from './queue.js';
import type { PeerStats, TransportStats } from './types.js';

/** The counters a transport updates as it works; queue gauges are read from the queue itself. */
export type PeerCounters = Omit<PeerStats, 'queuedMessages' | 'queuedBytes' | 'dropped'> & {
  /** Drops outside the queue bounds (oversized or unencodable messages). */
  droppedOther: number;
};

/** Fresh zeroed counters. */
export function newPeerCounters(): PeerCounters {
  return {
    sent: 0,
    batchesSent: 0,
    bytesSent: 0,
    received: 0,
    batchesReceived: 0,
    bytesReceived: 0,
    droppedOther: 0,
    decodeErrors: 0,
    connected: false,
    reconnects: 0,
    rttMs: undefined,
  };
}

/**
 * Addresses that only dialed in (no link of ours: no queue attached) whose counters are kept, at
 * most; past it the oldest of them is dropped. The address is what the dialer claims in its hello,
 * and a dialer that passes the cluster-id handshake may claim a new one at every dial.
 */
export const MAX_INBOUND_ONLY_ADDRESSES = 256;

/**
 * The counters of every known address plus transport-wide ones. Peers removed from the
 * membership are forgotten; addresses that only sent to us stay, the newest
 * {@link MAX_INBOUND_ONLY_ADDRESSES} of them (found in a growth audit: one record per claimed hello
 * address was kept for good, as many as a dialer made up).
 */
export class StatsBook {
  private readonly peers = new Map<string, PeerCounters>();
  private readonly queues = new Map<string, PeerQueue>();
  /** Addresses in `peers` with no queue attached, oldest first. */
  private readonly inboundOnly = new Set<string>();
  /** Messages passed to send() for an address that is not a current peer. */
  droppedUnknownPeer = 0;
  /** Inbound streams rejected at or after the handshake. */
  rejectedStreams = 0;
  /** Frames that failed to decode before their sender was identified. */
  decodeErrors = 0;

  /** The counters of `address`, created on first use. */
  peer(address: string): PeerCounters {
    let c = this.peers.get(address);
    if (!c) {
      c = newPeerCounters();
      this.peers.set(address, c);
      this.inboundOnly.add(address);
      if (this.inboundOnly.size > MAX_INBOUND_ONLY_ADDRESSES) {
        const oldest = this.inboundOnly.values().next().value as string;
        this.inboundOnly.delete(oldest);
        this.peers.delete(oldest);
      }
    }
    return c;
  }

  /** Attach the outgoing queue of `address` so snapshots report its gauges and drops. */
  attachQueue(address: string, queue: PeerQueue): void {
    this.queues.set(address, queue);
    this.inboundOnly.delete(address);
  }

  /** Forget a removed peer. */
  forget(address: string): void {
    this.peers.delete(address);
    this.queues.delete(address);
    this.inboundOnly.delete(address);
  }

  /** A plain-data copy of everything, safe to hand to metrics code. */
  snapshot(): TransportStats {
    const peers: Record<string, PeerStats> = {};
    for (const [address, c] of this.peers) {
      const q = this.queues.get(address);
      const { droppedOther, ...rest } = c;
      peers[address] = {
        ...rest,
        dropped: droppedOther + (q?.dropped ?? 0),
        queuedMessages: q?.length ?? 0,
        queuedBytes: q?.bytes ?? 0,
        dialed: q !== undefined,
      };
    }
    return {
      peers,
      droppedUnknownPeer: this.droppedUnknownPeer,
      rejectedStreams: this.rejectedStreams,
      decodeErrors: this.decodeErrors,
    };
  }
}
