// The replication epoch (AppendRequest.epoch and its echo) is optional on the wire for all five
// messages that carry it: older members neither send it nor keep it (the protocol version was
// kept), so an append, heartbeat or snapshot chunk from an older leader, and an answer from an
// older follower, must decode without it, and one with it must keep it. The fixtures only carry an
// epoch on four of them and never leave it out, so with any of the five made required, or the
// heartbeat's given another kind, every wire test still passed while a rolling upgrade would
// have refused each batch of the older members (from a mutation review of the epoch).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import type { Message } from '../../src/core/messages.js';
import { decodeBatch, WireError } from '../../src/transport/wire.js';
import { EXAMPLES } from './fixtures.js';

const raw = (value: unknown): Buffer => new Packr({ useRecords: false }).pack(value);

for (const type of ['append', 'appendResp', 'heartbeat', 'snapshot', 'snapshotResp'] as const) {
  test(`${type}.epoch is optional on the wire: taken without it (an older member), kept with it, a wrong type refused`, () => {
    const { epoch: _, ...older } = EXAMPLES[type] as Extract<Message, { type: typeof type }> & { epoch?: number };
    const [decoded] = decodeBatch(raw([older])) as unknown as Array<Record<string, unknown>>;
    assert.equal(decoded, older);
    assert.not.ok('epoch' in decoded!, 'absent, not undefined');
    for (const epoch of [0, 7, 2 ** 32]) {
      const [withEpoch] = decodeBatch(raw([{ ...older, epoch }])) as unknown as Array<Record<string, unknown>>;
      assert.is(withEpoch!.epoch, epoch);
    }
    for (const bad of ['7', -1, 1.5, true]) {
      assert.throws(
        () => decodeBatch(raw([{ ...older, epoch: bad }])),
        (e: Error) => e instanceof WireError && new RegExp(`\\(${type}\\)\\.epoch must be`).test(e.message),
        `epoch ${JSON.stringify(bad)}`,
      );
    }
  });
}

test.run();
