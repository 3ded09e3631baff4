// The public API checks what a JavaScript caller passes, with a TypeError naming the call and the
// value, instead of taking it in and failing later somewhere else (each case found in a user
// trial): a bad read consistency stopped the node, a non-string node meta made every peer drop
// its streams, a snapshot handler without recover broke every restart, a plain object registered
// as a command stopped the members when it applied, callbacks that are not functions threw at
// each leader change, join/leave arguments of the wrong shape read as "bad member address
// undefined" or joined a voter. Also: stop() before start() is kept, and a node that stopped
// itself says why.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StoppedError } from '../../src/index.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { SetCommand, kvSnapshot, oneMemberNode, withOneMember, type Kv } from '../support/node-cluster.js';
import { withTempDir } from '../support/temp-dir.js';

function throwsTypeError(fn: () => unknown, message: RegExp, what: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, TypeError, `${what}: ${(err as Error).message}`);
    assert.match((err as Error).message, message, what);
    return;
  }
  assert.unreachable(`${what} was accepted`);
}

const withDir = (body: (dir: string) => Promise<void>): Promise<void> => withTempDir('tsraft-api-', body);

async function rejectsTypeError(promise: Promise<unknown>, message: RegExp, what: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, TypeError, `${what}: ${String(err)}`);
  assert.match((err as Error).message, message, what);
}

test('confirmRead() with a consistency other than index or lease rejects with a TypeError; the node keeps serving', () =>
  withOneMember({}, async (node) => {
    let fatal: Error | undefined;
    node.onFatal((err) => (fatal = err));
    await rejectsTypeError(node.confirmRead('linearizable' as 'index'), /^confirmRead\(\): consistency must be one of 'index', 'lease', got "linearizable"$/, 'confirmRead');
    await rejectsTypeError(node.confirmRead(undefined as unknown as 'index'), /got undefined/, 'confirmRead(undefined)');
    assert.is(await node.confirmRead('index'), 'confirmed');
    await node.do(new SetCommand('after', 'yes'));
    assert.is(fatal, undefined, `the node stopped itself: ${fatal?.message}`);
    assert.ok(node.isLeader());
  }));

test('setNodeMeta() takes only a string', () =>
  withOneMember({}, async (node) => {
    throwsTypeError(() => node.setNodeMeta(8080 as unknown as string), /^setNodeMeta\(\): meta must be a string, got 8080$/, 'a number');
    node.setNodeMeta('');
    node.setNodeMeta('http://127.0.0.1:8080');
    assert.is(node.getNodeMeta(node.address), 'http://127.0.0.1:8080');
  }));

test('setSnapshot() needs save and recover functions, and capture, when given, a function', () =>
  withOneMember({}, async (node) => {
    const { save, recover } = kvSnapshot(node.context);
    throwsTypeError(() => node.setSnapshot({} as never), /^setSnapshot\(\): the handler must be an object with save, recover methods, got an object without save, recover$/, 'an empty object');
    throwsTypeError(() => node.setSnapshot({ save } as never), /without recover$/, 'no recover');
    throwsTypeError(() => node.setSnapshot(null as never), /got null$/, 'null');
    throwsTypeError(() => node.setSnapshot({ save, recover, capture: 'yes' } as never), /^setSnapshot\(\): capture must be a function, got "yes"$/, 'a capture that is not a function');
    node.setSnapshot({ save, recover });
    assert.ok((await node.snapshot()) > 0, 'a well-formed handler snapshots');
  }));

test('leaderChange() and onFatal() take functions', () =>
  withOneMember({}, async (node) => {
    throwsTypeError(() => node.leaderChange('x' as never), /^leaderChange\(\): the callback must be a function, got "x"$/, 'leaderChange');
    throwsTypeError(() => node.onFatal(undefined as never), /^onFatal\(\): the callback must be a function, got undefined$/, 'onFatal');
  }));

test('registerCommand() takes a class with a do() method', () =>
  withDir(async (dir) => {
    const node = await oneMemberNode(new MemoryNetwork(), '127.0.0.1:7301', dir);
    throwsTypeError(() => node.registerCommand({ type: 12, do() {} } as never), /^registerCommand\(\) takes a command class, got object$/, 'a plain object');
    class NoDo {
      static readonly type = 13;
    }
    throwsTypeError(() => node.registerCommand(NoDo as never), /^command class NoDo has no do\(context\) method/, 'a class without do()');
    // A do() field is set by the constructor: accepted with a static decode that calls it.
    class FieldDo {
      static readonly type = 14;
      constructor(readonly key: string) {}
      do = (kv: Kv): void => void kv.data.set(this.key, 'field');
      static encode(c: FieldDo): unknown {
        return c.key;
      }
      static decode(payload: unknown): FieldDo {
        return new FieldDo(payload as string);
      }
    }
    node.registerCommand(FieldDo as never);
    await node.start();
    await node.do(new FieldDo('f') as never);
    assert.is(node.context.data.get('f'), 'field');
    await node.stop();
  }));

