/**
 * The HTTP benchmark's output: a markdown table with ratios, the raw JSON, and SVG line charts
 * (QPS and p99 against connections, one line per system, one chart per workload) drawn by hand
 * so the charts need no dependency.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PointResult, Workload } from './load.js';

const WORKLOAD_NAMES: Record<Workload, string> = { write: 'write (PUT)', index: 'ReadIndex read', lease: 'LeaseRead', local: 'local read' };
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function find(results: PointResult[], system: string, workload: Workload, connections: number): PointResult | undefined {
  return results.find((r) => r.system === system && r.workload === workload && r.connections === connections);
}

/**
 * The limit's point a tsraft point is compared with: its PUT for writes, its GET for every kind of
 * read, measured in the same block (results of runs before the limit read in every block have one).
 */
function limitPointOf(results: PointResult[], r: PointResult): PointResult | undefined {
  if (r.workload === 'write') return find(results, 'limit', 'write', r.connections);
  const reads = results.filter((x) => x.system === 'limit' && x.workload === 'local' && x.connections === r.connections);
  return reads.find((x) => x.block === r.workload) ?? reads.find((x) => x.block === undefined);
}

/** A row's workload: the limit's one read is named with the block it ran in. */
function workloadName(r: PointResult): string {
  return r.block !== undefined && r.block !== r.workload ? `${WORKLOAD_NAMES[r.workload]} (${WORKLOAD_NAMES[r.block]} block)` : WORKLOAD_NAMES[r.workload];
}

/**
 * Whether a point failed: any error (autocannon counts a timeout there too) or non-2xx answer.
 * A failing point's QPS counts failed answers and its latencies leave timeouts out, so no ratio
 * is made with it on either side.
 */
export function failed(r: Pick<PointResult, 'errors' | 'non2xx' | 'problem'>): boolean {
  return r.errors > 0 || r.non2xx > 0 || r.problem !== undefined;
}

/** `ours / theirs` as a ratio cell, or a loud marker when either point failed. */
function ratioCell(ours: PointResult, theirs: PointResult | undefined, oursQps = ours.qps, theirsQps = theirs?.qps ?? 0): string {
  if (!theirs || theirsQps <= 0) return '';
  if (failed(ours) || failed(theirs)) return '!!! failed point, no ratio';
  return `${fmt(oursQps / theirsQps, 2)}×`;
}

/** The markdown table: one row per (workload, connections, system), with ratios against etcd and the limit. */
export function markdownTable(results: PointResult[]): string {
  const lines = [
    '| workload | conns | system | QPS | p50 ms | p99 ms | p99.9 ms | errors | non-2xx | vs etcd (QPS) | vs limit (QPS) | steal % | idle % | load generator CPU % | CPU % of the other systems | RSS MiB / CPU % per process |',
    '| --- | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |',
  ];
  for (const r of results) {
    const etcd = find(results, 'etcd', r.workload, r.connections);
    const limit = limitPointOf(results, r);
    const vsEtcd = r.system === 'tsraft' ? ratioCell(r, etcd) : '';
    const vsLimit = r.system === 'tsraft' ? ratioCell(r, limit) : '';
    const procs = r.processes.map((p) => `${p.label}: ${fmt(p.rssMiB)}/${fmt(p.cpuPercent)}`).join(', ');
    // autocannon's errors include its timeouts (kept apart in the JSON).
    const bad = (r.errors > 0 ? `**${r.errors}**` : '0') + (r.problem ? ` **${r.problem}**` : '');
    const non2xx = r.non2xx > 0 ? `**${r.non2xx}**` : '0';
    lines.push(
      `| ${workloadName(r)} | ${r.connections} | ${r.system} | ${fmt(r.qps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.p999, 2)} | ${bad} | ${non2xx} | ${vsEtcd} | ${vsLimit} | ${fmt(r.stealPercent ?? 0)} | ${r.idlePercent === undefined ? '' : fmt(r.idlePercent)} | ${r.generatorCpuPercent === undefined ? '' : fmt(r.generatorCpuPercent)} | ${r.othersCpuPercent === undefined ? '' : fmt(r.othersCpuPercent)} | ${procs} |`,
    );
  }
  return lines.join('\n');
}

/** The point a tsraft point is compared with round by round: etcd's same workload, else the limit's. */
function baselineOf(results: PointResult[], r: PointResult): PointResult | undefined {
  return find(results, 'etcd', r.workload, r.connections) ?? limitPointOf(results, r);
}

/**
 * With `--rounds N`: tsraft's QPS and p99 in every round next to its baseline's (etcd where it
 * ran that workload, else the limit) and the ratio round by round — rounds run back to back, so
 * each round's ratio pairs two measurements made a minute apart on the same machine.
 */
