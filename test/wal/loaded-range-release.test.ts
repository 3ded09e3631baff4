// the memory bound of the entry cache. WalStorage.load() keeps the last range it read for
// the core (up to 8 MiB) in `loaded` until the next load, truncation or snapshot install: that
// range stays in memory after the core took it and after the cache evicted it, outside cacheBytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WalStorage } from '../../src/storage.js';
import type { Entry } from '../../src/core/messages.js';
import { makeEntries, removeDir, tempDir } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

test('entries loaded from disk for the core are not kept alive beyond cacheBytes once the cache evicted them', async () => {
  const dir = await tempDir();
  dirs.push(dir);
  const cacheBytes = 64 * 1024;
  let storage = await WalStorage.open(dir, { sync: 'none', cacheBytes, preallocate: false });
  for (let i = 1; i <= 4000; i += 100) await storage.persist(makeEntries(i, i + 99, 1, 1000) as Entry[], undefined);
  await storage.close();
  storage = await WalStorage.open(dir, { sync: 'none', cacheBytes, preallocate: false });
  try {
    // The core asks for [1, 2001): not in memory, so it fetches; the driver loads; the core retries.
    assert.is(storage.entries(1, 2001, Infinity), undefined);
    await storage.load(1, 2001);
    const refs = (() => {
      const got = storage.entries(1, 2001, Infinity)!;
      assert.is(got.length, 2000);
      return got.map((e) => new WeakRef(e.data));
    })();
    // The core is done with them. Other reads fill the cache (64 KiB) with other entries.
    for (let lo = 2001; lo <= 4000; lo += 100) await storage.wal.entries(lo, lo + 100);
    for (let k = 0; k < 3; k++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    const aliveBytes = alive * 1000;
    assert.ok(aliveBytes <= 2 * cacheBytes, `${alive} entries (${aliveBytes} data bytes) still in memory with cacheBytes ${cacheBytes}`);
  } finally {
    await storage.close();
  }
});

test.run();
