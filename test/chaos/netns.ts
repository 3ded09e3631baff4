/**
 * Real network faults between raft-node processes with Linux network namespaces (needs root and
 * iproute2): each node gets its own namespace with a veth pair whose host end is enslaved to a
 * bridge in the root namespace. Addresses are 10.77.X.1 (the bridge, which is where the clients in
 * the root namespace talk from) and 10.77.X.(10+i) for node i; X is a /24 no other interface uses.
 *
 * A partition is a set of one-way cuts "a cannot send to b": an nftables rule in a's namespace
 * drops what a sends to b's peer port (7000), that is, the stream a dials to b, on which all of a's
 * messages to b travel; b's stream to a, and a's TCP answers on it, still pass. (A blackhole route
 * to b dropped those answers too, so every "one-way" cut was a two-way partition for TCP; found
 * in review.) Healing deletes the rules. A two-way partition cuts both directions. Clients are never cut off: a partitioned node still answers
 * HTTP (and must refuse or delay what it cannot do safely).
 *
 * Names carry a run id `<pid base 36><letter>`: namespaces `tsraft-chaos-<run>-<i>`, links
 * `tsc-<run>-br` and `tsc-<run>-<i>` (a Linux interface name has at most 15 characters). Creating a
 * lab first removes leftovers of runs whose process is gone (a crashed or killed run), ending the
 * node processes still running inside them; `destroy()` removes this run's, and an exit hook does
 * the same synchronously if the process ends first.
 * @module
 */
import { execFile, execFileSync } from 'node:child_process';

export const NETNS_PREFIX = 'tsraft-chaos-';
export const LINK_PREFIX = 'tsc-';
const RUN_RE = /^([0-9a-z]+)([a-z])$/;

/** Run ids of labs alive in this process. */
const active = new Set<string>();
let sequence = 0;

/** The port raft-node listens on for peers inside each namespace (test/chaos/cluster.ts). */
export const LAB_PEER_PORT = 7000;

