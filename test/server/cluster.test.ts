// raft-node as users run it: real processes started through the CLI, driven over HTTP.
// Writes and linearizable reads on any node; kill -9 of the leader; restart with the same --path;
// SIGTERM; a joining fourth node; a founding non-voting member that never votes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, http, runRaftNode, waitFor, type RaftProcess } from '../support/processes.js';
import { metricValue } from '../support/prometheus.js';

const ELECTION_TIMEOUT_MS = 500;

/** PUT with retries on 503 (no leader yet); returns the index. Throws on anything else. */
async function put(node: RaftProcess, key: string, value: string, deadlineMs = 10_000): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const r = await http(`${node.url}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: value }).catch(() => undefined);
    if (r?.status === 200) return r.json<{ index: number }>().index;
    if (r && r.status !== 503) throw new Error(`PUT ${key} on ${node.peerAddress}: ${r.status} ${r.text}`);
    if (Date.now() > deadline) throw new Error(`PUT ${key} on ${node.peerAddress}: still failing (${r?.status} ${r?.text})`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function get(node: RaftProcess, key: string, consistency = 'index'): Promise<{ status: number; text: string }> {
  const r = await http(`${node.url}/kv/${encodeURIComponent(key)}?consistency=${consistency}`);
  return { status: r.status, text: r.text };
}

test('a 3-node cluster started with the CLI: writes to any node, linearizable reads from any node', async () => {
  const c = await ProcessCluster.start(3);
  try {
    await c.waitLeader();
    for (const [i, node] of c.nodes.entries()) {
      const index = await put(node, `k${i}`, `v${i}`);
      assert.ok(index > 0, 'a write answers with its log index');
      // Linearizable: a read right after the acknowledged write sees it, on every node.
      for (const reader of c.nodes) {
        assert.equal(await get(reader, `k${i}`, 'index'), { status: 200, text: `v${i}` }, `ReadIndex read on ${reader.peerAddress}`);
        assert.equal(await get(reader, `k${i}`, 'lease'), { status: 200, text: `v${i}` }, `lease read on ${reader.peerAddress}`);
      }
    }
    assert.is((await get(c.nodes[0]!, 'missing')).status, 404);
    const statuses = await Promise.all(c.nodes.map((n) => n.status()));
    assert.is(new Set(statuses.map((s) => s!.leader!.address)).size, 1, 'everyone agrees on the leader');
    assert.ok(statuses.every((s) => s!.leader!.httpAddress), 'the leader HTTP address is known everywhere');
    // /metrics carries the process's own series next to the node's (an operator watches memory there).
    const metrics = (await http(`${c.nodes[0]!.url}/metrics`)).text;
    for (const series of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes']) {
      const value = metricValue(metrics, series);
      assert.ok(value > 0, `${series} is exported and positive (got ${value})`);
    }
    assert.match(metrics, /^tsraft_server_is_leader(\{[^}]*\})? [01]$/m);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test('kill -9 the leader: a new leader serves writes promptly, nothing acknowledged is lost, the killed node catches up', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    const acked = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const node = c.nodes[i % 3]!;
      await put(node, `a${i}`, `${i}`);
      acked.set(`a${i}`, `${i}`);
    }
    await leader.kill();
    const killedAt = Date.now();
    const survivors = c.nodes.filter((n) => n !== leader);
    await put(survivors[0]!, 'after-kill', 'yes', 15_000);
    const recoveryMs = Date.now() - killedAt;
    acked.set('after-kill', 'yes');
    console.log(`    new leader served a write ${recoveryMs} ms after kill -9 (election timeout ${ELECTION_TIMEOUT_MS} ms)`);
    // Generous bound (loaded 2-core CI machine); the figure above is what to look at.
    assert.ok(recoveryMs < 6 * ELECTION_TIMEOUT_MS, `a write within a few election timeouts (${recoveryMs} ms)`);
    for (const n of survivors) for (const [k, v] of acked) assert.equal(await get(n, k), { status: 200, text: v }, `${k} on ${n.peerAddress}`);
    // Restart with the same --path: it catches up.
    leader.start();
    const target = (await survivors[0]!.status())!;
    await waitFor('the restarted node to catch up', async () => {
      const s = await leader.status();
      return s && s.appliedIndex >= target.appliedIndex && s.digest === (await survivors[0]!.status())?.digest;
    });
    for (const [k, v] of acked) assert.equal(await get(leader, k, 'local'), { status: 200, text: v }, `${k} on the restarted node`);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test('kill -9 the leader under append loops sent to a follower: every append is answered 200 and applied exactly once', async () => {
  // The follower proposes again what it had forwarded to the dead leader (proposer sessions):
  // before, a few of these answered 503 "outcome unknown" (51 of 34,117 writes in five kills).
  const c = await ProcessCluster.start(3, { args: ['--leader-wait', '4s', '--request-timeout', '8s'] });
  try {
    const leader = await c.waitLeader();
    const follower = c.nodes.find((n) => n !== leader)!;
    const answers = new Map<number, number>();
    const appended: string[][] = [];
    let stop = false;
    const loops = Array.from({ length: 8 }, async (_, loop) => {
      appended[loop] = [];
      for (let i = 0; !stop; i++) {
        const r = await http(`${follower.url}/kv/log${loop}/append`, { method: 'POST', body: `|${i}` }).catch(() => undefined);
        const status = r?.status ?? 0;
        answers.set(status, (answers.get(status) ?? 0) + 1);
        if (status !== 200) break;
        appended[loop]!.push(`|${i}`);
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    await leader.kill();
    await new Promise((r) => setTimeout(r, 2500));
    stop = true;
    await Promise.all(loops);
    assert.equal([...answers.keys()], [200], `every append answered 200 (${JSON.stringify([...answers])})`);
    for (const [loop, parts] of appended.entries()) {
      assert.equal(await get(follower, `log${loop}`), { status: 200, text: parts.join('') }, `log${loop}: each append once, in order`);
    }
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test('SIGTERM stops a node cleanly (exit 0); restarted with the same --path it rejoins with all data', async () => {
  const c = await ProcessCluster.start(3);
  try {
    await c.waitLeader();
    for (let i = 0; i < 10; i++) await put(c.nodes[0]!, `t${i}`, `${i}`);
    const victim = c.nodes[1]!;
    // An answered write is on a quorum, not necessarily on the victim: wait until it holds the last
    // one, which inspect is asked to show below (a CI run stopped it one entry short).
    await waitFor('the victim to apply t9', async () => (await get(victim, 't9', 'local')).text === '9');
    const exit = new Promise<number | null>((resolve) => victim.child!.once('exit', (code) => resolve(code)));
    await victim.signal('SIGTERM');
    assert.is(await exit, 0, 'exit status 0 after SIGTERM');
    // raft-node inspect on the stopped node's data directory.
    const inspected = await runRaftNode(['inspect', victim.path]);
    assert.is(inspected.code, 0, inspected.stderr);
    for (const heading of ['WAL segments', 'Hard state', 'Entries', 'Snapshots', 'Membership at the end of the log']) assert.ok(inspected.stdout.includes(heading), heading);
    assert.match(inspected.stdout, /set key="t9" value=1 byte "9"/);
    await put(c.nodes[0]!, 'while-down', 'x');
    victim.start();
    await waitFor('the node to come back', () => victim.status());
    await waitFor('it to have everything', async () => (await get(victim, 'while-down', 'index')).text === 'x');
    for (let i = 0; i < 10; i++) assert.is((await get(victim, `t${i}`, 'local')).text, `${i}`);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test('a 4th node started with --join is promoted and serves; DELETE /members removes it', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    await put(leader, 'before-join', '1');
    const fourth = await c.joiner();
    fourth.start();
    await waitFor('the 4th node to be a voting member', async () => {
      const s = await leader.status();
      return s?.members.find((m) => m.address === fourth.peerAddress && !m.nonVoting);
    });
    // A node that has not heard from the leader yet rightly answers 503 (retry later).
    await waitFor('the 4th node to know the leader', async () => (await fourth.status())?.leader);
    assert.is((await get(fourth, 'before-join')).text, '1', 'it caught up and serves linearizable reads');
    await put(fourth, 'via-fourth', '4');
    assert.is((await get(leader, 'via-fourth')).text, '4', 'it serves writes');
    const del = await http(`${leader.url}/members/${encodeURIComponent(fourth.peerAddress)}`, { method: 'DELETE' });
    assert.is(del.status, 200, del.text);
    const s = (await leader.status())!;
    assert.is(s.members.length, 3);
    assert.not.ok(s.members.some((m) => m.address === fourth.peerAddress));
    // The leader tells the removed node: it answers 410 with the reason, and its log says so.
    const removed = await waitFor('the removed node to know it', async () => (await fourth.status())?.removedAt ?? undefined);
    assert.is(removed, s.lastIndex, 'removed by the configuration at the DELETE');
    assert.not.ok((await fourth.status())!.members.some((m) => m.address === fourth.peerAddress), 'its /status no longer lists itself');
    for (const r of [await http(`${fourth.url}/kv/before-join`), await http(`${fourth.url}/kv/before-join?consistency=local`), await http(`${fourth.url}/kv/x`, { method: 'PUT', body: 'y' })]) {
      assert.is(r.status, 410, r.text);
      assert.match(r.text, /removed from the cluster/);
    }
    assert.match(fourth.output, /removed from the cluster/);
    // The leader removing itself answers with the members that remain (QA: it listed itself).
    const self = await http(`${leader.url}/members/${encodeURIComponent(leader.peerAddress)}`, { method: 'DELETE' });
    assert.is(self.status, 200, self.text);
    const remaining = self.json<{ members: { address: string }[] }>().members.map((m) => m.address);
    assert.equal(remaining.sort(), c.nodes.filter((n) => n !== leader && n !== fourth).map((n) => n.peerAddress).sort());
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test('a member listed as h:p,true stays non-voting and never votes: one voter plus it cannot elect a leader', async () => {
  const c = await ProcessCluster.start(4, { nonVoting: [3] });
  try {
    const leader = await c.waitLeader();
    const learner = c.nodes[3]!;
    await put(learner, 'from-learner', 'ok');
    const s = (await leader.status())!;
    assert.ok(s.members.find((m) => m.address === learner.peerAddress)!.nonVoting, 'listed as non-voting');
    assert.is(s.members.filter((m) => !m.nonVoting).length, 3);
    // Kill two of the three voters: one voter and the learner remain. Had the learner a vote, they
    // would make a majority of... nothing: 2 of 3 voters are gone, so no leader may be elected.
    const voters = c.nodes.slice(0, 3);
    const remaining = voters.find((n) => n !== leader)!;
    for (const v of voters) if (v !== remaining) await v.kill();
    await new Promise((r) => setTimeout(r, 6 * ELECTION_TIMEOUT_MS));
    const [rs, ls] = [await remaining.status(), await learner.status()];
    assert.is(rs!.state === 'leader', false, 'the lone voter did not become leader');
    assert.is(ls!.state, 'follower', 'the learner never campaigns');
    assert.is(rs!.leader, null);
    const w = await http(`${learner.url}/kv/x`, { method: 'PUT', body: 'y' });
    assert.ok([503, 504].includes(w.status), `writes fail without a quorum (${w.status} ${w.text})`);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test.run();
