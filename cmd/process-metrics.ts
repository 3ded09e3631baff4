/**
 * The raft-node process's own metric series (process_resident_memory_bytes,
 * process_cpu_seconds_total, nodejs_heap_size_used_bytes, nodejs_gc_duration_seconds, ...), next to
 * the node's: one process per raft-node, so registered here rather than per Node (several Nodes may
 * share a process).
 * @module
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's event-loop statistics over the window since the previous scrape. A window with no
 * sample (two scrapes within its 10 ms sampling interval) exports a mean and a standard deviation
 * of NaN, written "Nan", and a minimum of 9.2e9 s (CI caught "Nan" in /metrics). The node's
 * tsraft_server_event_loop_delay_seconds{stat="p50"|"p99"|"max"} covers the same ground and keeps
 * its last values over an empty window; nodejs_eventloop_lag_seconds, measured otherwise, stays.
 */
const EMPTY_WINDOW_SERIES = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map((stat) => `nodejs_eventloop_lag_${stat}_seconds`);

/** Registers the process's default metrics in `registry`, without the series an empty window spoils. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of EMPTY_WINDOW_SERIES) registry.removeSingleMetric(name);
}
