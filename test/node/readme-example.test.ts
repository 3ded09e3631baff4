// The README's Node API example is real code: extract it, point it at this checkout, a temporary
// directory and free ports, and run it to completion in its own process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../support/node-cluster.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the README example runs: three members elect a leader, a follower writes and reads linearizably', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The Node API'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'the section has a ts code block');
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-readme-'));
  try {
    let code = match[1]!.replace("from 'tsraft'", `from ${JSON.stringify(pathToFileURL(join(root, 'src/index.ts')).href)}`);
    code = code.replace('`data/readme-${port}`', `${JSON.stringify(dir)} + '/' + port`);
    for (const port of [9101, 9102, 9103]) code = code.replaceAll(String(port), String(await freePort()));
    const file = join(dir, 'example.mts');
    writeFileSync(file, code);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      );
    });
    assert.match(out, /wrote through 127\.0\.0\.1:\d+, a follower of 127\.0\.0\.1:\d+/);
    assert.match(out, /linearizable read: hello/);
    assert.match(out, /lease read: hello/);
    assert.match(out, /leader 127\.0\.0\.1:\d+ in term \d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
