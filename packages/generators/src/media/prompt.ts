/**
 * Reading a prompt for the procedural providers: its words, lower-cased, and which of a
 * list of keywords it mentions. The word after "no", "without" or "not" is negated
 * ("calm piano, no drums"), so a prompt can switch a feature off.
 */

export interface PromptWords {
  /** Every word, lower-cased, in order. */
  words: string[];
  /** Words the prompt asks for. */
  wanted: Set<string>;
  /** Words the prompt rules out ("no drums", "without vocals", or the negative prompt). */
  unwanted: Set<string>;
}

const NEGATIONS = new Set(['no', 'without', 'not', 'non', 'minus']);
const STOP_WORDS = new Set([
  'a',
  'an',
  'and',
  'the',
  'of',
  'in',
  'on',
  'at',
  'with',
  'by',
  'for',
  'to',
  'from',
  'into',
  'over',
  'under',
  'is',
  'are',
  'very',
  'some',
  'its',
  'it',
  'that',
  'this',
]);

/** Splits text into lower-case words of letters and digits (any script). */
export function splitWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:[-'][\p{L}\p{N}]+)*/gu) ?? []).map((w) =>
    w.replace(/'s$/, ''),
  );
}

export function readPrompt(prompt: string, negativePrompt = ''): PromptWords {
  const words = splitWords(prompt);
  const wanted = new Set<string>();
  const unwanted = new Set(splitWords(negativePrompt));
  // A negation reaches the next word, and on through "or"/"nor": "no drums or bass".
  let negating = false;
  let afterNegated = false;
  for (const word of words) {
    if (NEGATIONS.has(word)) {
      negating = true;
      continue;
    }
    if (afterNegated && (word === 'or' || word === 'nor')) {
      negating = true;
      continue;
    }
    afterNegated = false;
    if (STOP_WORDS.has(word)) continue;
    if (negating) {
      unwanted.add(word);
      negating = false;
      afterNegated = true;
      continue;
    }
    wanted.add(word);
  }
  for (const word of unwanted) wanted.delete(word);
  return { words, wanted, unwanted };
}

/** Words of `keywords` the prompt asks for (plural forms count: "stars" matches "star"). */
export function matches(prompt: PromptWords, keywords: readonly string[]): string[] {
  return keywords.filter((k) => has(prompt.wanted, k));
}

export function mentions(prompt: PromptWords, keywords: readonly string[]): boolean {
  return keywords.some((k) => has(prompt.wanted, k));
}

export function rulesOut(prompt: PromptWords, keywords: readonly string[]): boolean {
  return keywords.some((k) => has(prompt.unwanted, k));
}

/** The keyword, its plural, or an adjective made from it ("stars", "snowy", "starry", "sunny"). */
function has(set: Set<string>, keyword: string): boolean {
  const last = keyword.at(-1) ?? '';
  return (
    set.has(keyword) ||
    set.has(`${keyword}s`) ||
    set.has(`${keyword}es`) ||
    set.has(`${keyword}y`) ||
    set.has(`${keyword}${last}y`)
  );
}