test('join(), leave() and transferLeadership() name an argument of the wrong shape', () =>
  withOneMember({}, async (node) => {
    await rejectsTypeError(node.join('127.0.0.1:7302' as never), /^join\(\) takes \{ address, nonVoting\? \}, got string \(write join\(\{ address: "127\.0\.0\.1:7302" \}\)\)$/, 'a string');
    await rejectsTypeError(node.join({ address: '127.0.0.1:7302', nonVoting: 'yes' as never }), /^join\(\): nonVoting must be true or false, got "yes"$/, 'nonVoting "yes"');
    await rejectsTypeError(node.join({} as never), /^join\(\): address must be a string, got undefined$/, 'no address');
    await rejectsTypeError(node.leave(undefined as never), /^leave\(\): address must be a string, got undefined$/, 'leave(undefined)');
    await rejectsTypeError(node.transferLeadership(7 as never), /^transferLeadership\(\): address must be a string, got 7$/, 'transferLeadership(7)');
    assert.equal(node.members().length, 1, 'nothing was changed');
  }));

test('stop() before start() is kept: start() afterwards is refused, and the directory stays free', () =>
  withDir(async (dir) => {
    const node = await oneMemberNode(new MemoryNetwork(), '127.0.0.1:7303', dir);
    await node.stop();
    const err = await node.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.ok(err, 'start() after stop() was accepted: the node ran after it was asked to stop');
    assert.match(err!.message, /^start\(\) after stop\(\): a Node runs once/);
    const locked = await access(join(dir, 'LOCK')).then(
      () => true,
      () => false,
    );
    assert.not.ok(locked, 'the directory was locked');
    await node.stop();
  }));

test('a stop asked while a start runs that then fails is kept too: a retried start() is refused', () =>
  withDir(async (dir) => {
    const holder = await oneMemberNode(new MemoryNetwork(), '127.0.0.1:7401', dir);
    await holder.start(); // holds the directory: the other's start fails
    const node = await oneMemberNode(new MemoryNetwork(), '127.0.0.1:7401', dir);
    const starting = node.start();
    const stopping = node.stop(); // a signal at start-up
    assert.ok(await starting.then(() => false, () => true), 'the start failed');
    await stopping;
    await holder.stop();
    const retried = await node.start().then(
      () => 'started',
      (e: Error) => e.message,
    );
    await node.stop();
    assert.match(retried, /^start\(\) after stop\(\): a Node runs once/);
  }));

test('lifecycle: new, starting, running, stopped; a failed start is new again; a stop before start is stopped', () =>
  withDir(async (dir) => {
    const node = await oneMemberNode(new MemoryNetwork(), '127.0.0.1:7402', dir);
    assert.is(node.lifecycle, 'new');
    const starting = node.start();
    assert.is(node.lifecycle, 'starting');
    await starting;
    assert.is(node.lifecycle, 'running');
    const stopping = node.stop();
    assert.is(node.lifecycle, 'stopped', 'stopping counts as stopped');
    await stopping;
    assert.is(node.lifecycle, 'stopped');
    const holder = await oneMemberNode(new MemoryNetwork(), '127.0.0.1:7402', dir);
    await holder.start();
    const failing = await oneMemberNode(new MemoryNetwork(), '127.0.0.1:7402', dir);
    await failing.start().catch(() => undefined);
    assert.is(failing.lifecycle, 'new', 'a failed start may be called again');
    await holder.stop();
    const unstarted = await oneMemberNode(new MemoryNetwork(), '127.0.0.1:7402', dir);
    await unstarted.stop();
    assert.is(unstarted.lifecycle, 'stopped');
  }));

test('a node that stopped itself says why when asked to do more', () =>
  withOneMember({}, async (node) => {
    const fatal = new Error('the disk went away');
    (node as unknown as { failStorage: (err: Error) => void }).failStorage(fatal);
    const err = await node.do(new SetCommand('k', 'v')).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.instance(err, StoppedError);
    assert.is(err!.message, 'the node stopped on a fatal error: the disk went away');
    assert.is((err as Error & { cause?: unknown }).cause, fatal);
  }));

test.run();
