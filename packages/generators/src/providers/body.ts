/**
 * Turning what a provider sent back into something safe to show: short excerpts of bodies
 * without markup, control characters or credentials, and the provider's own error message
 * whichever shape it came in.
 */

export const EXCERPT_LENGTH = 200;
export const PROVIDER_MESSAGE_LENGTH = 300;

const JSON_MEDIA_TYPE = /^(?:application\/(?:[\w.+-]+\+)?json|text\/json)$/;

/** The media type of a Content-Type header, lower-cased, without parameters; '' when absent. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isJsonMediaType(type: string): boolean {
  return JSON_MEDIA_TYPE.test(type);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39);/g, (_, name: string) => ENTITIES[name] ?? ' ');
}

/**
 * Removes what must never reach a log line or an error message: the given secrets, bearer
 * tokens and key-shaped strings; control and bidirectional-override characters.
 */
export function sanitizeText(text: string, secrets: readonly string[] = []): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret.length >= 4) clean = clean.split(secret).join('[redacted]');
  }
  return (
    clean
      .replace(/\bBearer\s+[^\s"',;]+/gi, 'Bearer [redacted]')
      .replace(/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{12,}/g, '[redacted]')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A short, readable, sanitised excerpt of a body; HTML is reduced to its text. */
export function bodyExcerpt(
  body: string,
  type: string,
  secrets: readonly string[] = [],
  max = EXCERPT_LENGTH,
): string {
  const looksHtml = type.includes('html') || /^\s*<(?:!doctype|html|head|body)\b/i.test(body);
  let text = sanitizeText(looksHtml ? htmlToText(body) : body, secrets);
  // A page's title is usually repeated as its heading: "502 Bad Gateway 502 Bad Gateway nginx".
  if (looksHtml) text = text.replace(/^(.{3,80}?) \1(?= |$)/, '$1');
  return text === '' ? '(empty body)' : cap(text, max);
}

/**
 * The provider's error message from the shapes seen in the wild: `{error: {message}}`
 * (OpenAI, OpenRouter, with upstream details in `error.metadata.raw`), `{error: "..."}`,
 * `{message}`, `{detail}` (FastAPI, Cog), or a bare JSON string. Sanitised and capped.
 */
export function providerErrorMessage(
  body: unknown,
  secrets: readonly string[] = [],
): string | undefined {
  const found = findMessage(body);
  if (found === undefined) return undefined;
  const clean = sanitizeText(found, secrets);
  return clean === '' ? undefined : cap(clean, PROVIDER_MESSAGE_LENGTH);
}

function findMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (!isPlainObject(body)) return undefined;
  const { error } = body;
  if (typeof error === 'string' && error !== '') return error;
  if (isPlainObject(error)) {
    const message = typeof error.message === 'string' ? error.message : undefined;
    const metadata = isPlainObject(error.metadata) ? error.metadata : undefined;
    const raw = typeof metadata?.raw === 'string' ? metadata.raw : undefined;
    if (message && raw && !message.includes(raw)) return `${message} (${cap(raw, 150)})`;
    if (message || raw) return message ?? raw;
    if (typeof error.code === 'string') return error.code;
    if (typeof error.type === 'string') return error.type;
  }
  if (typeof body.message === 'string' && body.message !== '') return body.message;
  if (typeof body.detail === 'string' && body.detail !== '') return body.detail;
  if (Array.isArray(body.detail) && body.detail.length > 0) return JSON.stringify(body.detail);
  if (typeof body.error_description === 'string') return body.error_description;
  return undefined;
}

/** `error.code` of an in-body error (OpenRouter sends `{error: {code: 502}}` with a 200). */
export function inBodyErrorStatus(error: unknown): number | undefined {
  if (!isPlainObject(error)) return undefined;
  const code = typeof error.code === 'string' ? Number(error.code) : error.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 599
    ? code
    : undefined;
}
