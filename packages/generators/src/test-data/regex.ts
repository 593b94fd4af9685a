/**
 * Strings that match a regular expression, for `pattern` fields. A small supported subset
 * (what test data needs: literals, escapes, classes, groups, alternation, quantifiers) parsed
 * once into a tree and walked per row with the field's own seeded randomness; no library
 * kept up to date for this exists on npm, and faker's `fromRegExp` lacks `\d`, `|` and groups.
 * Unsupported syntax (backreferences, lookaround, word boundaries, flags) is rejected with a
 * message, never silently generated wrong.
 */

export interface Draw {
  below(n: number): number;
}

type Node =
  | { kind: 'literal'; text: string }
  | { kind: 'set'; ranges: number[]; size: number }
  | { kind: 'sequence'; items: Node[] }
  | { kind: 'alternation'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number };

export class PatternSyntaxError extends Error {}

/** What `*`, `+` and `{n,}` may add beyond their minimum: enough variety, bounded length. */
const OPEN_REPEAT_EXTRA = 8;
const MAX_REPEAT = 1000;
const PRINTABLE: [number, number] = [0x20, 0x7e];
const DIGITS = [0x30, 0x39];
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
/** Only the plain space for `\s`: it matches, and keeps values on one line. */
const SPACE = [0x20, 0x20];

function normalise(ranges: number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2)
    pairs.push([ranges[i] as number, ranges[i + 1] as number]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (out.length > 0 && lo <= (out[last] as number) + 1)
      out[last] = Math.max(out[last] as number, hi);
    else out.push(lo, hi);
  }
  return out;
}

function complement(ranges: number[]): number[] {
  const sorted = normalise(ranges);
  const out: number[] = [];
  let next = PRINTABLE[0];
  for (let i = 0; i < sorted.length; i += 2) {
    const lo = sorted[i] as number;
    const hi = sorted[i + 1] as number;
    if (lo > next) out.push(next, Math.min(lo - 1, PRINTABLE[1]));
    next = Math.max(next, hi + 1);
    if (next > PRINTABLE[1]) break;
  }
  if (next <= PRINTABLE[1]) out.push(next, PRINTABLE[1]);
  return out;
}

function makeSet(ranges: number[]): Node {
  const merged = normalise(ranges);
  let size = 0;
  for (let i = 0; i < merged.length; i += 2)
    size += (merged[i + 1] as number) - (merged[i] as number) + 1;
  if (size === 0) throw new PatternSyntaxError('character class matches nothing');
  return { kind: 'set', ranges: merged, size };
}

class Parser {
  private pos = 0;

