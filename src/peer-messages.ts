/**
 * Messages the Node layer exchanges besides the core's Raft messages: requests forwarded to the
 * leader (proposals, membership changes, leadership transfers) and node metadata. They travel on
 * the same peer streams as Raft messages.
 * @module
 */
import type { Message, NodeId } from './core/messages.js';

/** What a forwarded request asks the leader to do. Flat, so the wire schema is fixed. */
export interface ForwardOp {
  op: 'propose' | 'addVoter' | 'addLearner' | 'remove' | 'transfer';
  /** The encoded command, for 'propose' (empty otherwise). */
  data: Uint8Array;
  /** The member concerned, for membership changes and transfers ('' for 'propose'). */
  address: string;
}

/** A request a non-leader sends to the leader (or to a member it hopes leads). */
export interface ForwardRequest extends ForwardOp {
  type: 'forward';
  from: NodeId;
  to: NodeId;
  term: number;
  /** Correlates the response; unique per sender. */
  requestId: number;
}

/** The leader's answer: the log position to wait for, or why it refused. */
export interface ForwardResponse {
  type: 'forwardResp';
  from: NodeId;
  to: NodeId;
  term: number;
  requestId: number;
  /** Index and term of the appended entry (0 for transfers and refusals). */
  index: number;
  logTerm: number;
  /** Empty on success; else what went wrong ('notLeader', 'confChangeInFlight', ...). */
  error: string;
  /** A human-readable reason that goes with `error`. */
  message: string;
  /** The leader's address when the receiver is not the leader and knows one. */
  leader: string;
  /**
   * With `error` 'invalidConfChange': why, as the core's code ('alreadyMember', 'notMember', ...).
   * Absent from older members.
   */
  problem?: string;
}

/** A node announces its metadata (e.g. its HTTP address) to its peers. */
export interface NodeMetaMessage {
  type: 'nodeMeta';
  from: NodeId;
  to: NodeId;
  term: number;
  meta: string;
  /**
   * The name of the sender's command codec (absent from older members): a member with another
   * codec logs it, since a command it cannot decode stops it when it applies.
   */
  codec?: string;
}

/** Everything that travels between peers. */
export type PeerMessage = Message | ForwardRequest | ForwardResponse | NodeMetaMessage;
