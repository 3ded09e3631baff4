// From a mutation review of src/command.ts (CommandRegistry.decode): data too short for a type id, from
// the offset given, is refused with BadTypeIdError; a type id with no class is an
// UnknownCommandTypeError (the node stops on it); a decoded command is an instance of its class
// carrying its fields, and a payload that is not an object adds no fields to it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandRegistry } from '../../src/command.js';
import { jsonCodec } from '../../src/codec.js';
import { BadTypeIdError, UnknownCommandTypeError } from '../../src/errors.js';
import { throwsWith } from '../support/throws.js';

type Ctx = { n: number };

class Add {
  static readonly type = 1;
  constructor(readonly by: number) {}
  do(ctx: Ctx): number {
    ctx.n += this.by;
    return ctx.n;
  }
}

test('data shorter than a type id is refused with BadTypeIdError (not a RangeError from reading past the end), also from an offset', () => {
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  registry.register(Add);
  for (let length = 0; length < 4; length++) {
    const err = throwsWith(() => registry.decode(new Uint8Array(length)), BadTypeIdError, /too short for a type id/);
    assert.not.instance(err, UnknownCommandTypeError, `${length} bytes`);
  }
  // Eight bytes, six of them before the offset: two left, too few.
  throwsWith(() => registry.decode(new Uint8Array(8), 6), BadTypeIdError, /of 2 bytes is too short/);
});

test('a type id no class is registered for is an UnknownCommandTypeError naming the id', () => {
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  registry.register(Add);
  const data = new Uint8Array([2, 0, 0, 0, ...new TextEncoder().encode('{}')]);
  throwsWith(() => registry.decode(data), UnknownCommandTypeError, /no command class registered for type id 2\b/);
});

test('a decoded command is an instance of its class with its fields, and runs', () => {
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  registry.register(Add);
  const decoded = registry.decode(registry.encode(new Add(4)));
  assert.instance(decoded, Add);
  assert.equal({ ...decoded }, { by: 4 });
  assert.is(decoded.do({ n: 1 }), 5);
});

test('a payload that is not an object (a custom encode giving a string) adds no fields to the decoded command', () => {
  class Named {
    static readonly type = 2;
    static encode(command: Named): unknown {
      return command.name;
    }
    constructor(readonly name: string) {}
    do(): string {
      return this.name;
    }
  }
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  registry.register(Named as never);
  const decoded = registry.decode(registry.encode(new Named('ab') as never));
  assert.instance(decoded, Named);
  assert.equal(Object.keys(decoded), [], 'no fields such as "0" and "1" copied from the string');
});

test.run();
