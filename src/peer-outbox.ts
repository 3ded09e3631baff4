/**
 * How the Node's messages leave for its peers: grouped into one transport batch per peer, a
 * leader's lone commit notices held a moment to share a frame with the next append, and snapshot
 * chunks filled from the snapshot file in their peer's lane, so that a chunk's disk read holds
 * neither the run loop nor the other peers' traffic.
 * @module
 */
import { COMMIT_NOTICE, type Message, type NodeId, type SnapshotMeta } from './core/index.js';
import { PeerLanes } from './peer-lanes.js';
import type { PeerMessage } from './peer-messages.js';
import type { Transport } from './transport/types.js';

/**
 * How long a leader's commit notice may wait to share a stream write with the next append to
 * that follower. No client waits on it (a proposal resolves on the node that made it, and a
 * follower's ReadIndex learns the commit from the heartbeat round), yet alone it costs a frame
 * each way on both ends: at one write in flight it was half of all peer traffic.
 */
const COMMIT_NOTICE_DELAY_MS = 2;

/**
 * The most messages to one peer that wait behind its snapshot chunk's disk read (PeerLanes drops
 * the oldest past it). A read takes well under a millisecond from the page cache; a thousand
 * messages is a second of heartbeat rounds under read load, and a hung read must not grow memory.
 */
const MAX_MESSAGES_BEHIND_CHUNK = 1024;

function isCommitNotice(m: PeerMessage): boolean {
  return m.type === 'append' && m[COMMIT_NOTICE] === true;
}

/** What the outbox needs from its node. */
export interface OutboxHost {
  /** The transport, once started (messages before it are dropped, as Raft allows). */
  transport(): Transport | undefined;
  /** A peer's address; messages to a peer with none known are dropped. */
  addressOf(id: NodeId): string | undefined;
  /** Whether the node still runs (a stopping node sends no chunk it read late). */
  running(): boolean;
  /** The bytes of a snapshot chunk; `undefined` to drop the message, `'gone'` if that snapshot can no longer be sent. */
  readChunk(meta: SnapshotMeta, offset: number, length: number): Promise<Uint8Array | undefined | 'gone'>;
  /** Snapshot `meta` can no longer be sent to `peer`: its transfer starts again from the latest. */
  snapshotUnavailable(peer: NodeId, meta: SnapshotMeta): void;
  /** Sending a lane's batch threw: the node cannot go on. */
  fail(err: Error): void;
}

/** The Node's outgoing peer messages. */
export class PeerOutbox {
  /**
   * Messages to a peer that wait for a snapshot chunk's disk read, and those sent to that peer
   * after them: they leave in order once it returns, while the other peers' traffic (heartbeats,
   * appends) and the run loop go on. A slow read held them all before, and could cost leadership.
   */
  private readonly chunkLanes = new PeerLanes<NodeId, Message>(
    (_peer, batch, wanted) => this.sendWithChunks(batch, wanted),
    (err) => this.host.fail(err),
    MAX_MESSAGES_BEHIND_CHUNK,
  );

  constructor(private readonly host: OutboxHost) {}

  /** Messages dropped while they waited behind a snapshot chunk's disk read, so far (PeerLanes.dropped). */
  get droppedBehindChunkRead(): number {
    return this.chunkLanes.dropped;
  }

  /**
   * Sends the core's messages grouped per peer. A snapshot chunk leaves once its bytes are read
   * from the snapshot file, in its peer's lane with the messages to that peer after it;
   * everything else leaves now.
   */
  send(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    let waiting: Set<NodeId> | undefined;
    for (const m of messages) {
      if ((m.type === 'snapshot' && m.length > 0) || this.chunkLanes.busy(m.to)) (waiting ??= new Set()).add(m.to);
    }
    if (!waiting) {
      this.sendNow(messages);
      return;
    }
    const lanes = new Map<NodeId, Message[]>();
    const now: Message[] = [];
    for (const m of messages) {
      if (!waiting.has(m.to)) now.push(m);
      else {
        const list = lanes.get(m.to);
        if (list) list.push(m);
        else lanes.set(m.to, [m]);
      }
    }
    this.sendNow(now);
    for (const [peer, list] of lanes) this.chunkLanes.enqueue(peer, list);
  }

  /** Sends messages that need nothing read first (the node's own: forwards, answers, announcements) at once, one batch per peer. */
  sendNow(messages: readonly PeerMessage[]): void {
    const transport = this.host.transport();
    if (!transport) return;
    const byPeer = new Map<string, PeerMessage[]>();
    for (const m of messages) {
      const address = this.host.addressOf(m.to);
      if (!address) continue;
      let list = byPeer.get(address);
      if (!list) byPeer.set(address, (list = []));
      list.push(m);
    }
    for (const [address, list] of byPeer) {
      const batch = list as unknown as Message[];
      if (transport.sendSoon && list.every(isCommitNotice)) transport.sendSoon(address, batch, COMMIT_NOTICE_DELAY_MS);
      else transport.send(address, batch);
    }
  }

  /**
   * Takes back the messages to `peer` that `which` matches and that have not left yet, wherever
   * they wait: in the transport's queue for the peer's address, or in its lane behind a chunk's
   * disk read (which would hand them to the transport after the node had taken them back).
   */
  discard(peer: NodeId, which: (message: Message) => boolean): void {
    const address = this.host.addressOf(peer);
    if (address) this.host.transport()?.discard?.(address, which);
    this.chunkLanes.dropWhere(peer, which);
  }

  /** Resolves once no lane has a batch waiting for a chunk's read; undefined if none does. */
  drained(): Promise<void> | undefined {
    return this.chunkLanes.drained();
  }

  /** Fills the snapshot chunks among `messages` (all to one peer) from the snapshot file, then sends those still `wanted`. */
  private async sendWithChunks(messages: readonly Message[], wanted: (m: Message) => boolean): Promise<void> {
    let unread: Set<Message> | undefined;
    for (const m of messages) {
      if (m.type !== 'snapshot' || m.length === 0 || !wanted(m)) continue;
      if (!this.host.running()) return;
      const data = await this.host.readChunk(m.meta, m.offset, m.length);
      if (data instanceof Uint8Array) {
        m.data = data;
        continue;
      }
      (unread ??= new Set()).add(m); // a lost message: the core sends it again, or...
      // ...starts the transfer again with the latest snapshot.
      if (data === 'gone' && this.host.running()) this.host.snapshotUnavailable(m.to, m.meta);
    }
    if (!this.host.running()) return;
    this.sendNow(messages.filter((m) => !unread?.has(m) && wanted(m)));
    this.host.transport()?.flush?.();
  }
}
