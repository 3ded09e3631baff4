/**
 * Transport micro-benchmark: messages per second from one transport to another, for several
 * messages-per-flush sizes (how many messages a Ready carries for one peer). Each send() is
 * followed by a yield to the event loop, so every send leaves as its own batch — the worst case
 * for coalescing. Baseline measured in the same run: the in-memory transport, which does the
 * same queueing, encoding and validation without sockets; the gRPC column is printed as a ratio
 * of it.
 *
 *   node --import tsx bench/transport.ts [--messages 100000] [--entry 100]
 */
import { performance } from 'node:perf_hooks';
import { append, flag } from './peer-fixtures.js';
import { GrpcTransport } from '../src/transport/grpc.js';
import { MemoryNetwork, MemoryTransport } from '../src/transport/memory.js';
import type { Transport } from '../src/transport/types.js';

const total = flag('messages', 100_000);
const entryBytes = flag('entry', 100);
const quiet = { info: () => {}, warn: (m: string) => console.error(m) };

async function measure(a: Transport, b: Transport, perSend: number, total: number): Promise<number> {
  const droppedBefore = a.stats().peers[b.address]?.dropped ?? 0;
  let delivered = 0;
  b.onMessages((_from, messages) => {
    delivered += messages.length;
  });
  const data = new Uint8Array(entryBytes).fill(1);
  const started = performance.now();
  for (let i = 0; i < total; i += perSend) {
    a.send(b.address, Array.from({ length: perSend }, (_, k) => append(i + k, data)));
    await new Promise((resolve) => setImmediate(resolve));
    // Producer-side pacing so the figure measures delivery, not the drop policy.
    while ((a.stats().peers[b.address]?.queuedMessages ?? 0) > 2000) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  while (delivered < total - ((a.stats().peers[b.address]?.dropped ?? 0) - droppedBefore)) await new Promise((resolve) => setTimeout(resolve, 1));
  return total / ((performance.now() - started) / 1000);
}

async function pair(kind: 'memory' | 'grpc'): Promise<[Transport, Transport, () => Promise<void>]> {
  if (kind === 'memory') {
    const net = new MemoryNetwork();
    const a = new MemoryTransport(net, { address: 'a:1', logger: quiet });
    const b = new MemoryTransport(net, { address: 'b:1', logger: quiet });
    await a.start();
    await b.start();
    a.setPeers([b.address]);
    return [a, b, async () => void (await Promise.all([a.stop(), b.stop()]), net.close())];
  }
  const opts = { address: '127.0.0.1:0', clusterId: 'bench', logger: quiet, pingIntervalMs: 0 };
  const a = new GrpcTransport(opts);
  const b = new GrpcTransport(opts);
  await a.start();
  await b.start();
  a.setPeers([b.address]);
  return [a, b, async () => void (await Promise.all([a.stop(), b.stop()]))];
}

console.log(`${total} append messages (1 entry of ${entryBytes} bytes each), one yield per send()`);
console.log('msgs/send   memory msg/s   grpc msg/s   grpc/memory');
for (const perSend of [1, 16, 256]) {
  const rates: number[] = [];
  for (const kind of ['memory', 'grpc'] as const) {
    const [a, b, stop] = await pair(kind);
    await measure(a, b, perSend, Math.max(perSend, total / 10)); // warm-up (JIT, connection)
    rates.push(await measure(a, b, perSend, total));
    await stop();
  }
  const [memory, grpc] = rates as [number, number];
  console.log(`${String(perSend).padStart(9)}   ${Math.round(memory).toLocaleString('en').padStart(12)}   ${Math.round(grpc).toLocaleString('en').padStart(10)}   ${(grpc / memory).toFixed(2).padStart(11)}`);
}
