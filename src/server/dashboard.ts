/**
 * The cluster dashboard every node serves at `GET /`: one self-contained HTML page (inline CSS
 * and JS, no external resources) so it works offline and needs no build step.
 *
 * Every second the page polls its own node's `/status`, then every other member's
 * `<page protocol>//<httpAddress>/status` (the server answers /status with
 * `Access-Control-Allow-Origin: *`). It shows who leads, one row per member with its progress and
 * replication lag, and per-node write/read rates derived from the cumulative request counters
 * (the JSON shape is {@link NodeStatus}). Data reaches the DOM only through `textContent` and
 * attributes, never as markup. Member URLs are built at run time, so the static page names no host.
 *
 * Stable hooks for tests and scripts: `#leader`, `#updated`, `#error`, `#totalWriteRate`,
 * `#totalReadRate`, and `#members` with one `tr[data-address="<peer address>"]` per member whose
 * cells carry `data-field` = address, httpAddress, state, term, commitIndex, appliedIndex, lag,
 * writeRate, readRate, nonVoting, digest, keys. A member whose /status fails has state
 * "unreachable".
 * @module
 */

import type { NodeStatus } from './status.js';

// The client script is plain ES2020 written without template literals so it can sit inside this
// one. It renders NodeStatus documents; keep it in step with ./status.ts.
const SCRIPT = String.raw`
'use strict';
const POLL_MS = 1000;
const TIMEOUT_MS = 900; // a hung member must not delay the next poll
const HISTORY = 60;
const FIELDS = ['address', 'httpAddress', 'state', 'term', 'commitIndex', 'appliedIndex', 'lag',
  'writeRate', 'readRate', 'nonVoting', 'digest', 'keys'];
const $ = (id) => document.getElementById(id);
const counters = new Map(); // peer address -> request counters at its previous poll
const history = []; // cluster write rate per poll, for the sparkline
let members = []; // this node's last known configuration, kept while it is unreachable

async function fetchStatus(url) {
  const res = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error('HTTP ' + res.status);
  return { status: await res.json(), t: performance.now() };
}

// Requests per second since the member's previous poll; null on the first poll or after a
// restart reset its counters.
function rates(address, status, t) {
  const prev = counters.get(address);
  const cur = { t, writes: status.requests.writes, reads: status.requests.reads };
  counters.set(address, cur);
  if (!prev) return null;
  const dt = (cur.t - prev.t) / 1000;
  const w = cur.writes - prev.writes;
  const r = cur.reads - prev.reads;
  return dt > 0 && w >= 0 && r >= 0 ? { write: w / dt, read: r / dt } : null;
}

// How far a member trails the leader: by the leader's match index where it reports one, else
// by what the member has applied against the leader's commit index. A match of 0 is a member
// the leader has not heard from since it took over: not a lag of the whole log.
function lag(leader, address, status) {
  if (!leader) return null;
  const m = leader.members.find((x) => x.address === address);
  if (m && typeof m.match === 'number' && m.match > 0) return Math.max(0, leader.lastIndex - m.match);
  return status ? Math.max(0, leader.commitIndex - status.appliedIndex) : null;
}

function rowFor(tbody, address) {
  const found = Array.from(tbody.rows).find((r) => r.dataset.address === address);
  if (found) return found;
  const row = tbody.insertRow();
  row.dataset.address = address;
  for (const f of FIELDS) row.insertCell().dataset.field = f;
  return row;
}

function render(own, results) {
  const leader = results.map((r) => r.status).filter((s) => s && s.state === 'leader')
    .sort((a, b) => b.term - a.term)[0] || null;
  if (leader) $('leader').textContent = 'Leader: ' + leader.address + ' (term ' + leader.term + ')';
  else if (own && own.leader) $('leader').textContent = 'Leader: ' + own.leader.address + ' (term ' + own.term + ', unreachable)';
  else $('leader').textContent = own ? 'No leader (term ' + own.term + ')' : 'No leader known';

  // Members that applied the same prefix must hold the same state: flag digests that disagree.
  const digests = new Map();
  for (const r of results) {
    if (!r.status) continue;
    const set = digests.get(r.status.appliedIndex) || new Set();
    digests.set(r.status.appliedIndex, set.add(r.status.digest));
  }

  const tbody = $('members').tBodies[0];
  const seen = new Set();
  let totalWrite = 0;
  let totalRead = 0;
  let anyRate = false;
  for (const { member, status: s, t, error } of results) {
    seen.add(member.address);
    const rate = s ? rates(member.address, s, t) : null;
    if (rate) { totalWrite += rate.write; totalRead += rate.read; anyRate = true; }
    const values = {
      address: member.address,
      httpAddress: member.httpAddress,
      state: s ? s.state : 'unreachable',
      term: s && s.term,
      commitIndex: s && s.commitIndex,
      appliedIndex: s && s.appliedIndex,
      lag: lag(leader, member.address, s),
      writeRate: rate && rate.write.toFixed(1),
      readRate: rate && rate.read.toFixed(1),
      // A voter-to-be catching up as non-voting is promoted once caught up: not a permanent learner.
      nonVoting: member.promoting ? 'promoting' : member.nonVoting ? 'yes' : '',
      digest: s && s.digest,
      keys: s && s.keys,
    };
    const row = rowFor(tbody, member.address);
    row.className = s ? s.state : 'unreachable';
    row.title = error || '';
    for (const cell of Array.from(row.cells)) {
      const v = values[cell.dataset.field];
      cell.textContent = v === null || v === undefined ? '—' : String(v);
    }
    row.cells[FIELDS.indexOf('digest')].classList.toggle('mismatch', !!s && digests.get(s.appliedIndex).size > 1);
  }
  for (const row of Array.from(tbody.rows)) if (!seen.has(row.dataset.address)) row.remove();
  // And their counters: a page left open while members come and go at new addresses kept one per
  // address ever seen (found in a growth audit).
  for (const address of Array.from(counters.keys())) if (!seen.has(address)) counters.delete(address);

  $('totalWriteRate').textContent = anyRate ? totalWrite.toFixed(1) : '—';
  $('totalReadRate').textContent = anyRate ? totalRead.toFixed(1) : '—';
  if (anyRate) {
    history.push(totalWrite);
    if (history.length > HISTORY) history.shift();
    const max = Math.max(1, ...history);
    $('sparkline').setAttribute('points', history.map((v, i) =>
      (i * 100 / (HISTORY - 1)).toFixed(1) + ',' + (29 - (v / max) * 28).toFixed(1)).join(' '));
  }
}

async function tick() {
  const started = performance.now();
  try {
    let own = null;
    try {
      own = (await fetchStatus('/status')).status;
      members = own.members;
      $('self').textContent = own.address;
      $('error').textContent = own.removedAt ? 'This node was removed from the cluster (configuration at index ' +
        own.removedAt + '); it shows the members it knew then. Open the dashboard of a member.' : '';
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      $('error').textContent = 'This node\'s /status failed: ' + e.message;
    }
    const t = performance.now();
    const results = await Promise.all(members.map(async (member) => {
      if (own && member.address === own.address) return { member, status: own, t };
      if (!member.httpAddress) return { member, status: null, error: 'no HTTP address' };
      try {
        return { member, ...(await fetchStatus(location.protocol + '//' + member.httpAddress + '/status')) };
      } catch (e) {
        // Members serve plain HTTP: a page that came through a TLS proxy cannot poll them.
        const hint = location.protocol === 'https:' ? ' (this page came over HTTPS and the members serve plain HTTP: open the dashboard over HTTP, or a proxy in front of each member)' : '';
        return { member, status: null, error: String(e.message || e) + hint };
      }
    }));
    render(own, results);
  } catch (e) {
    $('error').textContent = 'Dashboard error: ' + e.message;
  } finally {
    setTimeout(tick, Math.max(0, POLL_MS - (performance.now() - started)));
  }
}

tick();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tsraft cluster</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.1rem; margin: 0 0 .5rem; color: #555; font-weight: normal; }
  #leader { font-size: 1.6rem; font-weight: 600; margin: 0 0 .75rem; }
  #error { color: #b00020; font-weight: 600; }
  .summary { display: flex; gap: 2rem; align-items: center; margin-bottom: 1rem; }
  .summary b { font-size: 1.2rem; }
  #spark { width: 240px; height: 30px; border: 1px solid #ddd; background: #fff; }
  #spark polyline { fill: none; stroke: #1565c0; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
  table { border-collapse: collapse; background: #fff; }
  th, td { padding: .3rem .7rem; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }
  th { background: #eee; font-weight: 600; }
  td[data-field=address], td[data-field=httpAddress], td[data-field=state], td[data-field=digest] { text-align: left; }
  td[data-field=digest] { font-family: ui-monospace, monospace; }
  tr.leader { background: #e3f2fd; font-weight: 600; }
  tr.leader td[data-field=state]::before { content: "\\2605  "; color: #1565c0; }
  tr.candidate td[data-field=state], tr.preCandidate td[data-field=state] { color: #e65100; }
  tr.unreachable { color: #999; }
  tr.unreachable td[data-field=state] { color: #b00020; }
  td.mismatch { color: #b00020; font-weight: 600; }
  #updated { color: #777; }
</style>
</head>
<body>
<h1>tsraft cluster, viewed from <span id="self">…</span></h1>
<p id="leader">Leader: …</p>
<div class="summary">
  <span>Cluster writes/s <b id="totalWriteRate">—</b></span>
  <span>reads/s <b id="totalReadRate">—</b></span>
  <svg id="spark" viewBox="0 0 100 30" preserveAspectRatio="none" aria-label="cluster write rate"><polyline id="sparkline" points=""></polyline></svg>
  <span id="updated">Not yet updated</span>
  <span id="error"></span>
</div>
<table id="members">
  <thead><tr>
    <th>Peer</th><th>HTTP</th><th>State</th><th>Term</th><th>Commit</th><th>Applied</th><th>Lag</th>
    <th>Writes/s</th><th>Reads/s</th><th>Non-voting</th><th>Digest</th><th>Keys</th>
  </tr></thead>
  <tbody></tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * The dashboard page served at `GET /`: self-contained HTML that polls this node's and every
 * member's `/status` ({@link NodeStatus}) once a second and renders the cluster's state.
 * @returns the complete HTML document (serve it as `text/html; charset=utf-8`)
 */
export function dashboardHtml(): string {
  return PAGE;
}
