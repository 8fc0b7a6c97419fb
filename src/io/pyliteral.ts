/**
 * A parser for the small subset of Python literal syntax that `.npy` headers use: dicts, tuples,
 * lists, strings, integers, True/False/None. numpy writes the header with `repr` and reads it with
 * `ast.literal_eval`; this is the safe equivalent (nothing is evaluated). Tuples are kept apart
 * from lists because numpy's reader requires the shape to be a tuple.
 *
 * Nesting is limited (headers nest two levels), so no header can exhaust the call stack.
 */

/** A Python tuple; lists are arrays. */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}

  /** In messages (JSON.stringify) a tuple reads as its items. */
  toJSON(): PyValue[] {
    return this.items;
  }
}

export type PyValue = string | number | boolean | null | PyValue[] | PyTuple | { [key: string]: PyValue };

/** Deeper nesting is refused: numpy headers nest two levels (a dict holding a tuple). */
const MAX_DEPTH = 32;
/** Characters of the text shown on each side of an error's position. */
const CONTEXT = 24;

class PyLiteralParser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  parseAll(): PyValue {
    const value = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected text after the literal');
    return value;
  }

  private fail(problem: string): never {
    const from = Math.max(0, this.pos - CONTEXT);
    const to = Math.min(this.text.length, this.pos + CONTEXT);
    const excerpt = `${from > 0 ? '...' : ''}${this.text.slice(from, to)}${to < this.text.length ? '...' : ''}`;
    throw new Error(`${problem} at character ${this.pos} of ${JSON.stringify(excerpt)}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  /** Consumes `token` (after spaces) if it is next. */
  private accept(token: string): boolean {
    this.skipSpace();
    if (this.text.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  private value(): PyValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{' || c === '(' || c === '[') {
      if (this.depth >= MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
      this.depth++;
      const v = c === '{' ? this.dict() : c === '(' ? new PyTuple(this.sequence(')')) : this.sequence(']');
      this.depth--;
      return v;
    }
    if (c === "'" || c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.integer();
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail('expected a Python literal');
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    while (this.pos < this.text.length && this.text[this.pos] !== quote) {
      // \\, \' and \" stand for the character. Other escapes keep their backslash, as Python keeps
      // it for escapes it does not know (those it knows, \n and the like, are in no valid header):
      // a key mangled by a backslash stays mangled, and is refused as numpy refuses it.
      const next = this.text[this.pos + 1];
      if (this.text[this.pos] === '\\' && (next === '\\' || next === "'" || next === '"')) this.pos++;
      out += this.text[this.pos++];
    }
    if (this.pos >= this.text.length) this.fail('unterminated string');
    this.pos++;
    return out;
  }

  private integer(): number {
    const match = /^-?\d+L?/.exec(this.text.slice(this.pos)); // Python 2 headers wrote longs as 12L
    if (!match) return this.fail('expected an integer');
    this.pos += match[0].length;
    const value = Number(match[0].replace('L', ''));
    if (!Number.isSafeInteger(value)) this.fail(`integer ${match[0]} is too large`);
    return value;
  }

  /** A tuple or list, with an optional trailing comma: `()`, `(3,)`, `(2, 3)`. */
  private sequence(close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    while (!this.accept(close)) {
      items.push(this.value());
      if (!this.accept(',')) {
        if (!this.accept(close)) this.fail(`expected ',' or '${close}'`);
        break;
      }
    }
    return items;
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    // No prototype, so a key such as '__proto__' is just a key.
    const out = Object.create(null) as { [key: string]: PyValue };
    while (!this.accept('}')) {
      const key = this.value();
      if (typeof key !== 'string') this.fail('dict keys must be strings');
      if (!this.accept(':')) this.fail("expected ':'");
      out[key] = this.value();
      if (!this.accept(',')) {
        if (!this.accept('}')) this.fail("expected ',' or '}'");
        break;
      }
    }
    return out;
  }
}

/** Parses one Python literal; errors name the position in `text`. */
export function parsePyLiteral(text: string): PyValue {
  return new PyLiteralParser(text).parseAll();
}
