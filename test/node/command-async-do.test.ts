// a command whose do() returns a rejected promise (an async do() that throws).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node } from '../../src/node.js';
import { TestCluster, type Kv } from '../support/node-cluster.js';

class AsyncFail {
  static readonly type = 43;
  constructor(readonly key: string) {}
  // Not an `async` method (registerCommand refuses those): a plain one that returns a Promise.
  do(kv: Kv): Promise<void> {
    kv.log.push(`async ${this.key}`);
    return Promise.reject(new Error(`async do() of ${this.key} failed`));
  }
}

test('an async do() is refused with a clear error, and its rejection is no unhandled promise rejection on the members that applied it (Node.js ends such a process)', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  // Without this listener the test process itself would die, as a member's process does.
  process.on('unhandledRejection', onUnhandled);
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 3000 });
  c.configure = (n) => n.registerCommand(AsyncFail);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const answer = await leader.do(new AsyncFail('x')).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    const all = c.addresses.map((a) => c.node(a)) as Node<Kv>[];
    await c.waitFor(() => all.every((n) => n.context.log.includes('async x')), 5000, 'every member to apply it');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(answer, /do\(\) returned a Promise; a command must apply synchronously/, 'an async do() is refused, clearly');
    assert.equal(unhandled.map((r) => (r as Error).message), [], 'unhandled rejections from applying the entry');
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await c.close();
  }
});

test.run();
