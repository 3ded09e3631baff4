/**
 * Two names for one member. A member's id is a hash of its address string, so "localhost:9001"
 * and "127.0.0.1:9001" are two members to the core even when they reach the same process: adding
 * the second creates a member that never answers under that name (a phantom voter-to-be, stuck
 * catching up), and founding a cluster with both gives it a voter that never votes. Names that
 * share a port and resolve to a common IP address name the same endpoint; they are refused.
 *
 * The check is advice, not a gate: a name that does not resolve within a second is taken as
 * different (the transport reports an unreachable member anyway).
 * @module
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** How long one name may take to resolve before the check gives up on it. */
const LOOKUP_TIMEOUT_MS = 1000;

/** Host and port of a checked "host:port" address (IPv6 hosts without their brackets). */
function hostAndPort(address: string): { host: string; port: string } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: address.slice(colon + 1) };
}

/** The IP addresses `host` resolves to; empty when it does not resolve in time. */
async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [host.toLowerCase()];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS);
    timer.unref();
  });
  const resolved = lookup(host, { all: true }).then(
    (found) => found.map((a) => a.address.toLowerCase()),
    () => [],
  );
  try {
    return await Promise.race([resolved, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A pair of different addresses that name one endpoint, with the IP address they share. */
export interface AddressAlias {
  address: string;
  sameAs: string;
  ip: string;
}

/**
 * The first address of `candidates` that names the same endpoint as a different address of
 * `known` (or, with `known` omitted, as an earlier candidate): the same port and a resolved IP
 * address in common. Only names that share a port are resolved.
 */
export async function findAlias(candidates: readonly string[], known?: readonly string[]): Promise<AddressAlias | undefined> {
  const all = [...new Set([...candidates, ...(known ?? [])])];
  const byPort = new Map<string, string[]>();
  for (const address of all) {
    const { port } = hostAndPort(address);
    byPort.set(port, [...(byPort.get(port) ?? []), address]);
  }
  const shared = all.filter((a) => byPort.get(hostAndPort(a).port)!.length > 1);
  if (shared.length === 0) return undefined;
  const ips = new Map(await Promise.all(shared.map(async (a) => [a, await addressesOf(hostAndPort(a).host)] as const)));
  for (const [i, address] of candidates.entries()) {
    const mine = ips.get(address);
    if (!mine) continue;
    const others = known ?? candidates.slice(0, i);
    for (const other of others) {
      if (other === address || hostAndPort(other).port !== hostAndPort(address).port) continue;
      const ip = ips.get(other)?.find((x) => mine.includes(x));
      if (ip !== undefined) return { address, sameAs: other, ip };
    }
  }
  return undefined;
}

/** "localhost:9001 and 127.0.0.1:9001 name the same endpoint (127.0.0.1:9001)". */
export function describeAlias(alias: AddressAlias): string {
  const ip = alias.ip.includes(':') ? `[${alias.ip}]` : alias.ip;
  return `${alias.address} and ${alias.sameAs} name the same endpoint (${ip}:${hostAndPort(alias.address).port})`;
}
