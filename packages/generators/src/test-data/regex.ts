import { RE2JS } from 're2js';
import { COST_CAP, satAdd, satMul } from '../cost.ts';

/**
 * Strings that match a regular expression, for `pattern` fields. A small supported subset
 * (what test data needs: literals, escapes, classes, groups, alternation, quantifiers) parsed
 * once into a tree and walked per row with the field's own seeded randomness; no library
 * kept up to date for this exists on npm, and faker's `fromRegExp` lacks `\d`, `|` and groups.
 * Unsupported syntax (backreferences, lookaround, word boundaries, flags) is rejected with a
 * message, never silently generated wrong.
 *
 * Cost is linear and known in advance (README.md, "Patterns"):
 * - expanding walks the tree; `measurePattern` computes from the tree alone, with saturating
 *   arithmetic, the longest value and the number of tree nodes one value can visit, so a
 *   value can be refused before anything is generated (`(a{1000}){1000}` multiplies);
 * - matching (cases mode) never uses the backtracking engine: the tree is written out in RE2
 *   syntax and matched with re2js (linear in the input), which is why nested counted repeats
 *   follow RE2's rule (their counts multiplied at most 1000).
 */

export interface Draw {
  below(n: number): number;
}

type Node =
  | { kind: 'literal'; text: string }
  | { kind: 'set'; ranges: number[]; size: number }
  | { kind: 'sequence'; items: Node[] }
  | { kind: 'alternation'; options: Node[] }
  /** `max` is what generation uses; `open` (`*`, `+`, `{n,}`) matches any count above min. */
  | { kind: 'repeat'; node: Node; min: number; max: number; open: boolean; braces: boolean };

export class PatternSyntaxError extends Error {}

