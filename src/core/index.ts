/** The pure Raft core: a deterministic state machine driven by tick/step/propose and drained through Ready. */
export * from './messages.js';
export { Raft, type RaftOptions, type ProposalResult, type ProposalRejection, type TransferRefusal, type LostLog } from './raft.js';
export { RaftLog, RaftInvariantError } from './log.js';
export { MemoryStorage, entrySize, type Storage } from './storage.js';
export { ReplicationProgress, type ProgressState } from './progress.js';
export { quorumSize, committedIndex, voteOutcome } from './quorum.js';
export {
  ConfChangeError,
  type ConfChangeProblem,
  MembershipHistory,
  applyConfChange,
  encodeConfChange,
  decodeConfChange,
  bootstrapEntry,
  voterIds,
  learnerIds,
  isVoter,
  findMember,
} from './membership.js';
export { ReadOnlyQueue } from './read-only.js';
export { SeededRandom } from './rng.js';
