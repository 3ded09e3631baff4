/**
 * Who this node can send to: member id → peer address.
 *
 * The configuration's members are always known. So are addresses pinned at start (the members
 * given in the options) and leaders named by other nodes. Everyone else is an outsider: a member
 * that left the configuration, or a node we heard from that is not in it (a joiner asking to be
 * added, a removed member still campaigning). We keep an outsider while it talks to us, so we
 * can answer it, and forget it once it has been silent for a while. Otherwise the transport
 * would dial a removed, shut-down member forever and report it as a peer that is down.
 * @module
 */
import type { NodeId } from './core/index.js';

export class PeerAddresses {
  private readonly byId = new Map<NodeId, string>();
  private memberIds = new Set<NodeId>();
  /** Outsider id → when we last heard from it (or when it left the configuration), in ms. */
  private readonly outsiders = new Map<NodeId, number>();

  /**
   * @param forgetAfterMs how long an outsider may stay silent before it is forgotten
   * @param now the clock, in ms
   */
  constructor(
    private readonly selfId: NodeId,
    selfAddress: string,
    private readonly forgetAfterMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.byId.set(selfId, selfAddress);
  }

  /** The address of `id`, if known. */
  get(id: NodeId): string | undefined {
    return this.byId.get(id);
  }

  has(id: NodeId): boolean {
    return this.byId.has(id);
  }

  /** Every known id but our own. */
  peerIds(): NodeId[] {
    return [...this.byId.keys()].filter((id) => id !== this.selfId);
  }

  /** Every known address but our own. */
  peerAddresses(): string[] {
    const out = new Set<string>();
    for (const [id, address] of this.byId) if (id !== this.selfId) out.add(address);
    return [...out];
  }

  /** An address to keep until it joins and leaves the configuration: a listed member, a named leader. */
  pin(id: NodeId, address: string): void {
    this.byId.set(id, address);
  }

  /** A pinned address no longer wanted (a listed member the persisted configuration overrides): forgotten unless a member. */
  unpin(id: NodeId): void {
    if (id === this.selfId || this.memberIds.has(id)) return;
    this.byId.delete(id);
    this.outsiders.delete(id);
  }

  /**
   * A member about to be added (by this leader): known at once, forgotten if it never joins nor
   * talks. Returns whether the address is new.
   */
  expect(id: NodeId, address: string): boolean {
    if (this.memberIds.has(id)) return false;
    this.outsiders.set(id, this.now());
    if (this.byId.get(id) === address) return false;
    this.byId.set(id, address);
    return true;
  }

  /**
   * The configuration is now `members` (each with its address). Members that left it become
   * outsiders, heard from now. Returns whether an address was added or changed.
   */
  setMembers(members: ReadonlyArray<{ id: NodeId; context: string }>): boolean {
    const next = new Set<NodeId>();
    let changed = false;
    for (const m of members) {
      next.add(m.id);
      this.outsiders.delete(m.id);
      if (this.byId.get(m.id) !== m.context) {
        this.byId.set(m.id, m.context);
        changed = true;
      }
    }
    const now = this.now();
    for (const id of this.memberIds) if (!next.has(id) && id !== this.selfId) this.outsiders.set(id, now);
    this.memberIds = next;
    return changed;
  }

  /**
   * A message from `id`, which gave `address` as its own. Returns true when the address is new
   * (the caller then updates the transport's peers). Cheap for members: on every inbound message.
   */
  heardFrom(id: NodeId, address: string): boolean {
    if (this.memberIds.has(id)) return false;
    if (!this.byId.has(id)) {
      this.byId.set(id, address);
      this.outsiders.set(id, this.now());
      return true;
    }
    if (this.outsiders.has(id)) this.outsiders.set(id, this.now());
    return false;
  }

  /**
   * Forgets outsiders silent for `forgetAfterMs`, except those `keep` names (the leader, a node a
   * request waits on). Returns the addresses forgotten.
   */
  forgetSilent(keep: (id: NodeId) => boolean): string[] {
    if (this.outsiders.size === 0) return [];
    const forgotten: string[] = [];
    const now = this.now();
    for (const [id, heard] of this.outsiders) {
      if (now - heard < this.forgetAfterMs || keep(id)) continue;
      this.outsiders.delete(id);
      const address = this.byId.get(id);
      this.byId.delete(id);
      if (address !== undefined) forgotten.push(address);
    }
    return forgotten;
  }
}
