/**
 * Snapshots: policies deciding when to take them, and the store that writes, verifies, serves
 * and receives them.
 * @module
 */
export { CustomSync, DefaultSync, EveryDay, EveryHour, EveryMinute, EverySecond, Never, type SnapshotPolicy, type SyncType } from './policy.js';
export { SnapshotScheduler, type SnapshotSchedulerOptions } from './scheduler.js';
export { SnapshotStore, snapshotDir, type SnapshotListing, type SnapshotStoreOptions } from './store.js';
export { SnapshotWriter } from './writer.js';
export { SnapshotReceiver } from './receiver.js';
export { SnapshotError, SnapshotCorruptionError } from './errors.js';
export { snapshotFileName, parseSnapshotFileName } from './format.js';
export type { SnapshotTarget, StoredSnapshot } from './types.js';
