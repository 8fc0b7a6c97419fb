/**
 * A restricted unpickler: the pickle virtual machine for the opcodes a `torch.save` state_dict or
 * training checkpoint uses, and nothing else (docs/torch-checkpoints.md, "The pickle subset").
 *
 * A pickle is a program for a stack machine: each opcode pushes a value, builds a container from
 * the values above the last MARK, stores or fetches a value in the memo, or calls something. The
 * semantics followed here are those of the pickle protocol (protocols 2 to 4) as Python's
 * `pickletools` documents them. This machine never imports or calls anything itself: every GLOBAL
 * and every call (REDUCE), object update (BUILD) and persistent id (BINPERSID) goes to a `PickleHost`,
 * which holds the allow-list and refuses the rest. Opcodes outside the subset are refused by name.
 *
 * Nothing is allocated from a length the pickle claims before the bytes are checked to be there;
 * every opcode consumes at least one byte, so the stack, the marks and the memo stay within the
 * input's length.
 */
import { TorchFileError, UnsafePickleError } from './errors';

/** A Python float (kept apart from ints, which are numbers or bigints). */
export class PickleFloat {
  constructor(readonly value: number) {}
}

/** A Python tuple (kept apart from lists, which are JavaScript arrays). */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** The keys bnext accepts in a dict: Python's str, int, float, bool and None. */
export type PickleKey = string | number | bigint | boolean | null;

/** A Python dict or `collections.OrderedDict`, in insertion order. */
export class PickleDict {
  readonly entries = new Map<PickleKey, PickleValue>();
  /** The attributes BUILD gave an OrderedDict (a state_dict's `_metadata`), or null. */
  attributes: PickleDict | null = null;

  constructor(readonly ordered: boolean) {}
}

/**
 * An object a host creates (an allow-listed global, a storage, a tensor); the machine only moves
 * it around. `describe` names it in messages.
 */
export abstract class PickleHostObject {
  abstract describe(): string;
}

/**
 * A value on the pickle stack. Python ints are numbers when they are safe integers and bigints
 * otherwise; str is string; bytes is Uint8Array; list is an array.
 */
export type PickleValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PickleValue[] | PickleFloat | PickleTuple | PickleDict | PickleHostObject;

/** The allow-list: what GLOBAL may import and what REDUCE, BUILD and BINPERSID may do. */
export interface PickleHost {
  /** The value GLOBAL pushes for `module.name`; throws UnsafePickleError for names not allowed. */
  global(module: string, name: string): PickleValue;
  /** REDUCE: calls `callable` (a value `global` returned) with `args`. */
  call(callable: PickleValue, args: PickleTuple): PickleValue;
  /** BUILD: sets the state of `target` (e.g. an OrderedDict's attributes). */
  build(target: PickleValue, state: PickleValue): void;
  /** BINPERSID: the object a persistent id stands for (a storage). */
  persistentLoad(pid: PickleValue): PickleValue;
}

/** Opcode bytes and names (pickletools' names), for the subset this machine runs. */
const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31,
  BINFLOAT: 0x47, BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, NONE: 0x4e, BINPERSID: 0x51, REDUCE: 0x52,
  BINSTRING: 0x54, SHORT_BINSTRING: 0x55, BINUNICODE: 0x58, BINBYTES: 0x42, SHORT_BINBYTES: 0x43,
  EMPTY_LIST: 0x5d, APPEND: 0x61, BUILD: 0x62, GLOBAL: 0x63, APPENDS: 0x65, BINGET: 0x68, LONG_BINGET: 0x6a,
  BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, SETITEMS: 0x75, EMPTY_DICT: 0x7d, EMPTY_TUPLE: 0x29,
  PROTO: 0x80, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95,
} as const;