function nft(namespace: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', namespace, 'nft', ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`nft ${args.join(' ')} in ${namespace}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

function ipSync(args: string[]): string {
  try {
    return execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).toString();
  } catch {
    return '';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the run that owns `runId` is gone (so its namespaces and links are leftovers). */
function isStale(runId: string): boolean {
  const m = RUN_RE.exec(runId);
  if (!m) return false;
  const pid = parseInt(m[1]!, 36);
  if (pid === process.pid) return !active.has(runId);
  return !processAlive(pid);
}

function listNamespaces(): string[] {
  return ipSync(['netns', 'list'])
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

function listLinks(): string[] {
  return ipSync(['-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n !== '');
}

/**
 * Removes namespaces and links of earlier runs whose process no longer exists. Returns what was
 * removed.
 */
export function removeStale(): string[] {
  const removed: string[] = [];
  for (const name of listLinks()) {
    if (!name.startsWith(LINK_PREFIX)) continue;
    const run = name.slice(LINK_PREFIX.length).split('-')[0]!;
    if (isStale(run)) {
      ipSync(['link', 'del', name]);
      removed.push(name);
    }
  }
  for (const name of listNamespaces()) {
    if (!name.startsWith(NETNS_PREFIX)) continue;
    const run = name.slice(NETNS_PREFIX.length).split('-')[0]!;
    if (isStale(run)) {
      // raft-node processes orphaned by a run killed with -9 still live in there: end them first.
      for (const pid of ipSync(['netns', 'pids', name]).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      ipSync(['netns', 'del', name]);
      removed.push(name);
    }
  }
  return removed;
}

/** Whether network namespaces can be used here: root, and `ip netns` works. */
export function netnsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'not running as root' };
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore', timeout: 10_000 });
  } catch (err) {
    return { ok: false, reason: `\`ip netns list\` failed: ${(err as Error).message}` };
  }
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    return { ok: false, reason: 'no nft (Debian: apt-get install nftables), which one-way cuts need' };
  }
  return { ok: true };
}

/** One node's place in the lab. */
export interface LabHost {
  index: number;
  namespace: string;
  ip: string;
}

/** A one-way cut: `from` cannot send to `to`. */
export interface Cut {
  from: number;
  to: number;
}

/** The namespaces, bridge and veth pairs of one run. */
export class NetnsLab {
  readonly hosts = new Map<number, LabHost>();
  private readonly cuts = new Map<string, Cut>();
  /** Namespaces holding the `chaos` nftables table of the cuts in force. */
  private readonly filtered = new Set<string>();
  private destroyed = false;
  private readonly exitHook = (): void => this.destroySync();

  private constructor(
    readonly runId: string,
    readonly subnet: number,
  ) {
    active.add(runId);
    process.on('exit', this.exitHook);
  }

  /** The bridge's name (in the root namespace). */
  get bridge(): string {
    return `${LINK_PREFIX}${this.runId}-br`;
  }

  /** The bridge's address: clients in the root namespace reach the nodes from it. */
  get gateway(): string {
    return `10.77.${this.subnet}.1`;
  }

  /**
   * Removes stale leftovers, picks a free 10.77.X.0/24 and creates the bridge. Throws when that
   * fails (the caller then runs without partitions); partial state is removed first.
   */
  static async create(): Promise<NetnsLab> {
    removeStale();
    const runId = `${process.pid.toString(36)}${String.fromCharCode(97 + (sequence++ % 26))}`;
    const used = new Set<number>();
    for (const m of ipSync(['-o', '-4', 'addr', 'show']).matchAll(/inet 10\.77\.(\d+)\./g)) used.add(Number(m[1]));
    let subnet = 0;
    for (let k = 0; k < 250; k++) {
      const x = 1 + ((process.pid + sequence * 17 + k) % 250);
      if (!used.has(x)) {
        subnet = x;
        break;
      }
    }
    if (subnet === 0) throw new Error('no free 10.77.X.0/24 subnet');
    const lab = new NetnsLab(runId, subnet);
    try {
      await ip(['link', 'add', lab.bridge, 'type', 'bridge']);
      await ip(['addr', 'add', `${lab.gateway}/24`, 'dev', lab.bridge]);
      await ip(['link', 'set', lab.bridge, 'up']);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** Creates node `index`'s namespace, plugged into the bridge; returns its address. */
  async addHost(index: number): Promise<LabHost> {
    const existing = this.hosts.get(index);
    if (existing) return existing;
    if (index < 0 || index > 200) throw new RangeError(`host index ${index} out of range`);
    const host: LabHost = { index, namespace: `${NETNS_PREFIX}${this.runId}-${index}`, ip: `10.77.${this.subnet}.${10 + index}` };
    const outside = `${LINK_PREFIX}${this.runId}-${index}`;
    const inside = `${outside}p`;
    this.hosts.set(index, host);
    await ip(['netns', 'add', host.namespace]);
    await ip(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', host.namespace]);
    await ip(['link', 'set', outside, 'master', this.bridge]);
    await ip(['link', 'set', outside, 'up']);
    await ip(['-n', host.namespace, 'addr', 'add', `${host.ip}/24`, 'dev', inside]);
    await ip(['-n', host.namespace, 'link', 'set', inside, 'up']);
    await ip(['-n', host.namespace, 'link', 'set', 'lo', 'up']);
    return host;
  }

  /** The command prefix that runs a program inside node `index`'s namespace. */
  wrap(index: number): string[] {
    const host = this.hosts.get(index);
    if (!host) throw new Error(`no host ${index}`);
    return ['ip', 'netns', 'exec', host.namespace];
  }

  /** The one-way cuts in force. */
  get activeCuts(): Cut[] {
    return [...this.cuts.values()];
  }

  /** Adds one-way cuts (an nftables rule in the sender's namespace; see the module comment). */
  async cut(cuts: readonly Cut[]): Promise<void> {
    for (const c of cuts) {
      const key = `${c.from}>${c.to}`;
      if (this.cuts.has(key)) continue;
      const from = this.hosts.get(c.from);
      const to = this.hosts.get(c.to);
      if (!from || !to) continue;
      if (!this.filtered.has(from.namespace)) {
        await nft(from.namespace, ['add', 'table', 'inet', 'chaos']);
        await nft(from.namespace, ['add', 'chain', 'inet', 'chaos', 'out', '{ type filter hook output priority 0; }']);
        this.filtered.add(from.namespace);
      }
      await nft(from.namespace, ['add', 'rule', 'inet', 'chaos', 'out', 'ip', 'daddr', to.ip, 'tcp', 'dport', String(LAB_PEER_PORT), 'drop']);
      this.cuts.set(key, c);
    }
  }

  /** Cuts both directions between every node of `a` and every node of `b`. */
  async partition(a: readonly number[], b: readonly number[]): Promise<void> {
    const cuts: Cut[] = [];
    for (const x of a) for (const y of b) cuts.push({ from: x, to: y }, { from: y, to: x });
    await this.cut(cuts);
  }

  /** Deletes every rule added by `cut`. */
  async heal(): Promise<void> {
    for (const namespace of this.filtered) await nft(namespace, ['delete', 'table', 'inet', 'chaos']).catch(() => undefined);
    this.filtered.clear();
    this.cuts.clear();
  }

  /** Removes the namespaces, veth pairs and the bridge (idempotent). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const host of this.hosts.values()) {
      await ip(['netns', 'del', host.namespace]).catch(() => undefined);
      await ip(['link', 'del', `${LINK_PREFIX}${this.runId}-${host.index}`]).catch(() => undefined);
    }
    await ip(['link', 'del', this.bridge]).catch(() => undefined);
    this.finish();
  }

  /** `destroy` for exit hooks. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const host of this.hosts.values()) {
      ipSync(['netns', 'del', host.namespace]);
      ipSync(['link', 'del', `${LINK_PREFIX}${this.runId}-${host.index}`]);
    }
    ipSync(['link', 'del', this.bridge]);
    this.finish();
  }

  /** Names of this run's namespaces and links that still exist (empty after `destroy`). */
  leftovers(): string[] {
    const mine = (n: string): boolean => n.startsWith(`${NETNS_PREFIX}${this.runId}-`) || n.startsWith(`${LINK_PREFIX}${this.runId}-`);
    return [...listNamespaces(), ...listLinks()].filter(mine);
  }

  private finish(): void {
    this.cuts.clear();
    process.off('exit', this.exitHook);
    active.delete(this.runId);
  }
}
