/**
 * What a refused proposal, membership change or leadership transfer means, in words, naming
 * members by address. The core knows members only by numeric id and says why it refused with a
 * code; the leader turns that into the message the caller's error carries (a follower that
 * forwarded the request passes it on as it is), and the asking node turns the refusal into the
 * error its caller gets ({@link refusalError}).
 * @module
 */
import type { ProposalRejection, TransferRefusal } from './core/index.js';
import { LeadershipTransferError, MembershipChangeError, NoLeaderError, NotLeaderError, ProposalDroppedError, StoppedError, TimeoutError } from './errors.js';
import type { ForwardResponse } from './peer-messages.js';

/** The message of a refused proposal; `address` is the member a membership change is about. */
export function proposalRefusalMessage(refusal: ProposalRejection, address: string): string {
  switch (refusal.reason) {
    case 'notLeader':
      return 'not the leader';
    case 'transferring':
      return 'leadership is being handed to another member; retry when the transfer completes';
    case 'confChangeInFlight':
      return 'another membership change is in progress; retry when it completes';
    case 'leaderNotReady':
      return 'the leader was just elected and takes membership changes once it has committed an entry of its term; retry shortly';
    case 'invalidConfChange':
      switch (refusal.problem) {
        case 'alreadyMember':
          return `${address} is already a member of the cluster (to change whether it votes, remove it and add it again)`;
        case 'notMember':
          return `${address} is not a member of the cluster`;
        case 'notLearner':
          return `${address} is not a non-voting member`;
        case 'lastVoter':
          return `removing ${address} would leave the cluster without a voting member`;
        case 'invalid':
          return refusal.message;
      }
  }
}

/** The message of a refused leadership transfer to `address`. */
export function transferRefusalMessage(refusal: TransferRefusal, address: string): string {
  return refusal.reason === 'notVoter' ? `${address} is not a voting member of the cluster` : 'not the leader';
}

/** The message of a transfer the leader (`leader`) gave up: the target did not take over in time. */
export function transferAbandonedMessage(address: string, electionTimeoutMs: number, leader: string): string {
  return `${address} did not take over within an election timeout (${electionTimeoutMs} ms); ${leader} still leads`;
}

/**
 * The error a request's caller gets for the leader's refusal `r` (or the forwarding's own: a
 * timeout, no leader known). `leaderWaitMs` is how long the node waited for a leader before it.
 */
export function refusalError(r: ForwardResponse, leaderWaitMs: number): Error {
  switch (r.error) {
    case 'notLeader':
      return r.leader ? new NotLeaderError(r.leader) : new NoLeaderError();
    case 'confChangeInFlight':
    case 'leaderNotReady':
    case 'invalidConfChange': {
      const refused = new MembershipChangeError(r.message);
      if (r.problem !== undefined) refused.problem = r.problem;
      return refused;
    }
    case 'stopped':
      return new StoppedError(r.message);
    case 'stoppedInDoubt': {
      // This node stopped with the request handed to the leader: it may still apply.
      const stopped = new StoppedError(r.message);
      stopped.outcomeUnknown = true;
      return stopped;
    }
    case 'transferRefused':
      return new LeadershipTransferError(r.message);
    case 'transferring':
      return new NoLeaderError(
        leaderWaitMs > 0 ? `leadership is being transferred and no leader took it within ${leaderWaitMs} ms; retry later` : `${r.message}; retry later`,
      );
    case 'leaderLost': {
      const lost = new NotLeaderError(r.leader || undefined, r.message);
      lost.outcomeUnknown = true;
      return lost;
    }
    case 'timeout':
      return new TimeoutError(r.message);
    default:
      return new ProposalDroppedError(r.message || r.error);
  }
}
