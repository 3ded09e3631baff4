import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';

test('package.json declares an ESM package named tsraft for Node >= 20', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.is(pkg.name, 'tsraft');
  assert.is(pkg.type, 'module');
  assert.match(pkg.engines.node, />=\s*20/);
});

test.run();
