// An unknown JSON field or query parameter is named in the 400, but not at any length: a CAS body
// may be 12 MiB, and a field name that long came back whole in the answer (found in review of
// d5a912e / 42dfed0).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { onlyFields } from '../../src/server/body.js';
import { checkQuery } from '../../src/server/routes.js';
import { HttpError } from '../../src/server/http-errors.js';

function messageOf(f: () => void): string {
  try {
    f();
  } catch (err) {
    assert.instance(err, HttpError);
    return (err as Error).message;
  }
  throw new Error('did not throw');
}

test('a long unknown field name is cut in the message, which still names it and the known fields', () => {
  const m = messageOf(() => onlyFields({ ['a'.repeat(1_000_000)]: 1 }, ['expect', 'value']));
  assert.ok(m.length < 300, `message of ${m.length} characters`);
  assert.match(m, /^unknown field "a{64}"… \(1000000 characters\) \(the fields are "expect", "value"\)$/);
  assert.is(messageOf(() => onlyFields({ encodng: 'base64' }, ['encoding'])), 'unknown field "encodng" (the fields are "encoding")');
});

test('a long unknown query parameter is cut in the message', () => {
  const m = messageOf(() => checkQuery({ name: 'GET /status' }, new URLSearchParams(`${'q'.repeat(10_000)}=1`)));
  assert.ok(m.length < 300, `message of ${m.length} characters`);
  assert.match(m, /^unknown query parameter "q{64}"… \(10000 characters\) \(GET \/status takes none\)$/);
});

test.run();
