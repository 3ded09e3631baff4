/**
 * grpc-js's own log lines in raft-node: printed as grpc-js prints them by default ("E message" on
 * stderr), except the line it logs when a server port cannot be bound. The node reports that
 * failure itself, with the address and the cause ("cannot start: transport: cannot listen on
 * h:p: ... EADDRINUSE"), and grpc-js's line before it only repeated the start of it.
 * @module
 */
import { setLogger } from '@grpc/grpc-js';

/** What grpc-js logs just before `Server.bindAsync` fails with the same words in its error. */
const BIND_FAILURE = /^No address added out of total \d+ resolved/;

/**
 * Installs the filtering logger (`grpc.setLogger`, process-wide: for the program, never the
 * library). grpc-js's verbosity setting (GRPC_VERBOSITY) still decides what reaches it.
 */
export function installGrpcLogger(): void {
  const line =
    (prefix: string) =>
    (message?: unknown, ...rest: unknown[]): void => {
      if (typeof message === 'string' && BIND_FAILURE.test(message)) return;
      console.error(`${prefix} ${String(message)}`, ...rest);
    };
  setLogger({ error: line('E'), info: line('I'), debug: line('D') });
}
