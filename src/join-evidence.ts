/**
 * What a joiner sends with a repeated join request once a member accepted an earlier one: the
 * index and term of that addition's entry. A joiner still catching up cannot tell its addition
 * committed and then removed by an operator (it must stay out: it asked again and was added back,
 * a user trial) from its addition overwritten by the next leader (it must ask again: a review);
 * the leader can, from its log, and refuses the request in the first case.
 * @module
 */

import type { Membership, NodeId } from './core/index.js';

/** The entry of a joiner's accepted addition. */
export interface AcceptedAddition {
  index: number;
  term: number;
}

/** The refusal code (ForwardResponse.problem) of a join asked again after its addition committed and was removed. */
export const REMOVED_SINCE_ADDITION = 'removedSinceAddition';

/** `addition` as the data of a forwarded addVoter/addLearner request. */
export function encodeAcceptedAddition(addition: AcceptedAddition): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ index: addition.index, term: addition.term }));
}

/** The accepted addition a join request carries, or undefined for none (a first request, an older joiner) or data that is not one. */
export function decodeAcceptedAddition(data: Uint8Array): AcceptedAddition | undefined {
  if (data.byteLength === 0 || data.byteLength > 256) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as { index?: unknown; term?: unknown };
    const { index, term } = value;
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(term) || (index as number) < 1 || (term as number) < 1) return undefined;
    return { index: index as number, term: term as number };
  } catch {
    return undefined;
  }
}

/** What {@link additionCommitted} reads of a leader's core. */
export interface CommittedView {
  log: { readonly committed: number; term(index: number): number | undefined };
  membership: { indexAt(index: number): number; at(index: number): Membership };
}

/**
 * Whether the entry `addition` (the accepted addition of member `id`) is committed in `raft`'s
 * log: the same index and term, as Raft's log matching goes. Compacted away, the configuration in
 * effect there says whether `id` was added by then, if the history still reaches back to it; if
 * it starts at a later snapshot the leader cannot tell, and answers true: an overwritten addition
 * is asked about again within a request timeout, long before compaction reaches it, while a
 * removal must stick (found in review: the snapshot's configuration was read as the one there).
 */
export function additionCommitted(addition: AcceptedAddition, id: NodeId, raft: CommittedView): boolean {
  if (addition.index > raft.log.committed) return false;
  const term = raft.log.term(addition.index);
  if (term !== undefined) return term === addition.term;
  if (raft.membership.indexAt(addition.index) > addition.index) return true;
  return raft.membership.at(addition.index).some((m) => m.id === id);
}
