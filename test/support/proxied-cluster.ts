// A three-member cluster on the real gRPC transport whose third member sits behind a TCP proxy:
// it advertises the proxy's address and listens on another port, so that a test can throttle,
// stall or reset every connection to it (test/support/tcp-proxy.ts). Shared by the transport soaks.
import { GrpcTransport } from '../../src/transport/grpc.js';
import type { Node, NodeOptions } from '../../src/node.js';
import { TestCluster, freePort, type Kv } from './node-cluster.js';
import { TcpProxy, type TcpProxyOptions } from './tcp-proxy.js';

export interface ProxiedCluster {
  cluster: TestCluster;
  proxy: TcpProxy;
  /** The leader, one of the first two members (elected before the third started). */
  leader: Node<Kv>;
  /** The third member's advertised address: the proxy's. */
  behind: string;
  /** The port the third member really listens on. */
  real: number;
  /** Starts (or restarts) the third member behind the proxy. */
  startBehind(): Promise<Node<Kv>>;
  /** Stops every member, then the proxy. */
  close(): Promise<void>;
}

/** Starts the first two members, waits for a leader, then starts the third behind a proxy. */
export async function proxiedCluster(options: Partial<NodeOptions<Kv>>, proxyOptions: TcpProxyOptions = {}): Promise<ProxiedCluster> {
  const a1 = `127.0.0.1:${await freePort()}`;
  const a2 = `127.0.0.1:${await freePort()}`;
  const proxyPort = await freePort();
  const real = await freePort();
  const behind = `127.0.0.1:${proxyPort}`;
  const proxy = new TcpProxy(proxyPort, real, proxyOptions);
  await proxy.listen();
  const cluster = new TestCluster(3, options, 'grpc', [a1, a2, behind]);
  const close = async () => {
    await cluster.close();
    await proxy.close();
  };
  try {
    await cluster.start(a1);
    await cluster.start(a2);
    const leader = await cluster.waitLeader(10_000);
    const startBehind = () =>
      cluster.start(behind, {
        transport: new GrpcTransport({ address: behind, listen: `127.0.0.1:${real}`, clusterId: 'tsraft', logger: { info() {}, warn() {} }, shutdownGraceMs: 100 }),
      });
    await startBehind();
    return { cluster, proxy, leader, behind, real, startBehind, close };
  } catch (err) {
    await close();
    throw err;
  }
}
