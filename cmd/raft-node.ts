#!/usr/bin/env node
/**
 * raft-node: one member of a tsraft key-value cluster (see `raft-node --help`), or
 * `raft-node inspect <path>` to print a data directory's WAL, snapshots and membership.
 * Exit status: 0 after a clean stop, 1 on a runtime failure (including the node stopping itself
 * because its storage failed, so a supervisor restarts it), 2 for a bad command line (inspect:
 * see cmd/inspect.ts).
 * @module
 */
import v8 from 'node:v8';
import { LostDataError } from '../src/errors.js';
import { FlagError, USAGE, configAdvice, parseFlags } from './flags.js';
import { installGrpcLogger } from './grpc-log.js';
import { registerProcessMetrics } from './process-metrics.js';
import { createServer, type RaftNodeServer } from './serve.js';

/**
 * Bounds how far V8 grows the JS heap past the live data before a full GC. Under a steady write
 * load V8's own heuristic let the heap reach 3-4x the live data (the WAL's entry cache and the
 * state), so RSS kept climbing for minutes; a fixed factor keeps it proportional to what is live,
 * as Go's GOGC does for etcd. V8 reads this flag each time it sets the next GC limit, so setting it
 * at startup takes effect.
 */
function applyGcHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

async function main(argv: string[]): Promise<number> {
  // Whoever reads our output may go away (a log pipe's reader exited, the terminal closed): an
  // EPIPE on stdout or stderr must not crash the node mid-stop with its locks left behind (found
  // in review). The log lines are lost; the node goes on.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  if (argv[0] === 'inspect') return (await import('./inspect.js')).inspectMain(argv.slice(1));
  let config;
  try {
    config = parseFlags(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`raft-node: ${err.message}\nRun raft-node --help for the flags.\n`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  for (const line of configAdvice(config)) process.stderr.write(`raft-node: warning: ${line}\n`);
  applyGcHeapGrowth(config.gcHeapGrowthPercent);
  installGrpcLogger();
  let server: RaftNodeServer;
  try {
    server = await createServer(config);
  } catch (err) {
    return startFailure(err);
  }
  let stopAsked = false;
  // The handlers are in place before anything starts: a signal while the node recovers its state
  // (which can take a while) stopped the process by the signal's default action, no clean stop,
  // its locks left behind (found in review). A stop asked then waits for the start to end.
  const stopped = new Promise<number>((resolve) => {
    // The node stopped itself (its storage failed): exit rather than stay up answering 503, so a
    // supervisor restarts it and the restart recovers from what is on disk.
    server.node.onFatal((err) => {
      // A restart recovers from the data directory, except one that lost what it acknowledged.
      const advice = err instanceof LostDataError ? '' : ' (a restart recovers from the data directory)';
      process.stderr.write(`raft-node: fatal: ${err.message}: exiting${advice}\n`);
      // Stopping closes the WAL and the HTTP port; should it hang on a broken disk, exit anyway.
      setTimeout(() => resolve(1), 10_000).unref();
      server.stop().then(
        () => resolve(1),
        () => resolve(1),
      );
    });
    let firstSignalAt = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (firstSignalAt > 0) {
        // Ctrl-C reaches a whole process group, and a supervisor may send SIGTERM as well: only a
        // repeat after a while means "stop waiting".
        if (Date.now() - firstSignalAt < 3000) return;
        process.stderr.write(`raft-node: ${signal} again while stopping: exiting at once\n`);
        process.exit(1);
      }
      firstSignalAt = Date.now();
      stopAsked = true;
      process.stderr.write(`raft-node: ${signal}: stopping\n`);
      server.stop().then(
        () => resolve(0),
        (err: Error) => {
          process.stderr.write(`raft-node: stop failed: ${err.message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  try {
    await server.start();
  } catch (err) {
    return startFailure(err);
  }
  registerProcessMetrics(server.node.metricsRegistry.registry);
  if (!stopAsked) process.stdout.write(`raft-node ${server.node.address} serving http://${server.http.address} (data ${config.path})\n`);
  return stopped;
}

/** The exit status of a start that failed, said on stderr. */
function startFailure(err: unknown): number {
  // The member list naming one endpoint twice is found only once names resolve, at start():
  // a flag error all the same.
  if (err instanceof TypeError && err.message.startsWith('members: ')) {
    process.stderr.write(`raft-node: --${err.message}\nRun raft-node --help for the flags.\n`);
    return 2;
  }
  process.stderr.write(`raft-node: cannot start: ${(err as Error).message}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`raft-node: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
