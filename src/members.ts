/**
 * Member lists and member ids. Users name members by address ("host:port"); the core numbers
 * them. The id is a hash of the address, so every node derives the same id without coordination.
 * @module
 */
import { isIP } from 'node:net';

/** A member as the user names it. */
export interface MemberAddress {
  /** "host:port" of the member's peer (gRPC) endpoint. */
  address: string;
  /** A non-voting member receives the log but never votes or counts toward a quorum. */
  nonVoting: boolean;
}

const ADDRESS = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/**
 * Throws a clear error unless `address` is "host:port" with a port from 1 to 65535 written without
 * leading zeros (an IPv6 host in brackets), and a host peers can reach: not the unspecified address (0.0.0.0, [::]), which a
 * server may listen on but nobody can dial.
 */
export function checkAddress(address: string): string {
  const m = ADDRESS.exec(address);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new TypeError(`bad member address ${JSON.stringify(address)}: expected host:port with a port from 1 to 65535 (an IPv6 address in brackets)`);
  }
  if (m[2]!.startsWith('0')) {
    // A member is named by its exact address (its id is a hash of it): "h:07102" would be a second
    // member at the port of "h:7102" (found in review: join() added one, promoting for ever).
    throw new TypeError(`bad member address ${JSON.stringify(address)}: the port has a leading zero; write it as ${Number(m[2])}`);
  }
  const host = m[1]!;
  if (host.startsWith('[') && isIP(host.slice(1, -1)) !== 6) {
    throw new TypeError(`bad member address ${JSON.stringify(address)}: ${host} is not an IPv6 address`);
  }
  if (isUnspecified(host)) {
    throw new TypeError(`bad member address ${JSON.stringify(address)}: ${host} is the unspecified address, which a server may listen on but peers cannot reach; give the node's own address`);
  }
  return address;
}

/** Hostnames of the unspecified address as the URL parser writes them (IPv4, IPv6, IPv4-mapped IPv6). */
const UNSPECIFIED_HOSTNAMES: ReadonlySet<string> = new Set(['0.0.0.0', '[::]', '[::ffff:0:0]']);

/**
 * Whether `host` is the unspecified address in any spelling: "0", "0x0" and "00.0.0.0" are
 * 0.0.0.0 to the resolver, "[0:0::0.0.0.0]" is "[::]". The URL parser writes each one way.
 */
function isUnspecified(host: string): boolean {
  try {
    return UNSPECIFIED_HOSTNAMES.has(new URL(`http://${host}/`).hostname);
  } catch {
    return false; // not a host the URL parser takes: not one of these spellings
  }
}

/**
 * Parses hslam/raft's member list syntax: `"h:p;h:p;h:p,true"` (`,true` marks a non-voting
 * member; `,false` is allowed). Also accepts an array of strings in the same per-member syntax
 * or of {@link MemberAddress} objects. Throws a TypeError naming the bad item.
 */
export function parseMembers(members: string | ReadonlyArray<string | MemberAddress>): MemberAddress[] {
  const items = typeof members === 'string' ? members.split(';').map((s) => s.trim()).filter((s) => s.length > 0) : members;
  const out: MemberAddress[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    let member: MemberAddress;
    if (typeof item === 'string') {
      const [address = '', flag, ...rest] = item.split(',').map((s) => s.trim());
      if (rest.length > 0 || (flag !== undefined && flag !== 'true' && flag !== 'false')) {
        throw new TypeError(`bad member ${JSON.stringify(item)}: expected host:port or host:port,true (non-voting), members separated by ";"`);
      }
      member = { address: checkAddress(address), nonVoting: flag === 'true' };
    } else {
      member = { address: checkAddress(item.address), nonVoting: item.nonVoting === true };
    }
    if (seen.has(member.address)) throw new TypeError(`member ${member.address} is listed twice`);
    seen.add(member.address);
    out.push(member);
  }
  return out;
}

/** A member list in the syntax {@link parseMembers} reads: `"h:p;h:p,true"`. */
export function formatMembers(members: readonly MemberAddress[]): string {
  return members.map((m) => m.address + (m.nonVoting ? ',true' : '')).join(';');
}

/** The core's id of the member at `address`: FNV-1a of the address, never 0. */
export function memberId(address: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    h ^= address.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h >>>= 0;
  return h === 0 ? 1 : h;
}