  constructor(private readonly source: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.source.length) throw this.error(`unmatched ")"`);
    return node;
  }

  private error(message: string): PatternSyntaxError {
    return new PatternSyntaxError(`${message} at position ${this.pos}`);
  }

  private peek(): string | undefined {
    return this.source[this.pos];
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.pos += 1;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alternation', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    const start = this.pos;
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) {
      if (c === '^') {
        if (this.pos !== start) throw this.error('"^" is supported only at the start');
        this.pos += 1;
        continue;
      }
      if (c === '$') {
        this.pos += 1;
        const after = this.peek();
        if (after !== undefined && after !== '|' && after !== ')')
          throw this.error('"$" is supported only at the end');
        continue;
      }
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? (items[0] as Node) : { kind: 'sequence', items };
  }

  private atom(): Node {
    const c = this.peek() as string;
    this.pos += 1;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return this.characterClass();
      case '.':
        return makeSet([...PRINTABLE]);
      case '\\':
        return this.escape(false);
      case '*':
      case '+':
      case '?':
        throw this.error(`nothing to repeat before "${c}"`);
      case '{':
        if (this.quantifierBounds() !== undefined) throw this.error('nothing to repeat before "{"');
        return { kind: 'literal', text: c };
      default:
        return { kind: 'literal', text: c };
    }
  }

  private group(): Node {
    if (this.peek() === '?') {
      const rest = this.source.slice(this.pos, this.pos + 3);
      if (rest.startsWith('?:')) this.pos += 2;
      else if (rest.startsWith('?<') && rest !== '?<=' && rest !== '?<!') {
        const close = this.source.indexOf('>', this.pos);
        if (close < 0) throw this.error('unterminated group name');
        this.pos = close + 1;
      } else throw this.error('lookahead and lookbehind are not supported');
    }
    const inner = this.alternation();
    if (this.peek() !== ')') throw this.error('missing ")"');
    this.pos += 1;
    return inner;
  }

  /** An escape as ranges (inside a class) or a node (outside). */
  private escape(inClass: true): number[];
  private escape(inClass: false): Node;
  private escape(inClass: boolean): Node | number[] {
    const c = this.peek();
    if (c === undefined) throw this.error('pattern ends with "\\"');
    this.pos += 1;
    const set = (ranges: number[]): Node | number[] => (inClass ? ranges : makeSet(ranges));
    const char = (code: number): Node | number[] =>
      inClass ? [code, code] : { kind: 'literal', text: String.fromCharCode(code) };
    switch (c) {
      case 'd':
        return set(DIGITS);
      case 'D':
        return set(complement(DIGITS));
      case 'w':
        return set(WORD);
      case 'W':
        return set(complement(WORD));
      case 's':
        return set(SPACE);
      case 'S':
        return set(complement([0x20, 0x20]));
      case 't':
        return char(0x09);
      case 'n':
        return char(0x0a);
      case 'r':
        return char(0x0d);
      case 'f':
        return char(0x0c);
      case 'v':
        return char(0x0b);
      case 'x':
        return char(this.hex(2));
      case 'u':
        if (this.peek() === '{')
          throw this.error('"\\u{...}" needs the u flag, which is not supported');
        return char(this.hex(4));
      case 'b':
      case 'B':
        throw this.error(`"\\${c}" (word boundary) is not supported`);
      case 'c':
      case 'k':
      case 'p':
      case 'P':
        throw this.error(`"\\${c}" is not supported`);
      default:
        if (/[0-9]/.test(c)) throw this.error('backreferences and "\\0" are not supported');
        return char(c.charCodeAt(0));
    }
  }

  private hex(digits: number): number {
    const text = this.source.slice(this.pos, this.pos + digits);
    if (text.length !== digits || !/^[0-9a-fA-F]+$/.test(text)) throw this.error('bad hex escape');
    this.pos += digits;
    const code = Number.parseInt(text, 16);
    if (code === 0) throw this.error('NUL characters are not supported');
    return code;
  }

  private characterClass(): Node {
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos += 1;
    }
    const ranges: number[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw this.error('missing "]"');
      if (c === ']') {
        this.pos += 1;
        if (first && !negate) throw this.error('empty character class "[]" matches nothing');
        break;
      }
      first = false;
      const lo = this.classAtom();
      if (
        this.peek() === '-' &&
        this.source[this.pos + 1] !== ']' &&
        this.source[this.pos + 1] !== undefined
      ) {
        this.pos += 1;
        const hi = this.classAtom();
        if (lo.length !== 2 || hi.length !== 2 || lo[0] !== lo[1] || hi[0] !== hi[1]) {
          throw this.error('a range needs single characters on both sides');
        }
        if ((hi[0] as number) < (lo[0] as number))
          throw this.error('range out of order in character class');
        ranges.push(lo[0] as number, hi[0] as number);
      } else ranges.push(...lo);
    }
    return makeSet(negate ? complement(ranges) : ranges);
  }

  private classAtom(): number[] {
    const c = this.peek() as string;
    this.pos += 1;
    if (c !== '\\') return [c.charCodeAt(0), c.charCodeAt(0)];
    if (this.peek() === 'b') throw this.error('"\\b" in a class is not supported');
    return this.escape(true);
  }

  /** `{n}`, `{n,}` or `{n,m}` at the current position, consumed; undefined (nothing consumed) otherwise. */
  private quantifierBounds(): [number, number] | undefined {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos - 1));
    if (!match) return undefined;
    const min = Number(match[1]);
    const max =
      match[2] === undefined ? min : match[3] === '' ? min + OPEN_REPEAT_EXTRA : Number(match[3]);
    if (max < min) throw this.error('numbers out of order in {} quantifier');
    if (max > MAX_REPEAT) throw this.error(`repetition above ${MAX_REPEAT}`);
    this.pos += match[0].length - 1;
    return [min, max];
  }

  private quantified(node: Node): Node {
    let bounds: [number, number] | undefined;
    const c = this.peek();
    if (c === '*') bounds = [0, OPEN_REPEAT_EXTRA];
    else if (c === '+') bounds = [1, 1 + OPEN_REPEAT_EXTRA];
    else if (c === '?') bounds = [0, 1];
    if (bounds) this.pos += 1;
    else if (c === '{') {
      this.pos += 1;
      bounds = this.quantifierBounds();
      if (!bounds) {
        this.pos -= 1;
        return node;
      }
    } else return node;
    if (this.peek() === '?') this.pos += 1; // lazy: same strings
    const next = this.peek();
    if (
      next === '*' ||
      next === '+' ||
      next === '?' ||
      (next === '{' && /^\{\d/.test(this.source.slice(this.pos)))
    ) {
      throw this.error('nothing to repeat');
    }
    return { kind: 'repeat', node, min: bounds[0], max: bounds[1] };
  }
}

