// uvu runs only the tests declared before test.run(): one declared after it is never run and
// never reported. test/cmd/flags.test.ts had one (the --http-port clash with a member's peer
// port), found by a mutation review; this keeps it from happening again in any test file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

test('no test file declares a test (or a hook) after test.run()', () => {
  const files = testFiles(root);
  assert.ok(files.length > 100, `found ${files.length} test files`);
  const late: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    const run = lines.findIndex((l) => /^test\.run\(\)/.test(l));
    if (run < 0) continue;
    const after = lines.slice(run + 1).findIndex((l) => /^test(\.(skip|only|before|after)[\w.]*)?\(/.test(l));
    if (after >= 0) late.push(`${relative(root, file)}:${run + 2 + after}`);
  }
  assert.equal(late, [], `declared after test.run(), so never run: ${late.join(', ')}`);
});

test.run();
