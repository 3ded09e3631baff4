/**
 * The gRPC service peers talk through, defined without a .proto file: one bidirectional
 * streaming method whose messages are raw frames (see frame.ts), so serialization is the
 * identity on Buffers and all encoding stays in our own code. Also the channel/server options
 * and credentials both ends use.
 */
import * as grpc from '@grpc/grpc-js';

/** The streaming method's full path. */
export const PEER_STREAM_PATH = '/tsraft.Peer/Stream';

const passThrough = (frame: Buffer): Buffer => frame;

/** The service: `Stream(stream Frame) returns (stream Frame)`, frames being opaque bytes. */
export const PEER_SERVICE = {
  stream: {
    path: PEER_STREAM_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
    originalName: 'stream',
  },
} satisfies grpc.ServiceDefinition;

/**
 * Response header by which a receiver says "handshake accepted, send". Dialers wait for it rather
 * than for any headers, because a refusal can also arrive as (trailers-only) headers.
 */
export const ACCEPTED_HEADER = 'tsraft-accepted';

/** Largest frame either end accepts; snapshot chunks must fit. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Mutual-TLS material (PEM). Every node presents `cert`/`key` and trusts peers signed by `ca`. */
export interface TlsOptions {
  cert: Buffer | string;
  key: Buffer | string;
  ca: Buffer | string;
}

const pem = (value: Buffer | string): Buffer => (typeof value === 'string' ? Buffer.from(value) : value);

/** Credentials for dialing peers: mutual TLS when configured, otherwise plaintext. */
export function channelCredentials(tls: TlsOptions | undefined): grpc.ChannelCredentials {
  return tls ? grpc.credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert)) : grpc.credentials.createInsecure();
}

/** Credentials for the listener: with TLS, client certificates are required and checked. */
export function serverCredentials(tls: TlsOptions | undefined): grpc.ServerCredentials {
  return tls
    ? grpc.ServerCredentials.createSsl(pem(tls.ca), [{ cert_chain: pem(tls.cert), private_key: pem(tls.key) }], true)
    : grpc.ServerCredentials.createInsecure();
}

/** Options of every outgoing channel. */
export function channelOptions(backoff: { initialMs: number; maxMs: number }): grpc.ChannelOptions {
  return {
    'grpc.max_send_message_length': MAX_FRAME_BYTES,
    'grpc.max_receive_message_length': MAX_FRAME_BYTES,
    // Notice a silently dead peer (pulled cable, frozen VM) within ~15 s even when idle.
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    // The channel's own reconnect backoff defaults to 1 s .. 120 s; keep it within ours so a
    // restarted peer is found again within a couple of seconds.
    'grpc.initial_reconnect_backoff_ms': backoff.initialMs,
    'grpc.max_reconnect_backoff_ms': backoff.maxMs,
    // Transparent retries buffer every message of a stream until it "commits"; we reconnect and
    // tolerate loss ourselves, so the buffering is pure cost.
    'grpc.enable_retries': 0,
    // Each transport owns its connections: stopping one never disturbs another in the same process.
    'grpc.use_local_subchannel_pool': 1,
  };
}

/** Options of the listener. */
export function serverOptions(): grpc.ServerOptions {
  return {
    'grpc.max_send_message_length': MAX_FRAME_BYTES,
    'grpc.max_receive_message_length': MAX_FRAME_BYTES,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
  };
}
