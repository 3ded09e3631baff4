// Child process of dir-lock.test.ts: opens the WAL in argv[2], prints "ready <pid>", and holds it
// until killed.
import { Wal } from '../../wal/index.js';

const wal = await Wal.open(process.argv[2]!, { sync: 'none' });
await wal.save({ entries: [{ index: wal.lastIndex + 1, term: 1, type: 0, data: new Uint8Array([1]) }] });
process.stdout.write(`ready ${process.pid}\n`);
setInterval(() => {}, 1 << 30);
