import { Wal } from '../wal/index.js';
import { mkdtempSync } from 'node:fs';
const dir = mkdtempSync('/tmp/walprof-');
const wal = await Wal.open(dir, { sync: 'none' });
const data = new Uint8Array(100).fill(0x5a);
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < 3000) {
  const first = wal.lastIndex + 1;
  const b = [];
  for (let k = 0; k < 256; k++) b.push({ index: first + k, term: 1, type: 0, data });
  await wal.save({ entries: b });
  n++;
}
const ms = performance.now() - t0;
console.log('batches/s', (n * 1000 / ms).toFixed(0), 'us/batch', (ms * 1000 / n).toFixed(1));
await wal.close();
