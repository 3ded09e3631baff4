// A base64 field is checked strictly (standard alphabet, padding, length a multiple of 4) and in
// linear time: the first check, a regex of 4-character groups, ran V8's regex engine out of stack
// on values past ~3.2 MiB, so a valid CAS within --max-value-bytes was answered 500 (found in an
// event-loop audit).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBytes } from '../../src/server/body.js';
import { HttpError } from '../../src/server/http-errors.js';

const MiB = 1024 * 1024;

for (const mib of [4, 59]) {
  test(`a valid base64 field of ${mib} MiB of bytes decodes (regression: a RangeError past ~3.2 MiB)`, () => {
    const bytes = Buffer.alloc(mib * MiB, 0x63);
    assert.ok(decodeBytes(bytes.toString('base64'), 'base64', 'value').equals(bytes));
  });
}

test('base64: every padding form decodes; other alphabets, bad padding and lengths are 400 naming the field', () => {
  for (const good of ['', 'AAAA', 'AB+/', 'QQ==', 'QUI=', 'QUJD', 'QUJDRA==']) {
    assert.equal(decodeBytes(good, 'base64', 'value'), Buffer.from(good, 'base64'), good);
  }
  for (const bad of ['A', 'AB', 'ABC', 'A===', '====', 'AB=C', 'QQ==QQ==', 'QUJD\n', '-_AA', 'QUJ D', 'QQ=', 'Q===']) {
    assert.throws(
      () => decodeBytes(bad, 'base64', 'expect'),
      (err: unknown) => err instanceof HttpError && err.status === 400 && /field "expect" is not valid base64/.test(err.message),
      JSON.stringify(bad),
    );
  }
});

test.run();
