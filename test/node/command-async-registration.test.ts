// registerCommand(Class) takes a synchronous do(context). An `async` do() (its constructor is
// AsyncFunction) is refused at registration: refused only when it ran, what it did after its
// first await still ran on every member, at whatever moment its promise resumed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import type { Kv } from '../support/node-cluster.js';

class AsyncSet {
  static readonly type = 44;
  constructor(readonly key: string) {}
  async do(kv: Kv): Promise<void> {
    kv.data.set(`${this.key}-before-await`, 'x');
    await new Promise((resolve) => setTimeout(resolve, 10));
    kv.data.set(`${this.key}-after-await`, 'x');
  }
}

test('registerCommand refuses a class whose do() is an async function, with a TypeError', async () => {
  // Never started: Node.create opens nothing.
  const node = await Node.create({ port: 9811, dataDir: join(tmpdir(), 'tsraft-never-opened'), context: {}, logLevel: 'silent' });
  assert.throws(() => node.registerCommand(AsyncSet as never), (err: Error) => err instanceof TypeError, 'an async do() is accepted at registration');
});

test.run();
