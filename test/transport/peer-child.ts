/** A tsraft gRPC peer in its own process (for tests that stop or kill it): prints its address, then every commit it receives. */
import { GrpcTransport } from '../../src/transport/grpc.js';
const t = new GrpcTransport({ address: process.argv[2] ?? '127.0.0.1:0', clusterId: 'test-cluster', logger: { info() {}, warn() {} } });
t.onMessages((_from, ms) => {
  for (const m of ms) if (m.type === 'heartbeat') process.stdout.write(`${m.commit}\n`);
});
await t.start();
process.stdout.write(`address ${t.address}\n`);
process.on('SIGTERM', () => void t.stop().then(() => process.exit(0)));
