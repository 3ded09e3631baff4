/**
 * Peer transports: the {@link Transport} contract, the gRPC implementation used by servers, the
 * in-memory one (with fault injection) used by tests, and the wire encoding they share.
 */
export type { Transport, MessageHandler, TransportLogger, QueueLimits, PeerStats, TransportStats } from './types.js';
export { GrpcTransport, type GrpcTransportOptions, type TlsOptions } from './grpc.js';
export { MemoryNetwork, MemoryTransport, type MemoryNetworkOptions, type MemoryTransportOptions, type NetworkFaults, type NetworkStats } from './memory.js';
export { encodeBatch, decodeBatch, estimateMessageSize, validateBatch, validateMessage, WireError } from './wire.js';
export { DEFAULT_QUEUE_LIMITS, PeerQueue } from './queue.js';
export { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
