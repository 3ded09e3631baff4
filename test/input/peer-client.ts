/**
 * Helpers of the bad-input tests: a raw peer-stream client (what a misbehaving or malicious peer
 * would send) and small checks against a running raft-node cluster.
 */
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import { Packr } from 'msgpackr';
import { helloFrame, batchFrame, PROTOCOL_VERSION } from '../../src/transport/frame.js';
import { PEER_STREAM_PATH } from '../../src/transport/grpc-service.js';
import { ProcessCluster, http, type RaftProcess } from '../support/processes.js';

export const plain = new Packr({ useRecords: false });

export interface RawStream {
  call: grpc.ClientDuplexStream<Buffer, Buffer>;
  client: grpc.Client;
  status: Promise<grpc.StatusObject>;
  headers: Promise<grpc.Metadata>;
  write(frame: Buffer): void;
  close(): void;
}

/** Opens a raw peer stream to `address` (no frames written yet). */
export function openStream(address: string, options: grpc.ChannelOptions = {}): RawStream {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
    ...options,
  });
  const id = (b: Buffer): Buffer => b;
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(PEER_STREAM_PATH, id, id, new grpc.Metadata());
  call.on('error', () => {});
  call.on('data', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  const headers = new Promise<grpc.Metadata>((resolve) => call.on('metadata', resolve));
  return {
    call,
    client,
    status,
    headers,
    write: (f) => void call.write(f),
    close: () => {
      try {
        call.cancel();
      } catch {
        /* closed */
      }
      client.close();
    },
  };
}

/** A hello frame for cluster "tsraft" (raft-node's default) claiming `address`. */
export function hello(address: string, clusterId = 'tsraft', version = PROTOCOL_VERSION): Buffer {
  return helloFrame({ version, clusterId, address });
}

/** A batch frame of plain-map messages. */
export function batch(messages: unknown[]): Buffer {
  return batchFrame(plain.pack(messages));
}

/** Races `p` against a timeout; resolves undefined on timeout. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A PUT then a linearizable GET on `node` succeed. */
export async function putGet(node: RaftProcess, key: string, value = String(Date.now())): Promise<{ put: number; get: number; text: string }> {
  const put = await http(`${node.url}/kv/${key}`, { method: 'PUT', body: value, timeoutMs: 10_000 });
  const get = await http(`${node.url}/kv/${key}`, { timeoutMs: 10_000 });
  return { put: put.status, get: get.status, text: get.text };
}

/** RSS of a process in bytes (from /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0);
  return kb * 1024;
}

/**
 * Starts a ProcessCluster of `size` before the file's tests (waiting for a leader) and closes it
 * after them; returns a getter for it.
 */
export function sharedCluster(size: number, options?: Parameters<typeof ProcessCluster.start>[1]): () => ProcessCluster {
  let cluster: ProcessCluster | undefined;
  test.before(async () => {
    cluster = await ProcessCluster.start(size, options);
    await cluster.waitLeader();
  });
  test.after(async () => {
    await cluster?.close();
  });
  return () => cluster!;
}
