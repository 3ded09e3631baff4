// Module hook for the fault-injection tests: the WAL's modules and the snapshot store's (and only
// they) get ./fault-fs.mjs instead of node:fs/promises. The shim passes every call through until a
// test arms it.
const dirs = [new URL('../../../wal/', import.meta.url).href, new URL('../../../src/snapshot/', import.meta.url).href];
const shim = new URL('./fault-fs.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if ((specifier === 'node:fs/promises' || specifier === 'fs/promises') && dirs.some((dir) => parent.startsWith(dir))) {
    return { url: shim, shortCircuit: true };
  }
  return next(specifier, context);
}
