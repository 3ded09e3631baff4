/**
 * Majority arithmetic over the voters of a configuration: the quorum size, the commit index a
 * quorum has reached, and the outcome of a vote tally. Correct for every size, even ones.
 */
import type { NodeId } from './messages.js';

/** Votes needed among `voters` voters: a strict majority. */
export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The highest index that a majority of voters have matched.
 * `match` gives each voter's match index. With no voters it returns +Infinity (nothing to wait for),
 * which callers must treat as "no constraint".
 */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  const indices = voters.map(match).sort((a, b) => b - a);
  return indices[quorumSize(voters.length) - 1]!;
}

export type VoteOutcome = 'won' | 'lost' | 'pending';

/** Tally of an election among `voters`: granted and rejected votes by voter id. */
export function voteOutcome(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteOutcome {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const q = quorumSize(voters.length);
  if (granted >= q) return 'won';
  if (rejected > voters.length - q) return 'lost';
  return 'pending';
}

/** Whether a quorum of `voters` satisfies `pred`. */
export function quorumHas(voters: readonly NodeId[], pred: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const id of voters) if (pred(id)) n++;
  return n >= quorumSize(voters.length);
}