function pick(node: Extract<Node, { kind: 'set' }>, index: number): string {
  let i = index;
  for (let r = 0; r < node.ranges.length; r += 2) {
    const lo = node.ranges[r] as number;
    const width = (node.ranges[r + 1] as number) - lo + 1;
    if (i < width) return String.fromCharCode(lo + i);
    i -= width;
  }
  return String.fromCharCode(node.ranges[0] as number);
}

function generate(node: Node, draw: Draw): string {
  switch (node.kind) {
    case 'literal':
      return node.text;
    case 'set':
      return pick(node, draw.below(node.size));
    case 'sequence': {
      let out = '';
      for (const item of node.items) out += generate(item, draw);
      return out;
    }
    case 'alternation':
      return generate(node.options[draw.below(node.options.length)] as Node, draw);
    case 'repeat': {
      const count = node.min + draw.below(node.max - node.min + 1);
      let out = '';
      for (let i = 0; i < count; i += 1) out += generate(node.node, draw);
      return out;
    }
  }
}

function extreme(node: Node, longest: boolean): string {
  switch (node.kind) {
    case 'literal':
      return node.text;
    case 'set':
      return pick(node, 0);
    case 'sequence':
      return node.items.map((item) => extreme(item, longest)).join('');
    case 'alternation': {
      const options = node.options.map((option) => extreme(option, longest));
      return options.reduce((best, o) =>
        (longest ? o.length > best.length : o.length < best.length) ? o : best,
      );
    }
    case 'repeat':
      return extreme(node.node, longest).repeat(longest ? node.max : node.min);
  }
}

export interface CompiledPattern {
  source: string;
  generate(draw: Draw): string;
  /** The shortest and longest strings this generator can make (boundary cases). */
  shortest: string;
  longest: string;
  /** The pattern as a full-string matcher, for checking candidate invalid values. */
  matcher: RegExp;
}

/** Parses a pattern; throws PatternSyntaxError with a readable message when unsupported or invalid. */
export function compilePattern(source: string): CompiledPattern {
  let matcher: RegExp;
  try {
    matcher = new RegExp(`^(?:${source})$`);
  } catch (error) {
    throw new PatternSyntaxError(`not a valid regular expression: ${(error as Error).message}`);
  }
  const tree = new Parser(source).parse();
  return {
    source,
    generate: (draw) => generate(tree, draw),
    shortest: extreme(tree, false),
    longest: extreme(tree, true),
    matcher,
  };
}
