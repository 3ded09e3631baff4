// Child of inspect-memory.test.ts (run with --expose-gc): inspects argv[2] while sampling the
// Buffer (ArrayBuffer) memory still reachable after a collection; prints {"peakBytes", "segments"}.
import { inspectReport } from '../../cmd/inspect.js';

let peakBytes = 0;
const sample = (): void => {
  (globalThis as { gc?: () => void }).gc!();
  peakBytes = Math.max(peakBytes, process.memoryUsage().arrayBuffers);
};
const sampler = setInterval(sample, 10);
const report = await inspectReport(process.argv[2]!);
sample();
clearInterval(sampler);
const segments = (report.text.match(/^\s*\d{20}\.wal\b/gm) ?? []).length;
process.stdout.write(JSON.stringify({ peakBytes, segments }));