export function roundsTable(results: PointResult[]): string {
  const lines = [
    '| workload | conns | baseline | tsraft QPS per round | baseline QPS per round | ratio per round | ratio of the medians | tsraft p99 ms per round | baseline p99 ms per round |',
    '| --- | --: | --- | --: | --: | --: | --: | --: | --: |',
  ];
  for (const r of results) {
    const base = r.system === 'tsraft' ? baselineOf(results, r) : undefined;
    if (!base || !r.rounds || !base.rounds || base.rounds.length !== r.rounds.length) continue;
    const per = (xs: number[], digits = 0): string => xs.map((x) => fmt(x, digits)).join(' / ');
    const ratios = r.rounds.map((x, i) => (base.rounds![i]!.qps > 0 ? x.qps / base.rounds![i]!.qps : 0));
    const roundRatios = failed(r) || failed(base) ? '!!! failed point' : per(ratios, 2);
    lines.push(
      `| ${WORKLOAD_NAMES[r.workload]} | ${r.connections} | ${base.system} | ${per(r.rounds.map((x) => x.qps))} | ${per(base.rounds.map((x) => x.qps))} | ${roundRatios} | ${ratioCell(r, base)} | ${per(r.rounds.map((x) => x.p99))} | ${per(base.rounds.map((x) => x.p99))} |`,
    );
  }
  return lines.join('\n');
}

const COLORS: Record<string, string> = { tsraft: '#1f77b4', etcd: '#d62728', limit: '#7f7f7f' };

/** One SVG line chart of `metric` against connections (log scale on x), one line per system. */
function chart(results: PointResult[], workload: Workload, metric: 'qps' | 'p99', title: string): string {
  const points = results.filter((r) =>
    r.system === 'limit' && workload !== 'write' ? r.workload === 'local' && (r.block ?? workload) === workload : r.workload === workload,
  );
  const conns = [...new Set(points.map((p) => p.connections))].sort((a, b) => a - b);
  const systems = [...new Set(points.map((p) => p.system))];
  const W = 520;
  const H = 320;
  const pad = { l: 70, r: 110, t: 36, b: 44 };
  const maxY = Math.max(1, ...points.map((p) => p[metric])) * 1.1;
  const x = (c: number): number => pad.l + (conns.length <= 1 ? 0 : (conns.indexOf(c) / (conns.length - 1)) * (W - pad.l - pad.r));
  const y = (v: number): number => H - pad.b - (v / maxY) * (H - pad.t - pad.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="black"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="black"/>`,
    `<text x="${(pad.l + W - pad.r) / 2}" y="${H - 8}" text-anchor="middle">connections</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 4) * i;
    out.push(`<text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end">${metric === 'qps' ? fmt(v) : fmt(v, 1)}</text>`);
    out.push(`<line x1="${pad.l}" y1="${y(v)}" x2="${W - pad.r}" y2="${y(v)}" stroke="#eee"/>`);
  }
  for (const c of conns) out.push(`<text x="${x(c)}" y="${H - pad.b + 16}" text-anchor="middle">${c}</text>`);
  systems.forEach((system, i) => {
    const series = conns.map((c) => points.find((p) => p.system === system && p.connections === c)).filter((p): p is PointResult => p !== undefined);
    const color = COLORS[system] ?? '#2ca02c';
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${series.map((p) => `${x(p.connections)},${y(p[metric])}`).join(' ')}"/>`);
    for (const p of series) out.push(`<circle cx="${x(p.connections)}" cy="${y(p[metric])}" r="3" fill="${color}"/>`);
    out.push(`<text x="${W - pad.r + 10}" y="${pad.t + 16 * i + 10}" fill="${color}">${system}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Writes results.json, the markdown table and one QPS and one p99 chart per workload into `dir`. */
export function writeResults(dir: string, results: PointResult[], meta: Record<string, unknown>): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string): void => {
    writeFileSync(join(dir, name), text);
    files.push(join(dir, name));
  };
  write('results.json', JSON.stringify({ ...meta, results }, null, 2) + '\n');
  const perRound = results.some((r) => (r.rounds?.length ?? 0) > 1) ? '\n' + roundsTable(results) + '\n' : '';
  write('results.md', markdownTable(results) + '\n' + perRound);
  for (const workload of [...new Set(results.map((r) => r.workload))]) {
    if (!results.some((r) => r.workload === workload && r.system === 'tsraft')) continue;
    write(`${workload}-qps.svg`, chart(results, workload, 'qps', `${WORKLOAD_NAMES[workload]}: requests/s`));
    write(`${workload}-p99.svg`, chart(results, workload, 'p99', `${WORKLOAD_NAMES[workload]}: p99 latency (ms)`));
  }
  return files;
}
