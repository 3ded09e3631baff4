import { randomBytes } from 'node:crypto';
import type { SessionHeader } from './sessions.js';

/**
 * A node's own side of its proposer session (see sessions.ts): a random session id, the next
 * sequence number and the floor — the lowest sequence number still awaiting an answer — which
 * tells the state machines which earlier proposals they may forget.
 */
export class ProposerSession {
  /** 48 random bits: a safe integer, unlikely to meet another node's or an earlier run's. */
  readonly session = randomBytes(6).readUIntLE(0, 6);
  private nextSeq = 1;
  private floor = 1;
  /** Sequence numbers answered while a lower one was still waiting. */
  private readonly endedAhead = new Set<number>();

  /** Takes the next sequence number for a proposal; {@link end} it once answered, whatever the answer. */
  begin(): number {
    return this.nextSeq++;
  }

  /** The session header of proposal `seq`, with the floor as it is now. */
  header(seq: number): SessionHeader {
    return { session: this.session, seq, floor: this.floor };
  }

  /**
   * Proposal `seq` was answered (or given up): raises the floor past every answered one. Ending a
   * seq twice, or one never begun, changes nothing (held, it would never leave `endedAhead`).
   */
  end(seq: number): void {
    if (seq < this.floor || seq >= this.nextSeq) return;
    if (seq !== this.floor) {
      this.endedAhead.add(seq);
      return;
    }
    this.floor++;
    while (this.endedAhead.delete(this.floor)) this.floor++;
  }

  /** The lowest sequence number still awaiting an answer (or the next one, when none waits). */
  get lowestWaiting(): number {
    return this.floor;
  }
}