/** What `*`, `+` and `{n,}` may add beyond their minimum: enough variety, bounded length. */
export const OPEN_REPEAT_EXTRA = 8;
export const MAX_REPEAT = 1000;
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
  private quantifierBounds(): [number, number, boolean] | undefined {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos - 1));
    if (!match) return undefined;
    const min = Number(match[1]);
    const open = match[2] !== undefined && match[3] === '';
    const max = match[2] === undefined ? min : open ? min + OPEN_REPEAT_EXTRA : Number(match[3]);
    if (max < min) throw this.error('numbers out of order in {} quantifier');
    if (max > MAX_REPEAT || min > MAX_REPEAT) throw this.error(`repetition above ${MAX_REPEAT}`);
    this.pos += match[0].length - 1;
    return [min, max, open];
  }

  private quantified(node: Node): Node {
    let bounds: [number, number, boolean] | undefined;
    const c = this.peek();
    if (c === '*') bounds = [0, OPEN_REPEAT_EXTRA, true];
    else if (c === '+') bounds = [1, 1 + OPEN_REPEAT_EXTRA, true];
    else if (c === '?') bounds = [0, 1, false];
    const braces = bounds === undefined;
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
      (next === '{' && /^\{\d/.test(this.source.slice(this.pos, this.pos + 2)))
    ) {
      throw this.error('nothing to repeat');
    }
    return { kind: 'repeat', node, min: bounds[0], max: bounds[1], open: bounds[2], braces };
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

/** Bytes one character of `lo`–`hi` (UTF-16 code units) takes at most, as the output format writes it. */
export type CharBytes = (lo: number, hi: number) => number;

/** Plain UTF-8: 1 byte below U+0080, 2 below U+0800, else 3 (a lone surrogate becomes U+FFFD). */
export const utf8CharBytes: CharBytes = (_lo, hi) => (hi < 0x80 ? 1 : hi < 0x800 ? 2 : 3);

/** What one value of a pattern can cost at most (all saturating at COST_CAP). */
export interface PatternMeasure {
  /** Fewest and most UTF-16 code units of one value. */
  minLength: number;
  maxLength: number;
  /** Most bytes of one value's characters, as `charBytes` counts them (no quotes). */
  maxBytes: number;
  /** Most tree nodes generating one value visits: the work of one value. */
  steps: number;
}

function measureNode(
  node: Node,
  charBytes: CharBytes,
  memo: Map<Node, PatternMeasure>,
): PatternMeasure {
  const known = memo.get(node);
  if (known) return known;
  let result: PatternMeasure;
  switch (node.kind) {
    case 'literal': {
      let bytes = 0;
      for (let i = 0; i < node.text.length; i += 1) {
        const code = node.text.charCodeAt(i);
        bytes = satAdd(bytes, charBytes(code, code));
      }
      result = {
        minLength: node.text.length,
        maxLength: node.text.length,
        maxBytes: bytes,
        steps: 1,
      };
      break;
    }
    case 'set': {
      let bytes = 0;
      for (let r = 0; r < node.ranges.length; r += 2)
        bytes = Math.max(bytes, charBytes(node.ranges[r] as number, node.ranges[r + 1] as number));
      result = { minLength: 1, maxLength: 1, maxBytes: bytes, steps: 1 };
      break;
    }
    case 'sequence': {
      result = { minLength: 0, maxLength: 0, maxBytes: 0, steps: 1 };
      for (const item of node.items) {
        const m = measureNode(item, charBytes, memo);
        result.minLength = satAdd(result.minLength, m.minLength);
        result.maxLength = satAdd(result.maxLength, m.maxLength);
        result.maxBytes = satAdd(result.maxBytes, m.maxBytes);
        result.steps = satAdd(result.steps, m.steps);
      }
      break;
    }
    case 'alternation': {
      const options = node.options.map((option) => measureNode(option, charBytes, memo));
      result = {
        minLength: Math.min(...options.map((m) => m.minLength)),
        maxLength: Math.max(...options.map((m) => m.maxLength)),
        maxBytes: Math.max(...options.map((m) => m.maxBytes)),
        steps: satAdd(1, Math.max(...options.map((m) => m.steps))),
      };
      break;
    }
    case 'repeat': {
      const m = measureNode(node.node, charBytes, memo);
      result = {
        minLength: satMul(m.minLength, node.min),
        maxLength: satMul(m.maxLength, node.max),
        maxBytes: satMul(m.maxBytes, node.max),
        // The loop itself costs a step per round even when the item makes nothing.
        steps: satAdd(1, satMul(satAdd(m.steps, 1), node.max)),
      };
      break;
    }
  }
  memo.set(node, result);
  return result;
}

/**
 * RE2's rule for nested counted repeats (`{n}`, `{n,m}`, `{n,}`): 1000 divided by each count
 * on the way down must not reach 0, i.e. their product stays at most ~1000. re2js refuses
 * the others; genq refuses them at submission so cases mode can always match.
 */
function nestingFits(node: Node, budget: number): boolean {
  switch (node.kind) {
    case 'literal':
    case 'set':
      return true;
    case 'sequence':
      return node.items.every((item) => nestingFits(item, budget));
    case 'alternation':
      return node.options.every((option) => nestingFits(option, budget));
    case 'repeat': {
      let inner = budget;
      if (node.braces) {
        const count = node.open ? node.min : node.max;
        if (count > 0) inner = Math.floor(budget / count);
        if (inner === 0) return false;
      }
      return nestingFits(node.node, inner);
    }
  }
}

const hex = (code: number): string => `\\x{${code.toString(16)}}`;

/** The tree in RE2 syntax: every character escaped, so both engines read the same language. */
function toRe2(node: Node): string {
  switch (node.kind) {
    case 'literal': {
      let out = '';
      for (let i = 0; i < node.text.length; i += 1) out += hex(node.text.charCodeAt(i));
      return node.text.length === 1 ? out : `(?:${out})`;
    }
    case 'set': {
      let out = '[';
      for (let r = 0; r < node.ranges.length; r += 2) {
        const lo = node.ranges[r] as number;
        const hi = node.ranges[r + 1] as number;
        out += lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`;
      }
      return `${out}]`;
    }
    case 'sequence':
      return `(?:${node.items.map(toRe2).join('')})`;
    case 'alternation':
      return `(?:${node.options.map(toRe2).join('|')})`;
    case 'repeat': {
      const inner = `(?:${toRe2(node.node)})`;
      if (!node.braces) return inner + (node.open ? (node.min === 0 ? '*' : '+') : '?');
      if (node.open) return `${inner}{${node.min},}`;
      return node.min === node.max ? `${inner}{${node.min}}` : `${inner}{${node.min},${node.max}}`;
    }
  }
}

function extreme(node: Node, longest: boolean, memo: Map<Node, PatternMeasure>): string {
  switch (node.kind) {
    case 'literal':
      return node.text;
    case 'set':
      return pick(node, 0);
    case 'sequence':
      return node.items.map((item) => extreme(item, longest, memo)).join('');
    case 'alternation': {
      // Chosen by measured length: only the winning option is ever built.
      const length = (option: Node): number => {
        const m = measureNode(option, utf8CharBytes, memo);
        return longest ? m.maxLength : m.minLength;
      };
      const best = node.options.reduce((a, b) =>
        (longest ? length(b) > length(a) : length(b) < length(a)) ? b : a,
      );
      return extreme(best, longest, memo);
    }
    case 'repeat':
      return extreme(node.node, longest, memo).repeat(longest ? node.max : node.min);
  }
}

export interface CompiledPattern {
  source: string;
  /** One value; never longer than `measure.maxLength`. */
  generate(draw: Draw): string;
  /** Lengths and steps of one value (plain UTF-8 bytes). */
  measure: PatternMeasure;
  /** The same for the bytes an output format writes per character. */
  measureFor(charBytes: CharBytes): PatternMeasure;
  /** The shortest and longest strings this generator can make (boundary cases), built on first use. */
  readonly shortest: string;
  readonly longest: string;
  /**
   * True when `value` matches the whole pattern (open repeats unbounded): re2js, linear in
   * the value's length, compiled on first use. Never a backtracking RegExp.
   */
  matches(value: string): boolean;
}

/**
 * A pattern's measure without compiling it for use: parse, then lengths and steps from the
 * tree (linear in the pattern's length, saturating). Throws PatternSyntaxError on syntax
 * it does not support; does not apply RE2's nesting rule or a budget (`compilePattern` does).
 */
export function measurePattern(
  source: string,
  charBytes: CharBytes = utf8CharBytes,
): PatternMeasure {
  return measureNode(new Parser(source).parse(), charBytes, new Map());
}

export interface PatternBudget {
  /** Most UTF-16 code units one value may have. */
  maxLength: number;
  /** Most tree nodes one value may visit. */
  maxSteps: number;
}

/**
 * Parses a pattern; throws PatternSyntaxError with a readable message when unsupported,
 * invalid, or (with `budget`) when one value could be longer or costlier than allowed.
 * Cheap: parsing and measuring are linear in the pattern's length; nothing is expanded.
 */
export function compilePattern(source: string, budget?: PatternBudget): CompiledPattern {
  try {
    // The syntax check only: constructed, never executed (matching is re2js, below).
    void new RegExp(`^(?:${source})$`);
  } catch (error) {
    throw new PatternSyntaxError(`not a valid regular expression: ${(error as Error).message}`);
  }
  const tree = new Parser(source).parse();
  const memo = new Map<Node, PatternMeasure>();
  const measure = measureNode(tree, utf8CharBytes, memo);
  if (!nestingFits(tree, MAX_REPEAT)) {
    throw new PatternSyntaxError(
      `nested counted repeats multiply to more than ${MAX_REPEAT} (e.g. (a{100}){100}); ` +
        'write the count out, e.g. a{1000}',
    );
  }
  if (budget && measure.maxLength > budget.maxLength) {
    throw new PatternSyntaxError(
      `one value can be ${describeCount(measure.maxLength)} characters long (repeats multiply), ` +
        `above the ${budget.maxLength.toLocaleString('en-US')} allowed`,
    );
  }
  if (budget && measure.steps > budget.maxSteps) {
    throw new PatternSyntaxError(
      `one value can take ${describeCount(measure.steps)} generation steps (nested repeats multiply), ` +
        `above the ${budget.maxSteps.toLocaleString('en-US')} allowed`,
    );
  }
  let shortest: string | undefined;
  let longest: string | undefined;
  let re2: RE2JS | undefined;
  return {
    source,
    generate(draw) {
      const value = generate(tree, draw);
      // Holds by construction (measureNode mirrors generate); a cheap guard all the same.
      if (value.length > measure.maxLength) throw new Error('pattern value over its bound');
      return value;
    },
    measure,
    measureFor: (charBytes) => measureNode(tree, charBytes, new Map()),
    get shortest() {
      shortest ??= extreme(tree, false, memo);
      return shortest;
    },
    get longest() {
      longest ??= extreme(tree, true, memo);
      return longest;
    },
    matches(value) {
      re2 ??= RE2JS.compile(toRe2(tree));
      return re2.matches(value);
    },
  };
}

function describeCount(n: number): string {
  return n >= COST_CAP ? 'more than 9,007,199,254,740,991' : n.toLocaleString('en-US');
}
