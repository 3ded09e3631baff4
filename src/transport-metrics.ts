/**
 * The peer transport's own counters (`Transport.stats()`) as Prometheus series, read at scrape
 * time: bytes and messages each way, messages dropped, queues, connection state and refused
 * streams, per peer. Named after etcd's `network_peer_*` series where etcd has one.
 * @module
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PeerStats, TransportStats } from './transport/types.js';

/** Where the transport's counters come from, e.g. `() => node.transport?.stats()`; undefined while there is no transport. */
export type TransportStatsSource = () => TransportStats | undefined;

/** A per-peer series: its name, help, label and the field of PeerStats it exports. */
interface PeerSeries {
  suffix: string;
  help: string;
  label: 'to' | 'from';
  kind: 'counter' | 'gauge';
  value: (peer: PeerStats) => number;
}

const PEER_SERIES: readonly PeerSeries[] = [
  { suffix: 'network_peer_sent_bytes_total', help: 'Encoded bytes sent to each peer.', label: 'to', kind: 'counter', value: (p) => p.bytesSent },
  { suffix: 'network_peer_received_bytes_total', help: 'Encoded bytes received from each peer.', label: 'from', kind: 'counter', value: (p) => p.bytesReceived },
  { suffix: 'network_peer_sent_messages_total', help: 'Messages written to the stream to each peer.', label: 'to', kind: 'counter', value: (p) => p.sent },
  { suffix: 'network_peer_received_messages_total', help: 'Messages received from each peer.', label: 'from', kind: 'counter', value: (p) => p.received },
  {
    suffix: 'network_peer_dropped_messages_total',
    help: "Messages to each peer dropped from the transport's queue before they were sent: the queue full, the peer removed or its messages taken back, a message too big. Raft takes them as lost and sends again.",
    label: 'to',
    kind: 'counter',
    value: (p) => p.dropped,
  },
  { suffix: 'network_peer_decode_errors_total', help: 'Frames from each peer that did not decode (each also ended its stream).', label: 'from', kind: 'counter', value: (p) => p.decodeErrors },
  { suffix: 'network_peer_reconnects_total', help: 'Times the stream to each peer was established again after its first connection.', label: 'to', kind: 'counter', value: (p) => p.reconnects },
  { suffix: 'network_peer_connected', help: 'Whether the stream to each peer is established (1) or not (0).', label: 'to', kind: 'gauge', value: (p) => (p.connected ? 1 : 0) },
  { suffix: 'network_peer_queued_messages', help: 'Messages waiting in the queue to each peer.', label: 'to', kind: 'gauge', value: (p) => p.queuedMessages },
  { suffix: 'network_peer_queued_bytes', help: 'Estimated bytes waiting in the queue to each peer.', label: 'to', kind: 'gauge', value: (p) => p.queuedBytes },
];

/** The transport-wide counters: their name, help and the field of TransportStats they export. */
const TRANSPORT_SERIES: ReadonlyArray<{ suffix: string; help: string; value: (s: TransportStats) => number }> = [
  { suffix: 'network_rejected_streams_total', help: 'Inbound peer streams refused: another cluster, a bad handshake, frames that did not decode.', value: (s) => s.rejectedStreams },
  { suffix: 'network_unknown_peer_messages_total', help: 'Messages for an address that is not a current peer, dropped.', value: (s) => s.droppedUnknownPeer },
  { suffix: 'network_undecodable_frames_total', help: 'Frames that did not decode before their sender was known.', value: (s) => s.decodeErrors },
];

/** Whether a value can be exported as a count or gauge: a finite number, not negative. */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Series filled from a {@link TransportStatsSource} at each scrape. A peer the transport forgot
 * (a removed member, a silent outsider) leaves the exposition with it. While the source gives
 * nothing or throws (no transport yet, a closed one), every series keeps its last values.
 */
export class TransportMetrics {
  #source: TransportStatsSource | undefined;

  /**
   * @param registers the registries to register the series on
   * @param name the full metric name for a suffix (adds the prefix)
   */
  constructor(registers: Registry[], name: (suffix: string) => string) {
    for (const s of PEER_SERIES) {
      const config = { name: name(s.suffix), help: s.help, labelNames: [s.label], registers };
      if (s.kind === 'counter') {
        const counter: Counter<string> = new Counter({ ...config, collect: () => this.#collectPeers(counter, s) });
      } else {
        const gauge: Gauge<string> = new Gauge({ ...config, collect: () => this.#collectPeers(gauge, s) });
      }
    }
    for (const s of TRANSPORT_SERIES) {
      const counter: Counter = new Counter({
        name: name(s.suffix),
        help: s.help,
        registers,
        collect: () => {
          const stats = this.#stats();
          const value = stats && s.value(stats);
          if (!isCount(value)) return;
          counter.reset();
          counter.inc(value);
        },
      });
    }
  }

  /** Sets where the counters come from; `undefined` detaches it (the series keep their last values). */
  setSource(source: TransportStatsSource | undefined): void {
    this.#source = source;
  }

  /** The source's stats, or undefined when it gives none, throws, or gives something without `peers` (a custom transport's). */
  #stats(): TransportStats | undefined {
    try {
      const stats = this.#source?.();
      return stats && typeof stats.peers === 'object' && stats.peers !== null ? stats : undefined;
    } catch {
      return undefined;
    }
  }

  #collectPeers(metric: Counter<string> | Gauge<string>, series: PeerSeries): void {
    const stats = this.#stats();
    if (!stats) return;
    metric.reset();
    for (const [address, peer] of Object.entries(stats.peers)) {
      // An address that only dialed in has no outgoing side: a `to` series of it (connected 0)
      // would read as a peer down to an alert on a link this node never makes.
      if (series.label === 'to' && peer.dialed === false) continue;
      const value = series.value(peer);
      if (!isCount(value)) continue;
      if (metric instanceof Counter) metric.inc({ [series.label]: address }, value);
      else metric.set({ [series.label]: address }, value);
    }
  }
}
