/**
 * Helpers for the gRPC transport tests: loopback nodes with fast backoff and an inbox, and a free
 * port finder for peers that must be known before they start.
 */
import { createServer } from 'node:net';
import type { Message } from '../../src/core/messages.js';
import { GrpcTransport, type GrpcTransportOptions } from '../../src/transport/grpc.js';
import { CollectingLogger } from './fixtures.js';

export { freePort } from '../support/ports.js';

/** True when `port` can be bound on 127.0.0.1 right now (nobody listens on it). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A transport under test with what it received and what it logged. */
export interface TestNode {
  t: GrpcTransport;
  logger: CollectingLogger;
  inbox: Array<{ from: string; messages: Message[] }>;
  /** Messages received from `from` (or from anyone). */
  received(from?: string): Message[];
}

/** Every node made since the last stopCreated(), so a failing test still cleans up. */
const created: TestNode[] = [];

/** Stop every node made by makeNode since the last call (use in test.after.each). */
export async function stopCreated(): Promise<void> {
  await stopAll(created.splice(0));
}

/** A transport on 127.0.0.1 (port 0 unless given) with test-friendly timings, not yet started. */
export function makeNode(options: Partial<GrpcTransportOptions> = {}): TestNode {
  const logger = new CollectingLogger();
  const t = new GrpcTransport({
    address: '127.0.0.1:0',
    clusterId: 'test-cluster',
    logger,
    backoff: { initialMs: 20, maxMs: 200 },
    pingIntervalMs: 50,
    shutdownGraceMs: 200,
    ...options,
  });
  const node: TestNode = {
    t,
    logger,
    inbox: [],
    received: (from) => node.inbox.filter((b) => from === undefined || b.from === from).flatMap((b) => b.messages),
  };
  t.onMessages((from, messages) => node.inbox.push({ from, messages }));
  created.push(node);
  return node;
}

/** Start nodes and make each a peer of all the others. */
export async function startMesh(nodes: TestNode[]): Promise<void> {
  for (const n of nodes) await n.t.start();
  for (const n of nodes) n.t.setPeers(nodes.filter((o) => o !== n).map((o) => o.t.address));
}

/** Stop every node (in parallel). */
export async function stopAll(nodes: TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.t.stop()));
}
