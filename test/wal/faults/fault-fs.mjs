// node:fs/promises for the WAL under test, with a controller (globalThis.__faultFs) that
// - logs every mutating call (open with O_CREAT, write, truncate, datasync, sync, rename, unlink),
// - "crashes the process" at the Nth one: that call (and every later one) throws, optionally after
//   writing only half of a write (a torn write),
// - remembers the directory operations (create, rename, unlink) not yet covered by an fsync of
//   their directory, with what is needed to undo them (a power loss may lose them).
import * as real from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
export * from 'node:fs/promises';
export { default } from 'node:fs/promises';

export function newController() {
  return { armed: false, count: 0, failAt: Infinity, torn: false, dead: false, log: [], pending: [], errorAt: new Map() };
}
const ctl = (globalThis.__faultFs ??= newController());

class Crash extends Error {
  constructor(what) {
    super(`simulated crash at ${what}`);
    this.code = 'ESIMCRASH';
  }
}

/** Returns 'go', 'torn' (write half, then crash) or throws a Crash. */
function step(kind, detail) {
  if (!ctl.armed) return 'go';
  if (ctl.dead) throw new Crash(`${kind} ${detail} (after the crash)`);
  ctl.count++;
  ctl.log.push(`${ctl.count} ${kind} ${detail}`);
  const injected = ctl.errorAt?.get(ctl.count);
  if (injected) {
    // An I/O error the process survives: optionally after a partial write (ENOSPC mid-record).
    if (injected.partial && kind === 'write') return { error: injected };
    throw Object.assign(new Error(`${injected.code}: injected at ${kind} ${detail}`), { code: injected.code });
  }
  if (ctl.count === ctl.failAt) {
    ctl.dead = true;
    if (ctl.torn && kind === 'write') return 'torn';
    throw new Crash(`${kind} ${detail}`);
  }
  return 'go';
}

async function readOrNull(path) {
  try {
    return await real.readFile(path);
  } catch {
    return null;
  }
}

function wrap(handle, path, isDir) {
  return new Proxy(handle, {
    get(target, key) {
      const value = target[key];
      if (typeof value !== 'function') return value;
      if (key === 'write') {
        return async (buf, offset, length, position) => {
          const how = step('write', `${path} @${position} +${length}`);
          if (how && how.error) {
            await target.write(buf, offset, Math.max(1, Math.floor(length / 2)), position);
            throw Object.assign(new Error(`${how.error.code}: injected after a partial write`), { code: how.error.code });
          }
          if (how === 'torn') {
            const half = Math.max(1, Math.floor(length / 2));
            await target.write(buf, offset, half, position);
            throw new Crash(`torn write ${path} @${position} (${half} of ${length} bytes)`);
          }
          return target.write(buf, offset, length, position);
        };
      }
      if (key === 'truncate' || key === 'datasync' || key === 'sync') {
        return async (...args) => {
          step(key, `${path}${args.length ? ' ' + args[0] : ''}`);
          const result = await value.apply(target, args);
          if (isDir && key === 'sync' && ctl.armed) ctl.pending = ctl.pending.filter((op) => op.dir !== path);
          return result;
        };
      }
      return value.bind(target);
    },
  });
}

export async function open(path, flags, mode) {
  const abs = resolvePath(String(path));
  const creating = typeof flags === 'number' && (flags & constants.O_CREAT) !== 0;
  let existed = true;
  if (creating) {
    step('create', abs);
    existed = (await readOrNull(abs)) !== null;
  }
  const handle = await real.open(path, flags, mode);
  if (creating && !existed && ctl.armed) ctl.pending.push({ kind: 'create', dir: dirname(abs), path: abs });
  let isDir = false;
  if (flags === 'r') isDir = (await handle.stat()).isDirectory();
  return wrap(handle, abs, isDir);
}

export async function rename(from, to) {
  const a = resolvePath(String(from));
  const b = resolvePath(String(to));
  step('rename', `${a} -> ${b}`);
  const oldTo = ctl.armed ? await readOrNull(b) : null;
  await real.rename(a, b);
  if (ctl.armed) ctl.pending.push({ kind: 'rename', dir: dirname(b), from: a, to: b, oldTo });
}

export async function unlink(path) {
  const abs = resolvePath(String(path));
  step('unlink', abs);
  const content = ctl.armed ? await readOrNull(abs) : null;
  await real.unlink(abs);
  if (ctl.armed) ctl.pending.push({ kind: 'unlink', dir: dirname(abs), path: abs, content });
}
