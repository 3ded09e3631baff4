// join-evidence.ts: the accepted addition a repeated join request names. Whatever a peer sends in
// that field, the leader reads an addition or nothing (then the request is an ordinary join).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeAcceptedAddition, encodeAcceptedAddition } from '../../src/join-evidence.js';

test('an accepted addition round-trips', () => {
  assert.equal(decodeAcceptedAddition(encodeAcceptedAddition({ index: 77949, term: 12 })), { index: 77949, term: 12 });
});

test('no data, or data that is not an accepted addition, is none', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  for (const data of [
    new Uint8Array(0),
    enc('not json'),
    enc('null'),
    enc('[1,2]'),
    enc('{"index":0,"term":1}'),
    enc('{"index":5,"term":-1}'),
    enc('{"index":1.5,"term":1}'),
    enc('{"index":"5","term":1}'),
    enc(`{"index":${2 ** 60},"term":1}`),
    enc(`{"index":5,"term":1,"pad":"${'x'.repeat(300)}"}`),
    new Uint8Array([0xff, 0xfe, 0x00]),
  ]) {
    assert.is(decodeAcceptedAddition(data), undefined, new TextDecoder().decode(data).slice(0, 40));
  }
});

test.run();
