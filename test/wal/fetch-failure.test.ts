// the core's fetch path when loading entries from disk fails. The core marks a fetch of
// committed entries pending and hands them out again only after raft.wake(); the Node wakes it
// only when WalStorage.load resolves. A load that rejects (a read error, or the log reset by an
// installed snapshot while the read waited for the disk) is logged and nothing else happens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WalStorage } from '../../src/storage.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('after one failed load of committed entries the node still applies them (or stops), it does not stay up without applying', async () => {
  // No entry cache: the committed entries a restarted node applies come from disk through Ready.fetch.
  const c = new TestCluster(1, { cacheBytes: 0, logLevel: 'error' });
  const address = c.addresses[0]!;
  const original = WalStorage.prototype.load;
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    for (let i = 0; i < 5; i++) await leader.do(new SetCommand(`k${i}`, `v${i}`));
    await c.stop(address);

    let failures = 0;
    WalStorage.prototype.load = function (this: WalStorage, lo: number, hi: number): Promise<void> {
      if (failures === 0) {
        failures++;
        return Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
      }
      return original.call(this, lo, hi);
    };
    const node = await c.start(address);
    let fatal: Error | undefined;
    node.onFatal((err) => (fatal = err));
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && fatal === undefined && node.context.data.get('k4') !== 'v4') {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.is(failures, 1, 'the injected read error happened');
    const status = node.status();
    assert.ok(
      fatal !== undefined || node.context.data.get('k4') === 'v4',
      `3 s after one failed read the node is up (commit ${status.commitIndex}) but has applied only up to ${status.appliedIndex}`,
    );
  } finally {
    WalStorage.prototype.load = original;
    await c.close();
  }
});

test.run();
