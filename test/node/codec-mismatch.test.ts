// Members configured with different command codecs (setCodec) cannot all decode every command,
// and one that cannot stops when the entry applies. Each member announces its codec's name with
// its metadata, and a member with another codec logs it, naming both, before any command is
// written: the operator learns the cause before a member stops.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { msgpackCodec } from '../../src/codec.js';
import { TestCluster } from '../support/node-cluster.js';

test('a member with another codec than this one is named in an error log line, once, on both sides', async () => {
  const lines: Array<{ level: string; line: string }> = [];
  const c = new TestCluster(3, { logLevel: 'warn', logger: (level, line) => lines.push({ level, line }) });
  const odd = c.addresses[2]!;
  c.configure = (node, address) => {
    if (address === odd) node.setCodec(msgpackCodec);
  };
  try {
    await c.startAll();
    await c.waitLeader();
    const about = (codec: string, member: string) => lines.filter((l) => l.level === 'error' && l.line.includes(`member ${member} encodes commands with codec "${codec}"`));
    await c.waitFor(() => c.addresses.slice(0, 2).every((a) => about('json', a).length > 0) && about('msgpack', odd).length >= 2, 3000, 'the mismatch logged');
    assert.match(about('msgpack', odd)[0]!.line, /this node with "json": set the same codec on every member/);
    // Announcements repeat (every 2 election timeouts here): the line does not.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.is(about('msgpack', odd).length, 2, 'once per member that sees it (the two json members)');
  } finally {
    await c.close();
  }
});

test('members with the same codec log nothing about codecs', async () => {
  const lines: string[] = [];
  const c = new TestCluster(3, { logLevel: 'warn', logger: (_level, line) => lines.push(line) });
  try {
    await c.startAll();
    await c.waitLeader();
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(lines.filter((l) => l.includes('codec')), []);
  } finally {
    await c.close();
  }
});

test.run();
