/**
 * The data-directory incarnation (data-dir-incarnation.ts) each member of this node's
 * configuration dialed in with, kept in `dataDir/PEERS` so that it outlives a restart.
 *
 * A member that dials in with another incarnation, without having left the configuration since,
 * runs on a wiped, replaced or rebuilt directory: it forgot the entries it acknowledged and the
 * votes it gave. Its streams are refused, so that nothing it says — a vote above all — reaches
 * this node, until it is removed and added again. Before, such a member restarted with its
 * founding members could vote before any leader's heartbeat gave it away, and help elect a
 * candidate without entries it had acknowledged (README, "A member that lost its data").
 *
 * A record is dropped when its address leaves the configuration (the member may then come back
 * on a new directory) and all are dropped when a snapshot from the leader replaces the log (the
 * configuration changes it covers are not seen one by one). Dropping only forgets; it never
 * refuses a legitimate member. The one refusal that can be wrong is temporary: a member removed
 * and added again, dialing a node that has not yet received its removal, is refused until it has.
 * @module
 */
import { join } from 'node:path';
import { INCARNATION_PATTERN } from './data-dir-incarnation.js';
import { readKeptFile, writeFileDurably } from './durable-file.js';

/** The file, in the data directory, that holds the members' incarnations. */
export const PEER_INCARNATIONS_FILE = 'PEERS';

/** The members' incarnations this node heard, kept durably. */
export class PeerIncarnations {
  /** Writes run one at a time, each writing the records as they are when it starts. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dataDir: string,
    private readonly records: Map<string, string>,
    private readonly warn: (line: string) => void,
  ) {}

  /**
   * The records kept in `dataDir` (none when the file does not exist yet).
   * @param warn told when a record could not be written (it is then kept in memory only)
   * @throws Error naming the file when it cannot be read or does not parse
   */
  static async load(dataDir: string, warn: (line: string) => void): Promise<PeerIncarnations> {
    const path = join(dataDir, PEER_INCARNATIONS_FILE);
    const text = (await readKeptFile(dataDir, PEER_INCARNATIONS_FILE)) ?? '';
    const records = new Map<string, string>();
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      const [address, incarnation, extra] = line.trim().split(/\s+/);
      if (address === undefined || incarnation === undefined || extra !== undefined || !INCARNATION_PATTERN.test(incarnation)) {
        throw new Error(
          `${path} line ${i + 1} is not "ADDRESS INCARNATION" but ${JSON.stringify(line.slice(0, 60))}; ` +
            'delete the file and the node hears its members\' incarnations again when they dial in',
        );
      }
      records.set(address, incarnation);
    }
    return new PeerIncarnations(dataDir, records, warn);
  }

  /** Every record kept: [address, incarnation]. */
  entries(): Array<[string, string]> {
    return [...this.records];
  }

  /** The incarnation heard from `address`, if one is kept. */
  get(address: string): string | undefined {
    return this.records.get(address);
  }

  /**
   * Whether a node dialing in as `address` with `incarnation` may talk to this one. A member's
   * first incarnation is kept durably before the answer; an outsider's is not kept (a joiner is
   * heard once it is a member). A dialer that sends none (a version before incarnations) is let in.
   * @param isMember whether `address` is a member of this node's configuration
   * @returns undefined to let it in, else why it is refused
   */
  async admit(address: string, incarnation: string | undefined, isMember: boolean): Promise<string | undefined> {
    if (incarnation === undefined || !isMember) return undefined;
    const known = this.records.get(address);
    if (known === incarnation) {
      // Kept already, or being kept for a stream of the same incarnation that dialed a moment
      // earlier: this one waits for that write too.
      await this.writing;
      return undefined;
    }
    if (known !== undefined) {
      return (
        `${address} dialed in with data directory incarnation ${incarnation}, but this node heard from it as incarnation ${known} and it has not left the configuration since: ` +
        'its data directory was wiped, replaced or rebuilt, and what it acknowledged or voted is forgotten. ' +
        `Remove it (raft-node: DELETE /members/${address}; the library: leave()), then start it with join on an empty data directory. ` +
        `If its directory is intact and only its INCARNATION file was lost, write ${known} back into it`
      );
    }
    this.records.set(address, incarnation);
    await this.persist();
    return undefined;
  }

  /**
   * Keeps `incarnation` for `address`, a member now whose stream was let in while it was not one
   * (a joiner's: admit kept nothing then), unless one is kept already.
   */
  adopt(address: string, incarnation: string): void {
    if (this.records.has(address)) return;
    this.records.set(address, incarnation);
    void this.persist();
  }

  /** Forgets the members that are no longer in the configuration `members` (addresses). */
  retain(members: ReadonlySet<string>): void {
    let changed = false;
    for (const address of this.records.keys()) {
      if (!members.has(address)) changed = this.records.delete(address) || changed;
    }
    if (changed) void this.persist();
  }

  /** Forgets every member (a snapshot replaced the log: changes it covers went unseen). */
  clear(): void {
    if (this.records.size === 0) return;
    this.records.clear();
    void this.persist();
  }

  /** Resolves once every write asked so far has ended (stop() waits for it before releasing the directory). */
  settled(): Promise<void> {
    return this.writing;
  }

  private persist(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const text = [...this.records].map(([address, incarnation]) => `${address} ${incarnation}\n`).join('');
      try {
        await writeFileDurably(this.dataDir, PEER_INCARNATIONS_FILE, text);
      } catch (err) {
        this.warn(`keeping the members' data directory incarnations in ${join(this.dataDir, PEER_INCARNATIONS_FILE)} failed: ${(err as Error).message}`);
      }
    });
    return this.writing;
  }
}
