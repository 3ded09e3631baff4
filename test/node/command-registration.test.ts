// From a mutation review of src/command.ts (CommandRegistry.register and encode): a type id is an
// integer from 1 to 2^32-1 (it is written as a u32, and a leading u32 of 0 marks a session
// header), each id names one class, a do() that is asynchronous in any form is refused, and
// encoding refuses what is not an instance of a registered class with NotRegisteredError.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandRegistry } from '../../src/command.js';
import { jsonCodec } from '../../src/codec.js';
import { BadTypeIdError, NotRegisteredError } from '../../src/errors.js';
import { throwsWith } from '../support/throws.js';

type Ctx = { n: number };

/** A command class of type id `type` (anything, for the refusals), adding `by` to the context. */
function commandClass(type: unknown) {
  return class Add {
    static readonly type = type as number;
    constructor(readonly by: number) {}
    do(ctx: Ctx): number {
      ctx.n += this.by;
      return ctx.n;
    }
  };
}

test('a type id outside 1..2^32-1 or not an integer is refused with BadTypeIdError: 0, -1, 1.5, 2^32, 2^32+1, NaN, Infinity', () => {
  for (const type of [0, -0, -1, 1.5, 2 ** 32 - 0.5, 2 ** 32, 2 ** 32 + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
    const registry = new CommandRegistry<Ctx>(jsonCodec);
    throwsWith(() => registry.register(commandClass(type)), BadTypeIdError, /integer from 1 to 2\^32-1/);
  }
});

test('the bounds 1 and 2^32-1 are accepted, and each decodes back as its own class', () => {
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  const One = commandClass(1);
  const Max = commandClass(2 ** 32 - 1);
  registry.register(One);
  registry.register(Max);
  const one = registry.decode(registry.encode(new One(2)));
  const max = registry.decode(registry.encode(new Max(5)));
  assert.instance(one, One);
  assert.instance(max, Max);
  const ctx = { n: 0 };
  assert.is(one.do(ctx), 2);
  assert.is(max.do(ctx), 7);
});

test('a type id used by another class is refused with BadTypeIdError, and the id keeps decoding as the first class', () => {
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  const First = commandClass(7);
  const Second = commandClass(7);
  registry.register(First);
  throwsWith(() => registry.register(Second), BadTypeIdError, /type id 7 .*already used/);
  const decoded = registry.decode(registry.encode(new First(1)));
  assert.instance(decoded, First);
  assert.not.instance(decoded, Second);
  throwsWith(() => registry.encode(new Second(1)), NotRegisteredError, /is not registered/);
});

test('registering the same class twice is allowed (idempotent)', () => {
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  const Add = commandClass(3);
  registry.register(Add);
  registry.register(Add);
  assert.instance(registry.decode(registry.encode(new Add(1))), Add);
});

test('a class whose do() is an async generator function is refused with a TypeError, as an async do() is', () => {
  class Streamed {
    static readonly type = 9;
    async *do(): AsyncGenerator<number> {
      yield 1;
    }
  }
  class Awaited {
    static readonly type = 10;
    async do(): Promise<void> {}
  }
  for (const cls of [Streamed, Awaited]) {
    const registry = new CommandRegistry<Ctx>(jsonCodec);
    throwsWith(() => registry.register(cls as never), TypeError, /async do\(\)/);
  }
});

test('encoding an instance of an unregistered class, a number or a string is refused with NotRegisteredError', () => {
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  registry.register(commandClass(1));
  const Unknown = commandClass(2);
  throwsWith(() => registry.encode(new Unknown(1)), NotRegisteredError, /command class Add is not registered/);
  for (const wrong of [5, 'set', true, undefined, null]) {
    throwsWith(() => registry.encode(wrong as never), NotRegisteredError, /takes a command object|is not registered/);
  }
});

test('a plain object (no class of its own) is refused saying do() takes an instance of a registered class, not "register Object"', () => {
  const registry = new CommandRegistry<Ctx>(jsonCodec);
  registry.register(commandClass(1));
  for (const plain of [{ do: () => 1 }, Object.assign(Object.create(null) as object, { do: () => 1 })]) {
    throwsWith(() => registry.encode(plain as never), NotRegisteredError, /: do\(\) takes an instance of a registered command class .*got a plain object/);
  }
});

test.run();
