/**
 * tsraft's public API: the {@link Node} and what programs against it (commands, codecs, snapshot
 * policies, errors, metrics, transports). See the README for a complete example.
 * @module
 */
export { Node, CommandThrewError, type NodeOptions, type SnapshotHandler, type LeaderChange, type LogLevel, type ReadOutcome } from './node.js';
export type { Command, CommandClass } from './command.js';
export { jsonCodec, msgpackCodec, bytesCodec, JsonCodec, MsgpackCodec, BytesCodec, CodecError, type Codec } from './codec.js';
export { CustomSync, DefaultSync, EveryDay, EveryHour, EveryMinute, EverySecond, Never, type SnapshotPolicy, type SyncType } from './snapshot/index.js';
export { parseMembers, type MemberAddress } from './members.js';
export {
  RaftError,
  NotLeaderError,
  NoLeaderError,
  NotRegisteredError,
  BadTypeIdError,
  UnknownCommandTypeError,
  TimeoutError,
  StoppedError,
  NotStartedError,
  CommandTooLargeError,
  ProposalDroppedError,
  ResultNotKeptError,
  MembershipChangeError,
  LeadershipTransferError,
  RemovedError,
  LostDataError,
  WrongMemberError,
} from './errors.js';
export { DirectoryLockedError } from '../wal/index.js';
export { RaftMetrics } from './metrics.js';
export { GrpcTransport, MemoryNetwork, MemoryTransport, type Transport, type TlsOptions } from './transport/index.js';
