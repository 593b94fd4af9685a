/**
 * Text PostgreSQL can store. PostgreSQL refuses a NUL character (U+0000) in `text` and in
 * `jsonb` alike, and a lone UTF-16 surrogate (a high one, U+D800–U+DBFF, not followed by a
 * low one, or a low one, U+DC00–U+DFFF, not preceded by a high one) is no Unicode character:
 * `jsonb` refuses its `\ud800` escape and UTF-8 cannot encode it. `JSON.parse` turns the
 * escapes `\u0000` and `\ud800` into exactly those, so any JSON input may hold them.
 *
 * One regular expression over UTF-16 code units (no `u` flag): linear in the string.
 */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/** Why `value` cannot be stored, or null when it can. */
export function unstorableText(value: string): string | null {
  const found = UNSTORABLE.exec(value);
  if (!found) return null;
  const char = found[0];
  return char === '\u0000'
    ? 'contains a NUL character (\\u0000), which cannot be stored'
    : `contains a lone UTF-16 surrogate (\\u${char.charCodeAt(0).toString(16)}), which is not text`;
}

/**
 * `value` with each unstorable code unit written as its `\uXXXX` escape, so that an error can
 * name a field whose key itself is at fault.
 */
export function printable(value: string): string {
  return value.replace(
    UNSTORABLE_ALL,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
