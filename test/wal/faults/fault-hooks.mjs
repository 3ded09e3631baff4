// Module hook for the WAL fault-injection tests: the WAL's modules (and only they) get
// ./fault-fs.mjs instead of node:fs/promises.
const walDir = new URL('../../../wal/', import.meta.url).href;
const shim = new URL('./fault-fs.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if ((specifier === 'node:fs/promises' || specifier === 'fs/promises') && context.parentURL?.startsWith(walDir)) {
    return { url: shim, shortCircuit: true };
  }
  return next(specifier, context);
}
