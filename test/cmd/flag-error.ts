/** The FlagError message parseFlags throws for `args` (the test fails if it accepts them). */
import * as assert from 'uvu/assert';
import { FlagError, parseFlags } from '../../cmd/flags.js';

export function flagError(args: string[]): string {
  try {
    parseFlags(args);
  } catch (error) {
    assert.instance(error, FlagError, `${args.join(' ')}: ${String(error)}`);
    return (error as Error).message;
  }
  assert.unreachable(`${args.join(' ')} was accepted`);
  return '';
}
