// A member whose data directory was wiped, restarted with its founding members: the setup of the
// lost-data tests (test/node/lost-data, removed-stale-queue).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from '../../src/index.js';
import { SetCommand, waitUntil, type Kv, type TestCluster } from './node-cluster.js';

/** Deletes the data directory of the member at `address`. */
export function wipe(c: TestCluster, address: string): void {
  rmSync(join(c.root, address.replace(':', '-')), { recursive: true, force: true });
}

/** Starts the cluster and applies five writes (k0..k4) everywhere; resolves with the leader and a follower's address. */
export async function startWithFiveWrites(c: TestCluster): Promise<{ leader: Node<Kv>; follower: string }> {
  await c.startAll();
  const leader = await c.waitLeader();
  for (let i = 0; i < 5; i++) await leader.do(new SetCommand(`k${i}`, `v${i}`));
  await c.waitConverged();
  return { leader, follower: c.addresses.find((a) => a !== leader.address)! };
}

/** Starts the cluster, applies five writes (k0..k4) everywhere, then stops a follower and wipes its data directory; resolves with its address. */
export async function stopAndWipeFollower(c: TestCluster): Promise<string> {
  const { follower: victim } = await startWithFiveWrites(c);
  await c.stop(victim);
  wipe(c, victim);
  return victim;
}

/**
 * Starts the cluster, applies five writes everywhere, then stops a follower, wipes its data
 * directory and starts it again as it was (its founding members); resolves once it stopped itself,
 * with the error it gave onFatal.
 */
export async function restartWipedFollower(c: TestCluster): Promise<{ victim: string; wiped: Node<Kv>; error: Error }> {
  const victim = await stopAndWipeFollower(c);
  const fatal: Error[] = [];
  c.configure = (node, address) => {
    if (address === victim) node.onFatal((err) => fatal.push(err));
  };
  const wiped = await c.start(victim);
  await waitUntil('the wiped member to stop itself', () => fatal.length > 0, 5000);
  c.configure = undefined;
  return { victim, wiped, error: fatal[0]! };
}
