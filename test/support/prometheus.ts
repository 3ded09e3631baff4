/**
 * Reading Prometheus text exposition (what `/metrics` answers), for tests and benchmarks.
 * @module
 */

/** The value of a series in Prometheus text (its first sample, whatever its labels); NaN when absent. */
export function metricValue(text: string, series: string): number {
  return Number(new RegExp(`^${series}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
}
