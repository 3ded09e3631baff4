// The transport's own counters (Transport.stats()) exported by RaftMetrics at scrape time
// (src/transport-metrics.ts): each PeerStats field under its series and label, the transport-wide
// counters, no growth by scraping, a forgotten peer leaving the exposition, and a source that
// gives nothing, throws or answers nonsense keeping the last values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RaftMetrics } from '../../src/metrics.js';
import type { PeerStats, TransportStats } from '../../src/transport/types.js';
import { parseExposition, value } from '../support/prometheus-text.js';

function peer(n: number, extra: Partial<PeerStats> = {}): PeerStats {
  return { sent: n, batchesSent: 1, bytesSent: n * 100, received: n + 1, batchesReceived: 1, bytesReceived: (n + 1) * 100, dropped: n + 2, decodeErrors: n + 3, queuedMessages: n + 4, queuedBytes: n + 5, connected: true, reconnects: n + 6, rttMs: 1, ...extra };
}

function stats(peers: Record<string, PeerStats>): TransportStats {
  return { peers, droppedUnknownPeer: 7, rejectedStreams: 8, decodeErrors: 9 };
}

async function scrape(metrics: RaftMetrics) {
  return parseExposition(await metrics.text());
}

test('every peer counter and gauge is exported under its series and label, with the transport-wide counters', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    metrics.setTransportSource(() => stats({ 'a:1': peer(10), 'b:2': peer(20, { connected: false }) }));
    const fams = await scrape(metrics);
    const expect: Array<[string, 'to' | 'from', (p: PeerStats) => number]> = [
      ['tsraft_network_peer_sent_bytes_total', 'to', (p) => p.bytesSent],
      ['tsraft_network_peer_received_bytes_total', 'from', (p) => p.bytesReceived],
      ['tsraft_network_peer_sent_messages_total', 'to', (p) => p.sent],
      ['tsraft_network_peer_received_messages_total', 'from', (p) => p.received],
      ['tsraft_network_peer_dropped_messages_total', 'to', (p) => p.dropped],
      ['tsraft_network_peer_decode_errors_total', 'from', (p) => p.decodeErrors],
      ['tsraft_network_peer_reconnects_total', 'to', (p) => p.reconnects],
      ['tsraft_network_peer_queued_messages', 'to', (p) => p.queuedMessages],
      ['tsraft_network_peer_queued_bytes', 'to', (p) => p.queuedBytes],
    ];
    for (const [name, label, field] of expect) {
      assert.is(value(fams, name, { [label]: 'a:1' }), field(peer(10)), `${name}{${label}="a:1"}`);
      assert.is(value(fams, name, { [label]: 'b:2' }), field(peer(20)), `${name}{${label}="b:2"}`);
    }
    assert.is(value(fams, 'tsraft_network_peer_connected', { to: 'a:1' }), 1);
    assert.is(value(fams, 'tsraft_network_peer_connected', { to: 'b:2' }), 0);
    assert.is(value(fams, 'tsraft_network_unknown_peer_messages_total'), 7);
    assert.is(value(fams, 'tsraft_network_rejected_streams_total'), 8);
    assert.is(value(fams, 'tsraft_network_undecodable_frames_total'), 9);
  } finally {
    metrics.stop();
  }
});

test('scraping does not add to the counters, and a peer the transport forgot leaves the exposition', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    let current = stats({ 'a:1': peer(10), 'b:2': peer(20) });
    metrics.setTransportSource(() => current);
    for (let i = 0; i < 3; i++) {
      const fams = await scrape(metrics);
      assert.is(value(fams, 'tsraft_network_peer_sent_bytes_total', { to: 'a:1' }), 1000, `scrape ${i + 1}`);
      assert.is(value(fams, 'tsraft_network_rejected_streams_total'), 8, `scrape ${i + 1}`);
    }
    current = stats({ 'a:1': peer(11) });
    const fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_peer_sent_bytes_total', { to: 'a:1' }), 1100);
    assert.is(value(fams, 'tsraft_network_peer_sent_bytes_total', { to: 'b:2' }), undefined, 'the forgotten peer is gone');
    assert.is(value(fams, 'tsraft_network_peer_connected', { to: 'b:2' }), undefined);
  } finally {
    metrics.stop();
  }
});

