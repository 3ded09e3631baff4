/**
 * Cluster membership: applying a change to a configuration, the encoding of ConfChange entries,
 * and the history of configurations in the log.
 *
 * tsraft uses single-server changes (Raft thesis §4.1): a configuration takes effect on a node as
 * soon as its entry is appended to that node's log, committed or not, and is rolled back if that
 * entry is truncated away. Safety needs one change at a time, proposed only after the leader has
 * committed an entry of its own term; the Raft core enforces both.
 */
import { EntryType, type ConfChange, type Entry, type Member, type Membership, type NodeId, type SnapshotMeta } from './messages.js';

/**
 * What is wrong with a change, for a driver to say in its own words (it knows members by
 * address; the core only by id): the member is already in the configuration, is not in it, is
 * not a learner (promote), is the last voter (remove); anything else (a malformed change) is
 * 'invalid'.
 */
export type ConfChangeProblem = 'alreadyMember' | 'notMember' | 'notLearner' | 'lastVoter' | 'invalid';

/** A change that cannot apply to the current configuration. */
export class ConfChangeError extends Error {
  override name = 'ConfChangeError';
  constructor(
    message: string,
    readonly problem: ConfChangeProblem = 'invalid',
  ) {
    super(message);
  }
}

export function voterIds(m: Membership): NodeId[] {
  return m.filter((x) => x.role === 'voter').map((x) => x.id);
}

export function learnerIds(m: Membership): NodeId[] {
  return m.filter((x) => x.role === 'learner').map((x) => x.id);
}

export function findMember(m: Membership, id: NodeId): Member | undefined {
  return m.find((x) => x.id === id);
}

export function isVoter(m: Membership, id: NodeId): boolean {
  return findMember(m, id)?.role === 'voter';
}

/** The configuration after `cc`; throws ConfChangeError when the change does not apply. */
export function applyConfChange(m: Membership, cc: ConfChange): Membership {
  if (cc.type === 'bootstrap') {
    if (m.length > 0) throw new ConfChangeError('bootstrap configuration applied to a configured cluster');
    if (voterIds(cc.members).length === 0) throw new ConfChangeError('bootstrap configuration has no voters');
    return [...cc.members].sort((a, b) => a.id - b.id);
  }
  const existing = findMember(m, cc.id);
  const others = m.filter((x) => x.id !== cc.id);
  let next: Member[];
  switch (cc.type) {
    case 'addVoter':
    case 'addLearner':
      if (existing) throw new ConfChangeError(`member ${cc.id} is already in the configuration`, 'alreadyMember');
      next = [...others, { id: cc.id, role: 'learner', promote: cc.type === 'addVoter', context: cc.context }];
      break;
    case 'promote':
      if (!existing || existing.role !== 'learner') throw new ConfChangeError(`member ${cc.id} is not a learner`, 'notLearner');
      next = [...others, { ...existing, role: 'voter', promote: false }];
      break;
    case 'remove':
      if (!existing) throw new ConfChangeError(`member ${cc.id} is not in the configuration`, 'notMember');
      next = others;
      if (existing.role === 'voter' && voterIds(next).length === 0) {
        throw new ConfChangeError(`removing ${cc.id} would leave no voters`, 'lastVoter');
      }
      break;
  }
  return next.sort((a, b) => a.id - b.id);
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return utf8.encode(JSON.stringify(cc));
}

/** Decodes a ConfChange entry's data; throws ConfChangeError on malformed bytes. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  let v: unknown;
  try {
    v = JSON.parse(utf8Decoder.decode(data));
  } catch {
    throw new ConfChangeError('ConfChange entry is not valid JSON');
  }
  const o = v as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) throw new ConfChangeError('ConfChange entry is not an object');
  if (o.type === 'bootstrap') {
    if (!Array.isArray(o.members)) throw new ConfChangeError('bootstrap ConfChange has no member list');
    return { type: 'bootstrap', members: o.members.map(decodeMember) };
  }
  if (typeof o !== 'object' || o === null || typeof o.id !== 'number' || !Number.isSafeInteger(o.id) || o.id <= 0) {
    throw new ConfChangeError('ConfChange entry has no valid member id');
  }
  switch (o.type) {
    case 'addVoter':
    case 'addLearner':
      if (typeof o.context !== 'string') throw new ConfChangeError('ConfChange add has no context string');
      return { type: o.type, id: o.id, context: o.context };
    case 'promote':
    case 'remove':
      return { type: o.type, id: o.id };
    default:
      throw new ConfChangeError(`unknown ConfChange type ${String(o.type)}`);
  }
}

function decodeMember(v: unknown): Member {
  const o = v as Record<string, unknown>;
  if (
    typeof o !== 'object' || o === null || typeof o.id !== 'number' || !Number.isSafeInteger(o.id) || o.id <= 0 ||
    (o.role !== 'voter' && o.role !== 'learner') || typeof o.promote !== 'boolean' || typeof o.context !== 'string'
  ) {
    throw new ConfChangeError('bootstrap ConfChange has a malformed member');
  }
  return { id: o.id, role: o.role, promote: o.promote, context: o.context };
}

/**
 * The first log entry of every founding member: the initial configuration at index 1, term 1.
 * Founding members must be given the same member list so that their entries are identical.
 */
