/**
 * Commands: the typed operations a Node replicates. A command class has a static numeric `type`
 * (> 0, unique per node) and a `do(context)` method that every node calls on its context object,
 * in log order, when the command's log entry applies.
 *
 * In the log a command is `[type id: u32 little-endian][codec payload]`, after the proposer's
 * session header (sessions.ts) in entries written since sessions came in. The payload is the
 * command's own enumerable fields encoded with the node's codec, unless the class defines
 * `static encode(command)` / `static decode(payload)` (required with the Bytes codec, whose
 * payload must be a Uint8Array).
 * @module
 */
import type { Codec } from './codec.js';
import { entrySlab } from '../wal/index.js';
import { BadTypeIdError, NotRegisteredError, UnknownCommandTypeError } from './errors.js';
import { sessionHeaderBytes, writeSessionHeader, type SessionHeader } from './sessions.js';

/** An operation on the user's context. `do` must be deterministic: every node runs it. */
export interface Command<Context = unknown, Result = unknown> {
  /** Applies the command to the context; the result resolves the proposer's `node.do()`. */
  do(context: Context): Result;
}

/** A command class as registered with `node.registerCommand`. */
export interface CommandClass<Context = unknown, Result = unknown> {
  /** The command's type id: a positive integer, unique among the node's registered commands. */
  readonly type: number;
  readonly prototype: Command<Context, Result>;
  new (...args: never[]): Command<Context, Result>;
  /** Optional: the value the codec encodes for `command` (default: its own enumerable fields). */
  encode?(command: Command<Context, Result>): unknown;
  /** Optional: rebuilds a command from the decoded value (default: fields assigned onto the prototype). */
  decode?(payload: unknown): Command<Context, Result>;
}

const TYPE_BYTES = 4;

/** Type id -> class, and the encoding of commands to and from log entry data. */
export class CommandRegistry<Context> {
  private readonly byType = new Map<number, CommandClass<Context>>();
  private readonly byClass = new Map<Function, number>();

  constructor(private codec: Codec) {}

  /** Registers a class; throws BadTypeIdError for a bad or duplicate type id. */
  register(cls: CommandClass<Context>): void {
    // Without these checks a plain object, or a class with no do(), was registered and stopped
    // every member when its first entry applied (found in a user trial).
    if (typeof cls !== 'function') throw new TypeError(`registerCommand() takes a command class, got ${cls === null ? 'null' : typeof cls}`);
    // A do() set as an instance field is there only on commands its constructor built: with a
    // static decode, which builds them so (found in review: such classes worked before the check).
    if (typeof (cls.prototype as { do?: unknown } | undefined)?.do !== 'function' && typeof cls.decode !== 'function') {
      throw new TypeError(
        `command class ${cls.name || '(anonymous)'} has no do(context) method, which every member calls to apply it ` +
          '(one set in the constructor, as a field, needs a static decode that builds the command with the constructor)',
      );
    }
    const type = (cls as { type?: unknown }).type;
    if (typeof type !== 'number' || !Number.isInteger(type) || type <= 0 || type > 0xffff_ffff) {
      const given = typeof type === 'bigint' ? `${type}n` : JSON.stringify(type) ?? String(type);
      throw new BadTypeIdError(`command class ${cls.name || '(anonymous)'} needs a static type id that is an integer from 1 to 2^32-1, got ${typeof type} ${given}`);
    }
    // An async do() would change the context after its await, at a different point of each
    // member's log: refused up front (found in review: it was refused only when it ran, after
    // its continuation was already scheduled on every member).
    const doName = (cls.prototype as { do?: { constructor?: { name?: string } } } | undefined)?.do?.constructor?.name;
    if (doName === 'AsyncFunction' || doName === 'AsyncGeneratorFunction') {
      throw new TypeError(`command class ${cls.name || '(anonymous)'} has an async do(); a command must apply synchronously (what it changes after an await would differ between members)`);
    }
    const existing = this.byType.get(type);
    if (existing && existing !== cls) {
      throw new BadTypeIdError(`type id ${type} of ${cls.name} is already used by ${existing.name}`);
    }
    this.byType.set(type, cls);
    this.byClass.set(cls, type);
  }

  setCodec(codec: Codec): void {
    this.codec = codec;
  }

  get codecName(): string {
    return this.codec.name;
  }

  /** Encodes a command of a registered class to log entry data, after its proposer's session header. */
  encode(command: Command<Context>, session?: SessionHeader): Uint8Array {
    if (command === null || typeof command !== 'object') throw new NotRegisteredError(`do() takes a command object (an instance of a registered class), got ${command === null ? 'null' : typeof command}`);
    const cls = (command as object).constructor as CommandClass<Context>;
    const type = this.byClass.get(cls);
    if (type === undefined) {
      // A literal ({ key, value }) or an Object.create(null): "call node.registerCommand(Object)"
      // was no advice at all (found in a README walkthrough).
      if (typeof cls !== 'function' || (cls as unknown) === Object) {
        throw new NotRegisteredError(`do() takes an instance of a registered command class (new SetCommand(...)), got a plain object with no class of its own`);
      }
      throw new NotRegisteredError(`command class ${cls?.name || '(unknown)'} is not registered: call node.registerCommand(${cls?.name || 'TheClass'}) on every node`);
    }
    const value = cls.encode ? cls.encode(command) : { ...command };
    // May alias the command's own bytes (encodeView): copied into the entry right below.
    const payload = this.codec.encodeView ? this.codec.encodeView(value) : this.codec.encode(value);
    // Entry data lives as long as the WAL caches it: carve it out of the entry slab.
    const before = session ? sessionHeaderBytes(session) : 0;
    const out = entrySlab.alloc(before + TYPE_BYTES + payload.byteLength);
    if (session) writeSessionHeader(out, 0, session);
    new DataView(out.buffer, out.byteOffset + before, TYPE_BYTES).setUint32(0, type, true);
    out.set(payload, before + TYPE_BYTES);
    return out;
  }

  /**
   * Decodes log entry data, from `offset` (past its session header), into a command; throws
   * BadTypeIdError for an unknown type id.
   */
  decode(data: Uint8Array, offset = 0): Command<Context> {
    if (data.byteLength - offset < TYPE_BYTES) throw new BadTypeIdError(`command data of ${data.byteLength - offset} bytes is too short for a type id`);
    const type = new DataView(data.buffer, data.byteOffset + offset, TYPE_BYTES).getUint32(0, true);
    const cls = this.byType.get(type);
    if (!cls) throw new UnknownCommandTypeError(`no command class registered for type id ${type}: register the same commands on every node`);
    const value = this.codec.decode(data.subarray(offset + TYPE_BYTES));
    if (cls.decode) return cls.decode(value);
    const command = Object.create(cls.prototype) as Command<Context>;
    if (value !== null && typeof value === 'object') Object.assign(command, value);
    return command;
  }
}
