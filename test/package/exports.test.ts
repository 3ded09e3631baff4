// The package as another project sees it: package.json's `exports` map. The build is compiled into
// a scratch copy of the package (not this checkout's dist/), which a scratch project links as
// node_modules/tsraft; that project then imports both entry points at run time — `tsraft/wal`
// with the README's own import line — and type-checks against their declarations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tsraft-exports-'));
const pkg = join(scratch, 'tsraft');
const app = join(scratch, 'app');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};

function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)));
  });
}

test.before(async () => {
  mkdirSync(pkg);
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(pkg, 'dist')], root);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest));
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(app, 'node_modules', 'tsraft'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
});
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('every path package.json names exists in the build: main, types, bin and each export', () => {
  const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin)];
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target === 'string') targets.push(target);
    else {
      assert.equal(Object.keys(target), ['types', 'import'], `${subpath}: "types" first, as TypeScript requires`);
      targets.push(...Object.values(target));
    }
  }
  for (const target of targets) assert.ok(existsSync(join(pkg, target)), `${target} is built`);
});

test("the README's WAL import and `import { Node } from 'tsraft'` run in another project", async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const walSection = readme.slice(readme.indexOf('## The write-ahead log'));
  const walImport = /^import \{ Wal \} from 'tsraft\/wal';/m.exec(walSection)?.[0];
  assert.ok(walImport, "the WAL section imports from 'tsraft/wal'");
  writeFileSync(
    join(app, 'main.mjs'),
    `${walImport}
import { Node, jsonCodec } from 'tsraft';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'tsraft-exports-wal-'));
const wal = await Wal.open(dir, { sync: 'none' });
console.log('wal', wal.firstIndex, wal.lastIndex);
await wal.close();
rmSync(dir, { recursive: true, force: true });
console.log('node', typeof Node.create, jsonCodec.name);
`,
  );
  const out = await run(process.execPath, ['main.mjs'], app);
  assert.match(out, /^wal 1 0$/m);
  assert.match(out, /^node function json$/m);
});

test('the entry points type-check in another project through their declarations', async () => {
  writeFileSync(
    join(app, 'check.ts'),
    `import { Wal } from 'tsraft/wal';
import { Node, type NodeOptions } from 'tsraft';
export async function lastIndex(dir: string): Promise<number> {
  const wal = await Wal.open(dir, {});
  const options: Partial<NodeOptions<unknown>> = { host: 'localhost' };
  void options;
  void Node;
  return wal.lastIndex;
}
// @ts-expect-error the declarations are real: lastIndex is a number
export const wrong: string = (null as unknown as Wal).lastIndex;
`,
  );
  const tsconfig = {
    compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
    files: ['check.ts'],
  };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
});

test.run();