test('with no transport yet the transport-wide counters read 0; a source that gives nothing or throws keeps the last values; nonsense per-peer values are left out', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    let fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_rejected_streams_total'), 0, 'exported at 0 before any transport');
    let answer: () => TransportStats | undefined = () => stats({ 'a:1': peer(10) });
    metrics.setTransportSource(() => answer());
    await scrape(metrics);
    answer = () => undefined;
    fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_peer_sent_bytes_total', { to: 'a:1' }), 1000, 'kept while the source gives nothing');
    answer = () => {
      throw new Error('transport closed');
    };
    fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_peer_sent_bytes_total', { to: 'a:1' }), 1000, 'kept while the source throws');
    assert.is(value(fams, 'tsraft_network_rejected_streams_total'), 8);
    answer = () => stats({ 'a:1': peer(10, { bytesSent: Number.NaN, queuedBytes: -1 }) });
    fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_peer_sent_bytes_total', { to: 'a:1' }), undefined, 'NaN left out');
    assert.is(value(fams, 'tsraft_network_peer_queued_bytes', { to: 'a:1' }), undefined, 'a negative gauge left out');
    assert.is(value(fams, 'tsraft_network_peer_sent_messages_total', { to: 'a:1' }), 10, 'the other fields still exported');
    metrics.setTransportSource(undefined);
    fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_peer_sent_messages_total', { to: 'a:1' }), 10, 'kept once detached');
  } finally {
    metrics.stop();
  }
});

test('an address that only dialed in has its from series but no to series (connected 0 read as a peer down)', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    metrics.setTransportSource(() => stats({ 'a:1': peer(10, { dialed: true }), 'in:9': peer(0, { dialed: false, connected: false }), 'custom:3': peer(30) }));
    const fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_peer_received_bytes_total', { from: 'in:9' }), 100, 'what it sent is counted');
    assert.is(value(fams, 'tsraft_network_peer_connected', { to: 'in:9' }), undefined);
    assert.is(value(fams, 'tsraft_network_peer_sent_bytes_total', { to: 'in:9' }), undefined);
    assert.is(value(fams, 'tsraft_network_peer_connected', { to: 'a:1' }), 1);
    assert.is(value(fams, 'tsraft_network_peer_connected', { to: 'custom:3' }), 1, 'a transport that does not say is taken as dialing');
  } finally {
    metrics.stop();
  }
});

test("a custom transport's stats without peers, or with transport-wide values that are no counts, leave the last values and the scrape parses", async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    let answer: unknown = stats({ 'a:1': peer(10) });
    metrics.setTransportSource(() => answer as TransportStats);
    await scrape(metrics);
    answer = { droppedUnknownPeer: 1, rejectedStreams: 2, decodeErrors: 3 };
    let fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_peer_sent_bytes_total', { to: 'a:1' }), 1000, 'no peers: kept');
    assert.is(value(fams, 'tsraft_network_rejected_streams_total'), 8, 'no peers: the whole source is ignored');
    answer = { peers: {}, droppedUnknownPeer: undefined, rejectedStreams: -5, decodeErrors: Number.NaN };
    fams = await scrape(metrics);
    assert.is(value(fams, 'tsraft_network_unknown_peer_messages_total'), 7, 'undefined: kept');
    assert.is(value(fams, 'tsraft_network_rejected_streams_total'), 8, 'negative: kept');
    assert.is(value(fams, 'tsraft_network_undecodable_frames_total'), 9, 'NaN: kept');
  } finally {
    metrics.stop();
  }
});

test.run();
