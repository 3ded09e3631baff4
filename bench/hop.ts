/**
 * One network hop between two nodes, idle: serial round trips between two processes over our
 * gRPC peer stream (an append out, its appendResp back — the shape of a replication round trip),
 * next to the machine's floor measured in the same run: a raw TCP socket echoing the same number
 * of bytes. A write at 1 connection pays two such hops (leader → follower → leader) plus the
 * follower's disk; this bench says how much of a hop is ours and how much is the kernel's.
 *
 *   node --import tsx bench/hop.ts [--round-trips 5000]
 *   (npm run bench:hop)
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { append, flag } from './peer-fixtures.js';
import { GrpcTransport } from '../src/transport/grpc.js';

const WARMUP = 500;
const ENTRY_BYTES = 60;
const quiet = { info: () => {}, warn: (m: string) => console.error(m) };
// The echoer outlives its peer at the end of a measurement: its "lost stream" warning is expected.
const silent = { info: () => {}, warn: () => {} };

/** The echoing side, in a child process: answers each append with an appendResp, or echoes bytes. */
async function runEchoer(kind: string): Promise<void> {
  if (kind === 'grpc') {
    const b = new GrpcTransport({ address: '127.0.0.1:0', clusterId: 'hop', logger: silent, pingIntervalMs: 0 });
    await b.start();
    b.onMessages((from, messages) => {
      for (const m of messages) {
        if (m.type !== 'append') continue;
        b.send(from, [{ type: 'appendResp', from: 2, to: 1, term: 3, reject: false, index: m.prevIndex + 1, conflictTerm: 0, conflictIndex: 0 }]);
      }
      b.flush?.();
    });
    process.on('message', (peer) => b.setPeers([String(peer)]));
    process.send!(b.address);
  } else {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('data', (bytes) => socket.write(bytes));
    });
    server.listen(0, '127.0.0.1', () => process.send!(`127.0.0.1:${(server.address() as net.AddressInfo).port}`));
  }
}

function startEchoer(kind: string): Promise<{ child: ChildProcess; address: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--echo', kind], { execArgv: ['--import', 'tsx'] });
    child.once('message', (address) => resolve({ child, address: String(address) }));
    child.once('error', reject);
  });
}

function percentiles(us: number[]): string {
  us.sort((a, b) => a - b);
  const at = (q: number): string => us[Math.min(us.length - 1, Math.floor(us.length * q))]!.toFixed(0).padStart(6);
  return `${at(0.5)} ${at(0.9)} ${at(0.99)}`;
}

/** Times `count` serial round trips of `roundTrip` (after a warm-up), in microseconds. */
async function time(count: number, roundTrip: (i: number) => Promise<void>): Promise<number[]> {
  const us: number[] = [];
  for (let i = 0; i < WARMUP + count; i++) {
    const started = performance.now();
    await roundTrip(i);
    if (i >= WARMUP) us.push((performance.now() - started) * 1000);
  }
  return us;
}

async function grpcRoundTrips(count: number): Promise<number[]> {
  const { child, address } = await startEchoer('grpc');
  const a = new GrpcTransport({ address: '127.0.0.1:0', clusterId: 'hop', logger: quiet, pingIntervalMs: 0 });
  await a.start();
  child.send(a.address);
  a.setPeers([address]);
  let answered: () => void = () => {};
  a.onMessages(() => answered());
  const data = new Uint8Array(ENTRY_BYTES).fill(1);
  try {
    return await time(count, (i) => new Promise<void>((resolve) => {
      answered = resolve;
      a.send(address, [append(i, data)]);
      a.flush?.();
    }));
  } finally {
    await a.stop();
    child.kill();
  }
}

async function tcpRoundTrips(count: number): Promise<number[]> {
  const { child, address } = await startEchoer('tcp');
  const [host, port] = address.split(':') as [string, string];
  const socket = net.connect(Number(port), host);
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  // About what one append batch weighs on the wire (frame, header, one entry).
  const bytes = Buffer.alloc(ENTRY_BYTES + 40, 1);
  let answered: () => void = () => {};
  let pending = 0;
  socket.on('data', (chunk: Buffer) => {
    pending -= chunk.length;
    if (pending <= 0) answered();
  });
  try {
    return await time(count, () => new Promise<void>((resolve) => {
      answered = resolve;
      pending = bytes.length;
      socket.write(bytes);
    }));
  } finally {
    socket.destroy();
    child.kill();
  }
}

const echo = process.argv.indexOf('--echo');
if (echo >= 0) {
  await runEchoer(process.argv[echo + 1]!);
} else {
  const count = flag('round-trips', 5000);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--round-trips: expected a positive integer, got ${count}`);
  const grpc = await grpcRoundTrips(count);
  const tcp = await tcpRoundTrips(count);
  const p50 = (us: number[]): number => [...us].sort((x, y) => x - y)[us.length >> 1]!;
  console.log(`${count} serial round trips between two processes, idle (µs)`);
  console.log('                           p50    p90    p99');
  console.log(`gRPC peer stream        ${percentiles([...grpc])}`);
  console.log(`raw TCP (floor)         ${percentiles([...tcp])}`);
  console.log(`gRPC / TCP at p50: ${(p50(grpc) / p50(tcp)).toFixed(2)}x`);
}
