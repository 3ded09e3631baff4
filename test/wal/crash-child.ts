// Child process of crash.test.ts: opens the WAL in argv[2] with sync 'always' and appends until
// killed, printing one line per acknowledged operation (stdout to a pipe is synchronous on Linux,
// so a printed line means the operation had resolved):
//   ready <firstIndex> <lastIndex>
//   ack <fromIndex> <toIndex> <term> <commit>    entries from..to saved with hard state commit
//   truncating <index>                            truncateAfter(index) started...
//   trunc <index>                                 ...and done
//   compacting <index>                            compactBefore(index) started...
//   compact <index>                               ...and done
// Entry bytes derive from (index, term), so the parent can check any entry it reads back.
import { Wal } from '../../wal/index.js';
import { crashEntrySize, makeEntry, seededRandom } from './helpers.js';

const [dir, seedText] = process.argv.slice(2);
const random = seededRandom(Number(seedText));
const wal = await Wal.open(dir, { segmentBytes: 32 * 1024, cacheBytes: 1 << 20, sync: 'always' });
let term = Math.max(1, wal.hardState.term, wal.term(wal.lastIndex) ?? 0);
let commit = wal.hardState.commit;
process.stdout.write(`ready ${wal.firstIndex} ${wal.lastIndex}\n`);

for (;;) {
  const dice = random();
  if (dice < 0.03 && wal.lastIndex - 10 > Math.max(commit, wal.firstIndex)) {
    // A new leader overwrote a suffix that was never committed.
    const index = wal.lastIndex - 1 - Math.floor(random() * 10);
    process.stdout.write(`truncating ${index}\n`);
    await wal.truncateAfter(index);
    term++;
    process.stdout.write(`trunc ${index}\n`);
  } else if (dice < 0.05 && commit > 200) {
    const index = commit - 100;
    process.stdout.write(`compacting ${index}\n`);
    await wal.compactBefore(index);
    process.stdout.write(`compact ${index}\n`);
  } else {
    if (dice < 0.08) term++;
    const from = wal.lastIndex + 1;
    const to = from + Math.floor(random() * 48);
    const entries = [];
    for (let index = from; index <= to; index++) entries.push(makeEntry(index, term, crashEntrySize(index)));
    // Commit lags behind so truncations never cut committed entries (as in Raft).
    commit = Math.max(commit, to - 20, 0);
    await wal.save({ hardState: { term, vote: 1, commit }, entries });
    process.stdout.write(`ack ${from} ${to} ${term} ${commit}\n`);
  }
}
