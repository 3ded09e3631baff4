// Holding a gRPC link as backpressure does, for the tests of a timeoutNow queued on such a link
// (test/node/leader-leaves-backpressured-handover, transfer-backpressured-target).
import type { Message } from '../../src/core/index.js';
import type { Node } from '../../src/index.js';
import { SetCommand, type Kv, type TestCluster } from './node-cluster.js';

/** The parts of the gRPC transport and link the tests reach into. */
interface HeldLink {
  waitingDrain: boolean;
  flush(): void;
}
interface GrpcInternals {
  send(to: string, messages: readonly Message[]): void;
  links: Map<string, HeldLink>;
}

/**
 * Holds the link that takes a batch with a timeoutNow from `node` (its first `times` such
 * batches) as a backpressured stream does: write() returned false and 'drain' comes `ms` later,
 * so the batch stays queued meanwhile.
 * @returns the address of every batch with a timeoutNow sent since, in order (the first `times` held)
 */
export function holdTimeoutNowLinks(node: Node<Kv>, ms: number, times = Infinity): string[] {
  const transport = (node as unknown as { transport: GrpcInternals }).transport;
  const send = transport.send.bind(transport);
  const sent: string[] = [];
  transport.send = (to, messages) => {
    if (messages.some((m) => m.type === 'timeoutNow') && sent.push(to) <= times) {
      const link = transport.links.get(to)!;
      link.waitingDrain = true;
      setTimeout(() => {
        link.waitingDrain = false;
        link.flush();
      }, ms).unref();
    }
    send(to, messages);
  };
  return sent;
}

/** Starts `c`, writes once and resolves with the leader once every follower holds all of its log. */
export async function caughtUpLeader(c: TestCluster): Promise<Node<Kv>> {
  await c.startAll();
  const leader = await c.waitLeader();
  await leader.do(new SetCommand('a', '1'));
  await c.waitFor(() => leader.members().every((m) => m.match === leader.status().lastIndex), 5000, 'every follower to be caught up');
  return leader;
}
