// From a mutation review of src/node-options.ts: object-valued options are checked part by part,
// and a near-miss option name is refused. Dropping any one of these checks passed every other
// test, and each let Node.create accept a configuration that fails later (at start(), or in the
// metrics text) with a message that does not name the option.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeOptions } from '../../src/node-options.js';
import { TRANSPORT_METHODS as METHODS, fakeTransport as transport, refusedWith as refused, resolveWith as resolve } from './options-helpers.js';

test('tls needs each of cert, key and ca as a string or Buffer; the message names the part', () => {
  assert.ok(resolve({ tls: { cert: 'c', key: Buffer.from('k'), ca: 'a' } }).tls);
  for (const part of ['cert', 'key', 'ca'] as const) {
    const tls: Record<string, unknown> = { cert: 'c', key: 'k', ca: 'a' };
    delete tls[part];
    refused({ tls: tls as NodeOptions<object>['tls'] }, TypeError, `tls.${part}`, 'undefined');
    refused({ tls: { ...tls, [part]: 42 } as NodeOptions<object>['tls'] }, TypeError, `tls.${part}`, '42');
  }
});

test('a transport missing any one method is refused, naming transport and the missing method', () => {
  assert.is(resolve({ transport: transport() }).address, 'n1:9001');
  for (const m of METHODS) refused({ transport: transport(m) }, TypeError, 'transport', `without ${m}`);
});

test('a transport needs a non-empty address (it names the node)', () => {
  refused({ transport: transport(undefined, { value: '' }) }, TypeError, 'transport.address');
  refused({ transport: transport(undefined, { value: undefined }) }, TypeError, 'transport.address', 'undefined');
  refused({ transport: transport(undefined, { value: 9001 }) }, TypeError, 'transport.address', '9001');
});

test('metricsLabels: every value a string, and no name starting with __ (Prometheus reserves those)', () => {
  assert.equal(resolve({ metricsLabels: { node: 'a', _x: 'b' } }).metricsLabels, { node: 'a', _x: 'b' });
  refused({ metricsLabels: { node: 1 as unknown as string } }, TypeError, 'metricsLabels.node', 'got 1');
  refused({ metricsLabels: { __name__: 'x' } }, TypeError, 'metricsLabels', '"__name__"');
  refused({ metricsLabels: { __x: 'x' } }, TypeError, 'metricsLabels', '"__x"');
});

test('codec: a name is required and must not be empty (members compare it)', () => {
  const codec = (name: unknown) => ({ name, encode: () => new Uint8Array(), decode: () => null }) as unknown as NodeOptions<object>['codec'];
  assert.ok(resolve({ codec: codec('mine') }).codec);
  refused({ codec: codec('') }, TypeError, 'codec', 'must have a name', '""');
  refused({ codec: codec(undefined) }, TypeError, 'codec', 'must have a name');
});

test('a near-miss option name is refused as unknown, naming it (maxInFlight for maxInflight, ...)', () => {
  for (const typo of ['maxInFlight', 'maxEntries', 'maxBytes', 'snapshotKept', 'leaderWait', 'electionTimeout', 'datadir']) {
    refused({ [typo]: 1 }, TypeError, `unknown option ${typo}`);
  }
});

test.run();