/** Names of well-known opcodes outside the subset, so a refusal names what it saw. */
const OTHER_OPCODES: Readonly<Record<number, string>> = {
  0x21: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4c: 'LONG', 0x50: 'PERSID', 0x53: 'STRING', 0x56: 'UNICODE',
  0x64: 'DICT', 0x67: 'GET', 0x69: 'INST', 0x6c: 'LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x81: 'NEWOBJ', 0x82: 'EXT1',
  0x83: 'EXT2', 0x84: 'EXT4', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

/** The highest pickle protocol this machine knows (4: FRAME, MEMOIZE, STACK_GLOBAL, ...). */
const MAX_PROTOCOL = 4;
/**
 * LONG1/LONG4 integers longer than this are refused: a checkpoint's integers (sizes, counts,
 * the legacy format's 10-byte magic number) are far shorter, and a huge one would only cost time.
 */
const MAX_LONG_BYTES = 64;

export interface UnpickleResult {
  value: PickleValue;
  /** Offset just past the STOP opcode (the legacy format puts several pickles back to back). */
  end: number;
}

function opcodeName(op: number): string {
  const known = Object.entries(OP).find(([, code]) => code === op)?.[0] ?? OTHER_OPCODES[op];
  return `${known ?? 'unknown opcode'} (0x${op.toString(16).padStart(2, '0')})`;
}

/** A Python type name for messages. */
export function pythonTypeOf(v: PickleValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (v instanceof PickleFloat) return 'float';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PickleTuple) return 'tuple';
  if (v instanceof PickleDict) return v.ordered ? 'OrderedDict' : 'dict';
  return v.describe();
}

