// Child process of crash.test.ts: opens the snapshot store in argv[2] and writes snapshots of
// growing index until killed, printing one line per event (stdout to a pipe is synchronous on
// Linux, so a printed line means the operation had resolved):
//   ready <latestIndex>        the store is open; latest() before starting
//   committed <index>          commit() of the snapshot at <index> resolved
//   aborted <index>            a snapshot was abandoned on purpose
// Payloads derive from the index (helpers.ts), so the parent can check any snapshot it reads.
import { SnapshotStore } from '../../src/snapshot/store.js';
import { crashPayloadSize, membership, seededRandom, writePayload } from './helpers.js';

const [dir, seedText] = process.argv.slice(2);
const random = seededRandom(Number(seedText));
const store = await SnapshotStore.open(dir!, { retain: 2 });
let index = (await store.latest())?.meta.index ?? 0;
process.stdout.write(`ready ${index}\n`);

for (;;) {
  index += 1 + Math.floor(random() * 5);
  const writer = await store.create({ index, term: 1 + Math.floor(index / 50), membership: membership(index % 10) });
  await writePayload(writer, index, crashPayloadSize(index), 4096 + Math.floor(random() * 60_000));
  if (random() < 0.1) {
    await writer.abort();
    process.stdout.write(`aborted ${index}\n`);
  } else {
    await writer.commit();
    process.stdout.write(`committed ${index}\n`);
  }
}
