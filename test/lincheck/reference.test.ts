// Cross-checks the WGL checker against a brute-force reference on thousands of small random
// histories (all five operations, ok / fail / info / missing returns, two keys). The reference
// is written directly from the format's rules, on the whole history (not per key), and tries
// every order; agreement on both verdicts is asserted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHistory, parseHistory, type HistoryEvent, type OpName } from '../support/lincheck/index.js';
import { takeEffect, type InFlight } from './true-register.js';

type RefOp = {
  f: OpName;
  key: string;
  value: unknown;
  inv: number;
  ret: number; // Infinity when unknown
  type: 'ok' | 'fail' | 'info';
  out: unknown;
};

/** Brute force: is there an order of the ops, respecting real time, legal for the register? */
function reference(events: HistoryEvent[]): boolean {
  const open = new Map<number, RefOp>();
  const all: RefOp[] = [];
  events.forEach((e, i) => {
    if (e.type === 'invoke') {
      const o: RefOp = { f: e.f, key: e.key, value: e.value, inv: i, ret: Infinity, type: 'info', out: undefined };
      open.set(e.process, o);
      all.push(o);
    } else {
      const o = open.get(e.process)!;
      open.delete(e.process);
      o.type = e.type;
      o.out = e.value;
      if (e.type !== 'info') o.ret = i;
    }
  });
  // fail of anything but cas: did not happen; an unknown read: tells nothing.
  const ops = all.filter((o) => !(o.type === 'fail' && o.f !== 'cas') && !(o.type === 'info' && o.f === 'read'));
  const required = ops.filter((o) => o.type !== 'info');
  const apply = (st: Map<string, string | null>, o: RefOp): Map<string, string | null> | null => {
    const cur = st.get(o.key) ?? null;
    const set = (v: string | null): Map<string, string | null> => new Map(st).set(o.key, v);
    switch (o.f) {
      case 'read':
        return cur === o.out ? st : null;
      case 'write':
        return set(o.value as string);
      case 'append':
        return set((cur ?? '') + (o.value as string));
      case 'delete':
        return set(null);
      case 'cas': {
        const [e, n] = o.value as [string | null, string];
        if (o.type === 'fail') return cur !== e ? st : null;
        return cur === e ? set(n) : null; // ok; info: or it did not happen (= left out)
      }
    }
  };
  const done = new Set<RefOp>();
  const dfs = (st: Map<string, string | null>): boolean => {
    if (required.every((o) => done.has(o))) return true;
    for (const o of ops) {
      if (done.has(o)) continue;
      // o can come next only if no pending op returned before o was invoked.
      if (ops.some((u) => !done.has(u) && u !== o && u.ret < o.inv)) continue;
      const next = apply(st, o);
      if (!next) continue;
      done.add(o);
      const ok = dfs(next);
      done.delete(o);
      if (ok) return true;
    }
    return false;
  };
  return dfs(new Map());
}

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random history of at most `maxOps` operations. A true register is simulated (each operation
 * takes effect at a random moment between invoke and return), then outcomes and read values are
 * sometimes corrupted, so both verdicts are common.
 */
function randomHistory(r: () => number, maxOps: number): HistoryEvent[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const keys = r() < 0.5 ? ['x'] : ['x', 'y'];
  const vals = ['a', 'b', ''];
  const state = new Map<string, string | null>();
  const events: HistoryEvent[] = [];
  type Busy = InFlight;
  const busy = new Map<number, Busy>();
  let nextProcess = 0;
  const idle: number[] = [nextProcess++, nextProcess++, nextProcess++];
  let invoked = 0;
  const effect = (b: Busy): void => takeEffect(state, b);
  while (invoked < maxOps || busy.size > 0) {
    const pending = [...busy.keys()];
    const roll = r();
    if (invoked < maxOps && idle.length > 0 && (pending.length === 0 || roll < 0.45)) {
      const p = idle.splice(Math.floor(r() * idle.length), 1)[0]!;
      const f = pick<OpName>(['read', 'read', 'write', 'append', 'delete', 'cas', 'cas']);
      const key = pick(keys);
      let value: unknown = null;
      if (f === 'write' || f === 'append') value = pick(vals);
      if (f === 'cas') value = [pick<string | null>([null, 'a', 'b', 'ab']), pick(vals)];
      events.push({ process: p, type: 'invoke', f, key, value });
      busy.set(p, { f, key, value, applied: false, result: null, casOk: false });
      invoked++;
    } else if (roll < 0.7 && pending.length > 0) {
      effect(busy.get(pick(pending))!); // takes effect now, returns later
    } else if (pending.length > 0) {
      const p = pick(pending);
      const b = busy.get(p)!;
      busy.delete(p);
      const u = r();
      if (u < 0.08 && invoked < maxOps) {
        // no return at all (still outstanding at the end); maybe it took effect
        if (r() < 0.5) effect(b);
        idle.push(nextProcess++); // the client carries on under a new process id
        continue;
      }
      if (u < 0.2) {
        if (r() < 0.5) effect(b);
        events.push({ process: p, type: 'info', f: b.f, key: b.key, value: null });
        idle.push(nextProcess++);
        continue;
      }
      const lie = r() < 0.12;
      if (b.f === 'read') {
        effect(b);
        const v = lie ? pick<string | null>([null, 'a', 'b', 'ab', '']) : b.result;
        events.push({ process: p, type: 'ok', f: 'read', key: b.key, value: v });
      } else if (b.f === 'cas') {
        effect(b);
        const ok = lie ? !b.casOk : b.casOk;
        events.push({ process: p, type: ok ? 'ok' : 'fail', f: 'cas', key: b.key, value: b.value });
      } else if (u < 0.27 && !b.applied) {
        events.push({ process: p, type: lie ? 'ok' : 'fail', f: b.f, key: b.key, value: b.value });
      } else {
        effect(b);
        events.push({ process: p, type: lie ? 'fail' : 'ok', f: b.f, key: b.key, value: b.value });
      }
      idle.push(p);
    }
    if (invoked >= maxOps && busy.size > 0 && r() < 0.05) break; // leave some without returns
  }
  return events;
}

test('agrees with brute force on 4000 random small histories', () => {
  const r = rng(12345);
  const counts = { ok: 0, bad: 0 };
  for (let i = 0; i < 4000; i++) {
    const events = randomHistory(r, 3 + Math.floor(r() * 6));
    const want = reference(events) ? 'ok' : 'bad';
    const got = checkHistory(events).verdict;
    if (got !== want) {
      assert.unreachable(`history #${i}: checker says ${got}, brute force ${want}:\n${events.map((e) => JSON.stringify(e)).join('\n')}`);
    }
    counts[want]++;
  }
  console.log(`  random histories: ${counts.ok} linearizable, ${counts.bad} not`);
  assert.ok(counts.ok > 800 && counts.bad > 800, `both verdicts well represented: ${JSON.stringify(counts)}`);
});

test('random histories survive a JSONL round trip with the same verdict', () => {
  const r = rng(777);
  for (let i = 0; i < 300; i++) {
    const events = randomHistory(r, 8);
    const text = events.map((e) => JSON.stringify(e)).join('\n');
    assert.is(checkHistory(parseHistory(text)).verdict, checkHistory(events).verdict);
  }
});

test.run();