export function bootstrapEntry(members: Membership): Entry {
  const sorted = [...members].sort((a, b) => a.id - b.id).map((m) => ({ id: m.id, role: m.role, promote: m.promote, context: m.context }));
  applyConfChange([], { type: 'bootstrap', members: sorted }); // validates
  return { index: 1, term: 1, type: EntryType.ConfChange, data: encodeConfChange({ type: 'bootstrap', members: sorted }) };
}

/**
 * The configurations recorded in the log after the snapshot, so the current one is known at any
 * time and can be rolled back when a suffix of the log is truncated.
 */
export class MembershipHistory {
  private base: { index: number; membership: Membership };
  private changes: Array<{ index: number; membership: Membership }> = [];

  constructor(snapshot: Pick<SnapshotMeta, 'index' | 'membership'>, confEntries: readonly Entry[]) {
    this.base = { index: snapshot.index, membership: snapshot.membership };
    this.onAppend(confEntries.filter((e) => e.index > snapshot.index));
  }

  current(): Membership {
    return this.changes.length ? this.changes[this.changes.length - 1]!.membership : this.base.membership;
  }

  /** Index of the entry that produced the current configuration (the snapshot's index if none). */
  currentIndex(): number {
    return this.changes.length ? this.changes[this.changes.length - 1]!.index : this.base.index;
  }

  /**
   * The configurations adopted after `membership` (one current() returned), oldest first, the
   * current one last. One append can adopt several: a member's removal and its re-addition reach a
   * lagging follower together. When `membership` is no longer held (rolled back with a truncated
   * log, replaced by a snapshot, or never seen), those of entries after `committed`, which no
   * truncation reaches, and at least the current one.
   */
  adoptedAfter(membership: Membership, committed: number): Membership[] {
    const held = [this.base, ...this.changes];
    let at = held.findIndex((c) => c.membership === membership);
    if (at < 0) {
      const first = held.findIndex((c) => c.index > committed);
      at = (first < 0 ? held.length : first) - 1;
    }
    const adopted = held.slice(at + 1).map((c) => c.membership);
    return adopted.length > 0 ? adopted : [this.current()];
  }

  /** Whether `id` is in any configuration this history still holds (since its snapshot). */
  everIncludes(id: NodeId): boolean {
    return findMember(this.base.membership, id) !== undefined || this.changes.some((c) => findMember(c.membership, id) !== undefined);
  }

  /** The configuration in effect at `index`. */
  at(index: number): Membership {
    return this.entryAt(index).membership;
  }

  /** Index of the entry (or snapshot) that produced the configuration in effect at `index`. */
  indexAt(index: number): number {
    return this.entryAt(index).index;
  }

  private entryAt(index: number): { index: number; membership: Membership } {
    for (let i = this.changes.length - 1; i >= 0; i--) {
      if (this.changes[i]!.index <= index) return this.changes[i]!;
    }
    return this.base;
  }

  /**
   * Takes newly appended entries into account. A ConfChange that does not apply (which a correct
   * leader never proposes) is ignored the same way on every node, so configurations agree.
   * Returns whether the configuration changed.
   */
  onAppend(entries: readonly Entry[]): boolean {
    let changed = false;
    for (const e of entries) {
      if (e.type !== EntryType.ConfChange) continue;
      try {
        const next = applyConfChange(this.current(), decodeConfChange(e.data));
        this.changes.push({ index: e.index, membership: next });
        changed = true;
      } catch (err) {
        if (!(err instanceof ConfChangeError)) throw err;
      }
    }
    return changed;
  }

  /** Rolls back configurations from entries after `index`. Returns whether the configuration changed. */
  truncateAfter(index: number): boolean {
    const before = this.changes.length;
    while (this.changes.length && this.changes[this.changes.length - 1]!.index > index) this.changes.pop();
    return this.changes.length !== before;
  }

  /** Replaces everything with a snapshot's configuration (a follower installing a snapshot). */
  reset(snapshot: Pick<SnapshotMeta, 'index' | 'membership'>): void {
    this.base = { index: snapshot.index, membership: snapshot.membership };
    this.changes = [];
  }

  /** Forgets history covered by a snapshot at `index` (taken locally). */
  compactTo(index: number): void {
    const membership = this.at(index);
    this.changes = this.changes.filter((c) => c.index > index);
    this.base = { index, membership };
  }
}
