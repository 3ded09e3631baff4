// The checker against histories with known verdicts (test/lincheck/vectors, a copy of
// ../shared/lincheck-vectors: porcupine's KV data and Jepsen's etcd histories, MIT licence). The
// verdict is in each file's name. Also the CLI's exit statuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHistory, parseHistory } from '../support/lincheck/index.js';

const dir = new URL('./vectors/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();

test('every vector gets the verdict its name gives, each within seconds', () => {
  assert.ok(files.length >= 100, `found ${files.length} vectors`);
  const wrong: string[] = [];
  let slowest = { file: '', ms: 0 };
  for (const file of files) {
    const want = /-ok\.jsonl$/.test(file) ? 'ok' : /-bad\.jsonl$/.test(file) ? 'bad' : undefined;
    assert.ok(want, `${file}: name says neither ok nor bad`);
    const started = Date.now();
    const r = checkHistory(parseHistory(readFileSync(join(dir, file), 'utf8')), { timeoutMs: 20_000 });
    const ms = Date.now() - started;
    if (ms > slowest.ms) slowest = { file, ms };
    if (r.verdict !== want) wrong.push(`${file}: ${r.verdict}`);
  }
  console.log(`  ${files.length} vectors; slowest ${slowest.file} in ${slowest.ms} ms`);
  assert.equal(wrong, []);
});

const cli = (args: string[], input?: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/lincheck.ts', ...args], { encoding: 'utf8', input, cwd: new URL('../..', import.meta.url).pathname });

test('CLI: exit 0 linearizable, 1 not (naming the key), 2 bad input, 3 budget exhausted', () => {
  assert.is(cli([join(dir, 'kv-c10-ok.jsonl')]).status, 0);
  const bad = cli([join(dir, 'jepsen-etcd-000-bad.jsonl')]);
  assert.is(bad.status, 1);
  assert.match(bad.stdout, /not linearizable/);
  const tmp = mkdtempSync(join(tmpdir(), 'lincheck-cli-'));
  try {
    const garbage = join(tmp, 'garbage.jsonl');
    writeFileSync(garbage, '{"process": 1, "type": "invoke", "f": "frobnicate", "key": "k"}\n');
    const r = cli([garbage]);
    assert.is(r.status, 2);
    assert.match(r.stderr, /frobnicate|unknown/i);
    assert.is(cli([join(tmp, 'missing.jsonl')]).status, 2);
    assert.is(cli(['--bogus']).status, 2);
    assert.is(cli(['-'], 'not json\n').status, 2);
    assert.is(cli([join(dir, 'kv-c50-ok.jsonl'), '--max-states', '1']).status, 3);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
