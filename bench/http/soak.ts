/**
 * The memory soak: writes at a fixed number of connections for a long time against a tsraft
 * cluster with the default snapshot policy, sampling every node's RSS, to show it stays flat (the
 * WAL is compacted behind snapshots; caches are bounded; nothing leaks).
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { metricValue } from '../../test/support/prometheus.js';
import { processUsage, type System } from './systems.js';

export interface SoakResult {
  seconds: number;
  /** Writes go to this many distinct keys (overwritten), so the state has a fixed size. */
  keys: number;
  /** Answers by status code. */
  statusCodes: Record<string, number>;
  connections: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** Per process: RSS in MiB at each sample (every `sampleSeconds`). */
  rss: Record<string, number[]>;
  /**
   * Per process, from its /metrics at each sample, in MiB: the V8 heap in use
   * (`nodejs_heap_size_used_bytes`: live data plus garbage not yet collected) and the memory
   * outside the heap that JS objects hold (`nodejs_external_memory_bytes`: Buffers, ArrayBuffers).
   * Tells a leak (either keeps rising) from the allocator holding on to freed pages (RSS only).
   */
  heapUsed: Record<string, number[]>;
  external: Record<string, number[]>;
  sampleSeconds: number;
}

/** Runs writes for `seconds`, sampling RSS every `sampleSeconds`. */
export async function soak(system: System, seconds: number, connections: number, keys: number, sampleSeconds = 10): Promise<SoakResult> {
  const rss: Record<string, number[]> = {};
  const heapUsed: Record<string, number[]> = {};
  const external: Record<string, number[]> = {};
  const sample = async (): Promise<void> => {
    await Promise.all(
      system.pids().map(async (p) => {
        (rss[p.label] ??= []).push(mib(processUsage(p.pid)?.rss ?? 0));
        if (!p.metricsUrl) return;
        // A scrape that fails under load leaves a gap (null in the JSON), not a failed soak.
        const text = await fetch(p.metricsUrl).then((r) => r.text()).catch(() => '');
        (heapUsed[p.label] ??= []).push(mib(metricValue(text, 'nodejs_heap_size_used_bytes')));
        (external[p.label] ??= []).push(mib(metricValue(text, 'nodejs_external_memory_bytes')));
      }),
    );
  };
  await sample();
  let sampling: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample, sample);
  }, sampleSeconds * 1000);
  try {
    const result = await autocannon({
      url: system.endpoint.url,
      connections,
      duration: seconds,
      timeout: 10,
      requests: [
        {
          setupRequest: (req) => {
            // A fixed key space: the state stops growing once every key exists, so RSS growth after
            // that would be a leak, not data.
            const r = system.endpoint.write(`k${Math.floor(Math.random() * keys)}`, randomBytes(16).toString('hex'));
            return { ...req, method: r.method, path: r.path, body: r.body };
          },
        },
      ],
    });
    clearInterval(timer);
    await sampling;
    await sample();
    const statusCodes: Record<string, number> = {};
    for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stat as { count: number }).count;
    return { seconds, keys, statusCodes, connections, requests: result.requests.total, errors: result.errors + result.timeouts, non2xx: result.non2xx, rss, heapUsed, external, sampleSeconds };
  } finally {
    clearInterval(timer);
  }
}

const mib = (bytes: number): number => Math.round(bytes / (1024 * 1024));

/** A text summary: per process, RSS at start, after the first minute, and at the end. */
export function soakSummary(r: SoakResult): string {
  const lines = [
    `soak: ${r.seconds} s of writes to ${r.keys} keys at ${r.connections} connections, ${r.requests} requests, ${r.errors} errors, ${r.non2xx} non-2xx (status codes ${JSON.stringify(r.statusCodes)})`,
  ];
  const perMinute = Math.max(1, Math.round(60 / r.sampleSeconds));
  for (const [label, series] of Object.entries(r.rss)) {
    const afterWarmup = series[Math.min(perMinute, series.length - 1)]!;
    const last = series[series.length - 1]!;
    const peak = Math.max(...series);
    lines.push(`  ${label}: RSS ${series[0]} MiB at start, ${afterWarmup} MiB after 1 min, ${last} MiB at the end (peak ${peak}); samples: ${series.join(' ')}`);
    if (r.heapUsed[label]) lines.push(`    V8 heap used (MiB): ${r.heapUsed[label]!.join(' ')}`);
    if (r.external[label]) lines.push(`    external (MiB): ${r.external[label]!.join(' ')}`);
  }
  return lines.join('\n');
}
