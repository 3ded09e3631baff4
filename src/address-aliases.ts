/**
 * Two names for one member. A member's id is a hash of its address string, so "localhost:9001"
 * and "127.0.0.1:9001" are two members to the core even when they reach the same process: adding
 * the second creates a member that never answers under that name (a phantom voter-to-be, stuck
 * catching up), and founding a cluster with both gives it a voter that never votes. Names that
 * share a port and resolve to a common IP address name the same endpoint; they are refused.
 *
 * The check is advice, not a gate: a name that does not resolve within a second is taken as
 * different (the transport reports an unreachable member anyway). `dns.lookup` (which reads
 * /etc/hosts, unlike `dns.resolve`) runs on libuv's thread pool, which the WAL's writes share: so
 * one lookup runs at a time, whatever the number of checks, and answers are kept for a while.
 * @module
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** How long one name may take to resolve before the check gives up on it. */
const LOOKUP_TIMEOUT_MS = 1000;
/** How long a lookup's answer is reused. */
const CACHE_MS = 30_000;
/** Names kept at most (a burst of join requests for made-up names empties it). */
const CACHE_SIZE = 256;

const cache = new Map<string, { at: number; ips: Promise<string[]> }>();
/** The last lookup started: the next one waits for it (one thread-pool thread at most). */
let lastLookup: Promise<unknown> = Promise.resolve();

/** The IP addresses `host` resolves to (empty when it does not), one lookup at a time, cached. */
function lookupQueued(host: string): Promise<string[]> {
  const now = performance.now();
  const hit = cache.get(host);
  if (hit && now - hit.at < CACHE_MS) return hit.ips;
  const ips = lastLookup.then(() =>
    lookup(host, { all: true }).then(
      (found) => found.map((a) => a.address.toLowerCase()),
      () => [],
    ),
  );
  lastLookup = ips;
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(host, { at: now, ips });
  return ips;
}

/** Host and port of a checked "host:port" address (IPv6 hosts without their brackets). */
function hostAndPort(address: string): { host: string; port: string } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: address.slice(colon + 1) };
}

/** An IP address in one spelling: "::1" for "0:0:0:0:0:0:0:1", "127.0.0.1" for "::ffff:127.0.0.1". */
function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * The IP addresses `host` resolves to (empty when it does not resolve in time), and for a name
 * the name itself in one spelling (lower case, no trailing dot): names are case-insensitive, so
 * "N1" and "n1" are one endpoint even where neither resolves (found in review: join() of "N1:9001"
 * in a cluster of "n1:9001" added a second member).
 */
async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [canonicalIp(host.toLowerCase())];
  const name = host.toLowerCase().replace(/\.$/, '');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return [name, ...(await Promise.race([lookupQueued(host), timeout])).map(canonicalIp)];
  } finally {
    clearTimeout(timer);
  }
}

/** A pair of different addresses that name one endpoint, with the IP address they share. */
export interface AddressAlias {
  address: string;
  sameAs: string;
  /** The IP address they share, or the host name both spell (lower case, no trailing dot). */
  ip: string;
}

/**
 * The first address of `candidates` that names the same endpoint as a different address of
 * `known` (or, with `known` omitted, as an earlier candidate): the same port and a resolved IP
 * address in common. Only names that share a port are resolved.
 */
export async function findAlias(candidates: readonly string[], known?: readonly string[]): Promise<AddressAlias | undefined> {
  // Only names that share a port with a candidate (and, without `known`, with another) are looked up.
  const pool = [...new Set([...candidates, ...(known ?? [])])];
  const portsOfCandidates = new Set(candidates.map((a) => hostAndPort(a).port));
  const shared = pool.filter((a) => {
    const port = hostAndPort(a).port;
    return portsOfCandidates.has(port) && pool.some((b) => b !== a && hostAndPort(b).port === port);
  });
  if (shared.length === 0) return undefined;
  const ips = new Map<string, string[]>();
  for (const a of shared) ips.set(a, await addressesOf(hostAndPort(a).host));
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

/**
 * For a refusal naming `address` when it is not among `members`: "; <how>: the member is known
 * as <member>" when it names the same endpoint as one of them, else ''.
 */
export async function aliasHint(address: string, members: readonly string[]): Promise<string> {
  const alias = await findAlias([address], members);
  return alias ? `; ${describeAlias(alias)}: the member is known as ${alias.sameAs}` : '';
}
