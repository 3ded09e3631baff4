// From a mutation review of src/server/body.ts: optional JSON body fields take their documented
// defaults when absent; POST /members without "nonVoting" adds a voting member.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { booleanField, bytesEncodingField, parseJsonObject } from '../../src/server/body.js';

test('an absent boolean field is false; an absent encoding is utf8', () => {
  const body = parseJsonObject(Buffer.from('{"address":"h:1"}'));
  assert.is(booleanField(body, 'nonVoting'), false);
  assert.is(booleanField({ nonVoting: true }, 'nonVoting'), true);
  assert.is(booleanField({ nonVoting: false }, 'nonVoting'), false);
  assert.is(bytesEncodingField(body, 'encoding'), 'utf8');
});

test.run();