/** A value's Python type with its article, for messages: 'an int', 'a dict', 'None'. */
export function describeValue(v: PickleValue): string {
  if (v === null) return 'None';
  const name = pythonTypeOf(v);
  return `${/^[aeiouAEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

/** A dict key as a Map key; a float key is its number, which Python hashes as the equal int. */
function keyOf(v: PickleValue): PickleKey | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (v instanceof PickleFloat) return v.value;
  return undefined;
}

/** A two's-complement little-endian integer of `bytes`, as pickle's LONG1/LONG4 store it. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return intValue(value);
}

function intValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** The state of one run of the machine over `bytes` from `start`. */
class Machine {
  private pos: number;
  private readonly view: DataView;
  private readonly stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private opStart = 0;
  private op = 0;
  /** The end of the current protocol-4 frame, or -1 outside frames. */
  private frameEnd = -1;

  constructor(
    private readonly bytes: Uint8Array, start: number, private readonly host: PickleHost, private readonly source: string,
    /** Names the pickle in messages: 'pickle', or the zip entry holding it. */
    private readonly label: string,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(problem: string): TorchFileError {
    return new TorchFileError(this.source, `${this.label}: ${problem} (opcode ${opcodeName(this.op)} at byte ${this.opStart})`);
  }

  /**
   * Checks that `n` more bytes are present, and inside the current frame (an opcode's argument
   * may not cross a frame's end), and returns the offset where they start.
   */
  private take(n: number, what: string): number {
    if (n > this.bytes.length - this.pos) {
      throw this.fail(`${what} needs ${n} bytes, only ${this.bytes.length - this.pos} remain`);
    }
    if (this.frameEnd >= 0 && this.pos + n > this.frameEnd) {
      throw this.fail(`${what} runs past the end of its frame at byte ${this.frameEnd}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.bytes[this.take(1, 'argument')];
  }

  private u16(): number {
    return this.view.getUint16(this.take(2, 'argument'), true);
  }

  private u32(): number {
    return this.view.getUint32(this.take(4, 'argument'), true);
  }

  private i32(): number {
    return this.view.getInt32(this.take(4, 'argument'), true);
  }

  /** An 8-byte length of `what`, which must not exceed the bytes remaining after it. */
  private u64(what: string): number {
    const v = this.view.getBigUint64(this.take(8, 'argument'), true);
    const remaining = this.bytes.length - this.pos;
    if (v > BigInt(remaining)) throw this.fail(`${what} needs ${v} bytes, only ${remaining} remain`);
    return Number(v);
  }

  private raw(n: number, what: string): Uint8Array {
    const at = this.take(n, what);
    return this.bytes.subarray(at, at + n);
  }

  private text(n: number, what: string): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.raw(n, what));
    } catch (e) {
      if (e instanceof TorchFileError) throw e;
      throw this.fail(`${what} is not valid UTF-8`);
    }
  }

  /** A GLOBAL argument: a line of printable text up to '\n'. */
  private line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.fail(`${what} has no terminating newline`);
    const s = this.text(end - this.pos, what);
    this.take(1, what);
    return s;
  }

  private push(v: PickleValue): void {
    this.stack.push(v);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0 || this.stack.length === this.marks[this.marks.length - 1]) throw this.fail('stack underflow');
    return this.stack.pop()!;
  }

  private top(): PickleValue {
    if (this.stack.length === 0 || this.stack.length === this.marks[this.marks.length - 1]) throw this.fail('stack underflow');
    return this.stack[this.stack.length - 1];
  }

  /** The values above the last MARK, removing them and the mark. */
  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.fail('no MARK to pop to');
    return this.stack.splice(mark);
  }

  private memoPut(index: number): void {
    // A pickler numbers memo entries from 0, one per BINPUT or MEMOIZE: never past the pickle's length.
    if (index > this.bytes.length) throw this.fail(`memo index ${index} is beyond what a ${this.bytes.length}-byte pickle can number`);
    this.memo.set(index, this.top());
  }

  private memoGet(index: number): PickleValue {
    const v = this.memo.get(index);
    if (v === undefined) throw this.fail(`memo index ${index} was never stored`);
    return v;
  }

  private dictTarget(): PickleDict {
    const target = this.top();
    if (!(target instanceof PickleDict)) throw this.fail(`expected a dict to set items in, found ${pythonTypeOf(target)}`);
    return target;
  }

  private setItems(dict: PickleDict, items: PickleValue[]): void {
    if (items.length % 2 !== 0) throw this.fail(`odd number of values (${items.length}) for key/value pairs`);
    for (let i = 0; i < items.length; i += 2) {
      const key = keyOf(items[i]);
      if (key === undefined) throw this.fail(`dict key of type ${pythonTypeOf(items[i])} is not supported (str, int, float, bool or None)`);
      dict.entries.set(key, items[i + 1]);
    }
  }

  private listTarget(): PickleValue[] {
    const target = this.top();
    if (!Array.isArray(target)) throw this.fail(`expected a list to append to, found ${pythonTypeOf(target)}`);
    return target;
  }

  private global(module: string, name: string): PickleValue {
    return this.host.global(module, name);
  }

  run(): UnpickleResult {
    for (;;) {
      this.opStart = this.pos;
      if (this.pos >= this.bytes.length) {
        this.op = 0;
        throw new TorchFileError(this.source, `${this.label}: ends at byte ${this.pos} without a STOP opcode (the file is truncated)`);
      }
      if (this.pos === this.frameEnd) this.frameEnd = -1;
      const op = this.bytes[this.pos++];
      this.op = op;
      switch (op) {
        case OP.PROTO: {
          const protocol = this.u8();
          if (protocol > MAX_PROTOCOL) throw this.fail(`pickle protocol ${protocol} is not supported (at most ${MAX_PROTOCOL})`);
          break;
        }
        // FRAME (protocol 4) announces how many bytes of whole opcodes follow.
        case OP.FRAME: {
          if (this.frameEnd >= 0 && this.pos < this.frameEnd) throw this.fail(`a new frame begins before the end of the current one at byte ${this.frameEnd}`);
          this.frameEnd = -1;
          const n = this.u64('frame');
          this.frameEnd = this.pos + n;
          break;
        }
        case OP.STOP: {
          if (this.marks.length > 0) throw this.fail(`${this.marks.length} MARK(s) left open at STOP`);
          if (this.stack.length !== 1) throw this.fail(`STOP with ${this.stack.length} values on the stack, expected 1`);
          return { value: this.stack[0], end: this.pos };
        }
        case OP.MARK: this.marks.push(this.stack.length); break;
        case OP.POP: this.pop(); break;
        case OP.POP_MARK: this.popMark(); break;
        case OP.NONE: this.push(null); break;
        case OP.NEWTRUE: this.push(true); break;
        case OP.NEWFALSE: this.push(false); break;
        case OP.BININT: this.push(this.i32()); break;
        case OP.BININT1: this.push(this.u8()); break;
        case OP.BININT2: this.push(this.u16()); break;
        case OP.LONG1: this.push(this.long(this.u8())); break;
        case OP.LONG4: {
          const n = this.i32();
          if (n < 0) throw this.fail(`negative LONG4 length ${n}`);
          this.push(this.long(n));
          break;
        }
        case OP.BINFLOAT: this.push(new PickleFloat(this.view.getFloat64(this.take(8, 'float'), false))); break;
        case OP.SHORT_BINUNICODE: this.push(this.text(this.u8(), 'string')); break;
        case OP.BINUNICODE: this.push(this.text(this.u32(), 'string')); break;
        case OP.BINUNICODE8: this.push(this.text(this.u64('string'), 'string')); break;
        // Python 2 str, as Python 3's torch.load decodes it by default (UTF-8).
        case OP.SHORT_BINSTRING: this.push(this.text(this.u8(), 'string')); break;
        case OP.BINSTRING: {
          const n = this.i32();
          if (n < 0) throw this.fail(`negative BINSTRING length ${n}`);
          this.push(this.text(n, 'string'));
          break;
        }
        case OP.SHORT_BINBYTES: this.push(this.raw(this.u8(), 'bytes')); break;
        case OP.BINBYTES: this.push(this.raw(this.u32(), 'bytes')); break;
        case OP.EMPTY_LIST: this.push([]); break;
        case OP.EMPTY_DICT: this.push(new PickleDict(false)); break;
        case OP.EMPTY_TUPLE: this.push(new PickleTuple([])); break;
        case OP.TUPLE: this.push(new PickleTuple(this.popMark())); break;
        case OP.TUPLE1: { const a = this.pop(); this.push(new PickleTuple([a])); break; }
        case OP.TUPLE2: { const b = this.pop(); const a = this.pop(); this.push(new PickleTuple([a, b])); break; }
        case OP.TUPLE3: { const c = this.pop(); const b = this.pop(); const a = this.pop(); this.push(new PickleTuple([a, b, c])); break; }
        case OP.APPEND: { const v = this.pop(); this.listTarget().push(v); break; }
        case OP.APPENDS: {
          const items = this.popMark();
          const list = this.listTarget();
          for (const item of items) list.push(item); // not push(...items): no argument-count limit
          break;
        }
        case OP.SETITEM: { const v = this.pop(); const k = this.pop(); this.setItems(this.dictTarget(), [k, v]); break; }
        case OP.SETITEMS: { const items = this.popMark(); this.setItems(this.dictTarget(), items); break; }
        case OP.BINPUT: this.memoPut(this.u8()); break;
        case OP.LONG_BINPUT: this.memoPut(this.u32()); break;
        case OP.MEMOIZE: this.memoPut(this.memo.size); break;
        case OP.BINGET: this.push(this.memoGet(this.u8())); break;
        case OP.LONG_BINGET: this.push(this.memoGet(this.u32())); break;
        case OP.GLOBAL: {
          const module = this.line('GLOBAL module');
          const name = this.line('GLOBAL name');
          this.push(this.global(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw this.fail('STACK_GLOBAL needs two strings');
          this.push(this.global(module, name));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const callable = this.pop();
          if (!(args instanceof PickleTuple)) throw this.fail(`REDUCE arguments must be a tuple, found ${pythonTypeOf(args)}`);
          this.push(this.host.call(callable, args));
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          this.host.build(this.top(), state);
          break;
        }
        case OP.BINPERSID: this.push(this.host.persistentLoad(this.pop())); break;
        default:
          throw new UnsafePickleError(
            this.source, 'opcode', opcodeName(op),
            `${this.label}: opcode ${opcodeName(op)} at byte ${this.opStart} is not one a weights-only load accepts (state_dicts and checkpoints use only the subset in docs/torch-checkpoints.md)`,
          );
      }
    }
  }

  private long(n: number): number | bigint {
    if (n > MAX_LONG_BYTES) throw this.fail(`integer of ${n} bytes; a checkpoint's integers fit in ${MAX_LONG_BYTES}`);
    return decodeLong(this.raw(n, 'integer'));
  }
}

/**
 * Runs one pickle from `start` to its STOP opcode. `source` names the file in errors and `label`
 * the pickle in it; `host` decides what GLOBAL, REDUCE, BUILD and BINPERSID may do.
 */
export function unpickle(bytes: Uint8Array, host: PickleHost, source: string, start = 0, label = 'pickle'): UnpickleResult {
  return new Machine(bytes, start, host, source, label).run();
}
