/**
 * The state machine the simulation replicates: a string key-value map with put, append, cas and
 * delete, encoded as JSON command bytes. Its snapshot is the JSON of the whole map.
 */
export type KvCommand =
  | { op: 'put'; key: string; value: string }
  | { op: 'append'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expect: string | null; value: string };

const te = new TextEncoder();
const td = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return te.encode(JSON.stringify(c));
}

export function decodeCommand(b: Uint8Array): KvCommand {
  return JSON.parse(td.decode(b)) as KvCommand;
}

export class KvMachine {
  data = new Map<string, string>();

  /** Applies a command; returns whether a cas matched (true for the others). */
  apply(c: KvCommand): boolean {
    switch (c.op) {
      case 'put':
        this.data.set(c.key, c.value);
        return true;
      case 'append':
        this.data.set(c.key, (this.data.get(c.key) ?? '') + c.value);
        return true;
      case 'delete':
        this.data.delete(c.key);
        return true;
      case 'cas': {
        const cur = this.data.get(c.key) ?? null;
        if (cur !== c.expect) return false;
        this.data.set(c.key, c.value);
        return true;
      }
    }
  }

  snapshot(): Uint8Array {
    return te.encode(JSON.stringify([...this.data.entries()].sort()));
  }

  static restore(bytes: Uint8Array): KvMachine {
    const m = new KvMachine();
    if (bytes.byteLength) m.data = new Map(JSON.parse(td.decode(bytes)) as Array<[string, string]>);
    return m;
  }

  digest(): string {
    return td.decode(this.snapshot());
  }
}
