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

/**
 * Response header, next to ACCEPTED_HEADER, carrying the receiver's cluster fingerprint when it
 * knows one: a dialer that knows none learns it from a node it chose to dial (see
 * cluster-fingerprint.ts).
 */
export const FINGERPRINT_HEADER = 'tsraft-fp';

/**
 * Trailer of a refused stream saying what kind of refusal it is, when the dialer acts on it:
 * `incarnation` — the receiver heard from the dialer's address on another data directory (see
 * peer-incarnations.ts).
 */
export const REFUSAL_HEADER = 'tsraft-refusal';

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

/** A refused TLS handshake is logged once per remote address per this many ms (peers redial often). */
const TLS_REFUSAL_LOG_INTERVAL_MS = 60_000;

/**
 * The listener. grpc-js logs no refused TLS handshake (a plaintext peer, a certificate the CA did
 * not sign), so an operator saw nothing on either side (found in review): the HTTP/2 server it
 * makes is hooked to report who was refused and why, through `warn`. The hook uses a method of
 * grpc-js that is not public API; without it the listener still works, unlogged.
 */
export function peerServer(warn: (line: string) => void): grpc.Server {
  const server = new grpc.Server(serverOptions());
  const internal = server as unknown as { createHttp2Server?: (credentials: unknown) => import('node:http2').Http2SecureServer };
  const create = internal.createHttp2Server;
  if (typeof create !== 'function') return server;
  const lastLogged = new Map<string, number>();
  internal.createHttp2Server = function (this: unknown, credentials: unknown) {
    const http2Server = create.call(this, credentials);
    http2Server.on('tlsClientError', (err: Error, socket: import('node:tls').TLSSocket) => {
      const from = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      const key = socket.remoteAddress ?? '?';
      const now = performance.now();
      if (now - (lastLogged.get(key) ?? -Infinity) < TLS_REFUSAL_LOG_INTERVAL_MS) return;
      if (lastLogged.size > 1000) lastLogged.clear(); // bounded: one entry per refused address
      lastLogged.set(key, now);
      warn(`refused a TLS handshake from ${from} (a plaintext peer, or a certificate the CA does not sign?): ${err.message}`);
    });
    return http2Server;
  };
  return server;
}
