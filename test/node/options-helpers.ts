// Shared by the option-check tests: resolve a minimal valid set of options plus `extra`, and
// expect an error of a given class whose message carries the given fragments.
import * as assert from 'uvu/assert';
import { resolveNodeOptions, type NodeOptions, type ResolvedNodeOptions } from '../../src/node-options.js';

export type ExtraOptions = Partial<NodeOptions<object>> & Record<string, unknown>;

/** resolveNodeOptions of port 9001, a data dir that is never opened, an empty context and `extra`. */
export function resolveWith(extra: ExtraOptions = {}): ResolvedNodeOptions<object> {
  return resolveNodeOptions<object>({ port: 9001, dataDir: '/nonexistent/options-test', context: {}, ...extra } as NodeOptions<object>);
}

/** Asserts that `extra` is refused with a `type` error whose message holds every fragment. */
export function refusedWith(extra: ExtraOptions, type: typeof TypeError | typeof RangeError, ...fragments: string[]): void {
  try {
    resolveWith(extra);
  } catch (error) {
    assert.instance(error, type, `${String(Object.keys(extra))}: ${(error as Error).message}`);
    for (const f of fragments) assert.match((error as Error).message, f, `${String(Object.keys(extra))}: ${(error as Error).message}`);
    return;
  }
  assert.unreachable(`accepted ${String(Object.keys(extra))}`);
}

/** Methods a transport of the caller's must have. */
export const TRANSPORT_METHODS = ['start', 'stop', 'send', 'onMessages', 'setPeers'] as const;

/**
 * A transport that satisfies the check (nothing is started: resolveNodeOptions only looks),
 * `without` one of its methods, with `address.value` as its address.
 */
export function fakeTransport(without?: string, address: { value: unknown } = { value: 'n1:9001' }): NodeOptions<object>['transport'] {
  const t: Record<string, unknown> = { address: address.value };
  for (const m of TRANSPORT_METHODS) if (m !== without) t[m] = () => {};
  return t as unknown as NodeOptions<object>['transport'];
}
