/**
 * A TCP proxy on loopback for link-fault tests: it forwards every connection to a target port,
 * optionally at a bounded rate in each direction (a slow link), and can stall (stop forwarding
 * while the sockets stay open: a half-open link), resume, or reset every connection.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxyOptions {
  /** Forward at most this many bytes per second in each direction of each connection (default: unbounded). */
  bytesPerSecond?: number;
}

export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(
    /** The port the proxy listens on (127.0.0.1). */
    readonly port: number,
    /** The port it forwards to (127.0.0.1). */
    readonly target: number,
    private readonly options: TcpProxyOptions = {},
  ) {}

  listen(): Promise<void> {
    const server = createServer((client) => {
      this.accepted++;
      const upstream = connect(this.target, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      this.forward(client, upstream);
      this.forward(upstream, client);
    });
    this.server = server;
    return new Promise((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', () => resolve()));
  }

  /** Copies `from` to `to`, pausing after each chunk for as long as the rate allows, and while stalled. */
  private forward(from: Socket, to: Socket): void {
    const rate = this.options.bytesPerSecond;
    if (this.stalled) from.pause();
    from.on('data', (chunk: Buffer) => {
      const flowing = to.write(chunk);
      from.pause();
      const resume = (): void => {
        if (!this.stalled && !from.destroyed) from.resume();
      };
      const wait = rate === undefined ? 0 : (chunk.length / rate) * 1000;
      const afterRate = (): void => void (wait > 0 ? setTimeout(resume, wait) : resume());
      if (flowing) afterRate();
      else to.once('drain', afterRate);
    });
  }

  /** Stop forwarding in both directions; the sockets stay open (the kernel ACKs until buffers fill). */
  stall(): void {
    this.stalled = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  /** Forward again after stall(). */
  resume(): void {
    this.stalled = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
  }

  /** Reset every connection (RST, not FIN). */
  reset(): void {
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    this.pairs.clear();
  }

  /** Reset every connection and stop listening. */
  close(): Promise<void> {
    this.reset();
    const s = this.server;
    this.server = undefined;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
