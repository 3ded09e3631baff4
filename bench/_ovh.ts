import { Wal, type Entry } from '../wal/index.js';
import { open } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
const dir = mkdtempSync('/tmp/walovh-');
const wal = await Wal.open(dir + '/w', { sync: 'none' });
const f = await open(dir + '/raw', 'w');
const data = new Uint8Array(100).fill(0x5a);
const rb = Buffer.alloc(31764, 1); let pos = 0;
const W = async () => { const first = wal.lastIndex + 1; const b: Entry[] = []; for (let k = 0; k < 256; k++) b.push({ index: first + k, term: 1, type: 0, data }); await wal.save({ entries: b }); };
const R = async () => { await f.write(rb, 0, rb.length, pos); pos += rb.length; };
const tw = { n: 0, ms: 0 }, tr = { n: 0, ms: 0 };
for (let r = 0; r < 400; r++) {
  for (const [fn, t] of [[W, tw], [R, tr]] as const) { const s = performance.now(); for (let i = 0; i < 8; i++) await fn(); t.ms += performance.now() - s; t.n += 8; }
}
console.log('wal us', (tw.ms * 1000 / tw.n).toFixed(1), 'raw us', (tr.ms * 1000 / tr.n).toFixed(1));
