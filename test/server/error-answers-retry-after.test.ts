// errorAnswer's Retry-After (src/server/http-errors.ts): README, 503 "... with Retry-After". A
// client (and many HTTP libraries) waits that many seconds before retrying; an election takes
// about one election timeout, so an answer of 0 would send every client straight back into the
// election it was told to wait out. Found by the mutation review of the server's entry points:
// only the header's presence was checked, Retry-After: 0 passed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorAnswer } from '../../src/server/http-errors.js';
import { NoLeaderError, NotLeaderError, NotStartedError, ProposalDroppedError, StoppedError } from '../../src/errors.js';

test('every 503 asks the client to wait a whole number of seconds, at least 1, before retrying', () => {
  const cases: Array<[string, unknown]> = [
    ['no leader known', new NoLeaderError()],
    ['not the leader', new NotLeaderError('127.0.0.1:7001')],
    ['stopping', new StoppedError()],
    ['still starting', new NotStartedError()],
    ['a dropped proposal', new ProposalDroppedError('replaced')],
  ];
  for (const [what, err] of cases) {
    const answer = errorAnswer(err);
    assert.is(answer.status, 503, what);
    const retryAfter = answer.headers['Retry-After'];
    assert.ok(retryAfter !== undefined && /^[1-9]\d*$/.test(retryAfter), `${what}: Retry-After ${JSON.stringify(retryAfter)}`);
  }
});

test.run();
