/**
 * The key-value state machine raft-node serves: a {@link KvStore} context, the set / delete /
 * append / cas commands, and a streamed snapshot. Also the worked example of using the library:
 * `installKv(node)` is all a server does to make a Node a key-value store.
 * @module
 */
import { bytesCodec } from '../codec.js';
import type { Node } from '../node.js';
import { KV_COMMANDS } from './commands.js';
import { kvSnapshotHandler } from './snapshot.js';
import type { KvStore } from './store.js';

export { KvStore, type KvCapture } from './store.js';
export { SetCommand, DeleteCommand, AppendCommand, LegacyAppendCommand, CasCommand, KV_COMMANDS, type AppendResult, type CasResult } from './commands.js';
export { saveKv, captureKv, recoverKv, kvSnapshotHandler } from './snapshot.js';

/** Registers the key-value commands, their codec and the snapshot hooks on `node` (before start). */
export function installKv(node: Node<KvStore>): void {
  node.setCodec(bytesCodec);
  for (const cls of KV_COMMANDS) node.registerCommand(cls);
  node.setSnapshot(kvSnapshotHandler(node.context));
}
