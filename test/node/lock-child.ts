// Child process of data-dir-lock.test.ts: a one-member Node on the data directory argv[2] (over
// an in-process memory network), which writes argv[3] keys, prints "ready <pid>" and runs until
// killed.
import { Kv, SetCommand, kvSnapshot } from '../support/node-cluster.js';
import { Node } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';

const [dataDir, count] = process.argv.slice(2) as [string, string];
const kv = new Kv();
const node = await Node.create<Kv>({
  port: 9001,
  dataDir,
  context: kv,
  heartbeatMs: 20,
  electionTimeoutMs: 200,
  sync: 'always',
  logLevel: 'error',
  transport: new MemoryTransport(new MemoryNetwork(), { address: 'n1:9001', logger: { info() {}, warn() {} } }),
});
node.registerCommand(SetCommand);
node.setSnapshot(kvSnapshot(kv));
await node.start();
while (!node.isLeader()) await new Promise((r) => setTimeout(r, 10));
for (let i = 0; i < Number(count); i++) await node.do(new SetCommand(`k${i}`, `v${i}`));
process.stdout.write(`ready ${process.pid}\n`);
setInterval(() => {}, 1 << 30);
