import { z } from 'zod';
import type { ChatMessage } from '../../llm/chat.ts';
import type { TableSpec } from '../schema/input.ts';
import type { EnhanceTarget } from './targets.ts';
import { llmPoolSchema, sanitizeValue } from './values.ts';

/** The one request hybrid mode makes, and the reading of its reply. */

const WHAT: Record<string, string> = {
  first_name: 'first names',
  last_name: 'last names',
  city: 'city names',
  country: 'country names',
  company: 'company names',
  job_title: 'job titles',
  product_name: 'product names',
};

/** Values asked per field; the reply may hold fewer or more (kept up to MAX_LLM_POOL_VALUES). */
function wanted(target: EnhanceTarget): number {
  return target.field.type === 'sentence' || target.field.type === 'text' ? 30 : 60;
}

/** Rough completion tokens per value, to bound max_tokens. */
const TOKENS_PER_VALUE = { short: 10, sentence: 30 };

export function maxTokensFor(targets: readonly EnhanceTarget[]): number {
  const tokens = targets.reduce((sum, t) => {
    const long = t.field.type === 'sentence' || t.field.type === 'text';
    return sum + wanted(t) * (long ? TOKENS_PER_VALUE.sentence : TOKENS_PER_VALUE.short);
  }, 200);
  return Math.min(16_000, Math.ceil(tokens * 1.5));
}

function describe(target: EnhanceTarget, examples: readonly string[]): string {
  const { field } = target;
  let what: string;
  switch (field.type) {
    case 'string':
      what = `values for a column named "${field.name}", each ${field.min_length}–${field.max_length} characters long`;
      break;
    case 'sentence':
      what = `sentences for a column named "${field.name}", each ${field.min_words}–${field.max_words} words`;
      break;
    case 'text':
      what = `sentences for a text column named "${field.name}" (several are joined per row), each 4–20 words`;
      break;
    default:
      what = WHAT[field.type] ?? 'values';
  }
  const line = `- "${target.key}": ${wanted(target)} ${what}`;
  return examples.length > 0
    ? `${line}, to replace generic values such as ${examples.map((e) => JSON.stringify(e)).join(', ')}`
    : line;
}

export interface PromptOptions {
  tables: readonly TableSpec[];
  targets: readonly EnhanceTarget[];
  domain: string | undefined;
  locale: string;
  /** A few foundation values per field key, to show what is being replaced. */
  examples: ReadonlyMap<string, readonly string[]>;
}

export function buildMessages(options: PromptOptions): ChatMessage[] {
  const { tables, targets, domain, locale, examples } = options;
  const schemaLines = tables.map(
    (t) => `- ${t.name}: ${t.fields.map((f) => `${f.name} (${f.type})`).join(', ')}`,
  );
  const shape = `{${targets.map((t) => `"${t.key}": ["...", "..."]`).join(', ')}}`;
  const user = [
    domain ? `Domain: ${domain}` : 'Domain: not given; infer it from the table and field names.',
    `Locale of the data: ${locale}.`,
    '',
    'Tables:',
    ...schemaLines,
    '',
    'Give realistic, domain-specific values for these fields:',
    ...targets.map((t) => describe(t, examples.get(t.key) ?? [])),
    '',
    'Rules: every value distinct and plausible for the domain; plain text on one line; no numbering, ' +
      'no Markdown, no explanations; no real private persons.',
    `Reply with this JSON object only, each key mapped to an array of strings: ${shape}`,
  ].join('\n');
  return [
    {
      role: 'system',
      content:
        'You write realistic sample values for test databases. You answer with a single JSON object ' +
        'and nothing else: no Markdown, no code fences, no comments.',
    },
    { role: 'user', content: user },
  ];
}

/** The JSON object in a reply, tolerating a code fence or a sentence around it. */
function extractObject(content: string): unknown {
  const text = content.trim();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    if (start < 0 || end <= start) return undefined;
    try {
      return JSON.parse(text.slice(start, end + 1)) as unknown;
    } catch {
      return undefined;
    }
  }
}

const replySchema = z.record(z.string(), z.unknown());

export interface ParsedReply {
  /** Usable pools by field key. */
  pools: Map<string, string[]>;
  /** Targets the reply gave nothing usable for, with the reason. */
  rejected: Map<string, string>;
  /** Set when the reply as a whole is unusable. */
  error?: string;
}

function excerpt(text: string): string {
  const clean = sanitizeValue(text);
  return clean.length > 120 ? `${clean.slice(0, 120)}…` : clean;
}

/**
 * Reads the model's reply: a JSON object mapping each field key to an array of strings. A
 * key may also be given as the bare field name when that is unambiguous.
 */
export function parseReply(content: string, targets: readonly EnhanceTarget[]): ParsedReply {
  const pools = new Map<string, string[]>();
  const rejected = new Map<string, string>();
  const object = replySchema.safeParse(extractObject(content));
  if (!object.success) {
    return {
      pools,
      rejected,
      error: `the reply was not a JSON object${content.trim() === '' ? ' (empty)' : `: ${excerpt(content)}`}`,
    };
  }
  const reply = object.data;
  const byName = new Map<string, number>();
  for (const t of targets) byName.set(t.field.name, (byName.get(t.field.name) ?? 0) + 1);
  for (const target of targets) {
    let raw = reply[target.key];
    if (raw === undefined && byName.get(target.field.name) === 1) raw = reply[target.field.name];
    if (raw === undefined) {
      rejected.set(target.key, 'missing from the reply');
      continue;
    }
    const pool = llmPoolSchema(target.field).safeParse(raw);
    if (pool.success) pools.set(target.key, pool.data);
    else {
      const issue = pool.error.issues[0];
      rejected.set(
        target.key,
        issue?.code === 'invalid_type'
          ? 'not an array of strings'
          : (issue?.message ?? 'no usable values'),
      );
    }
  }
  return { pools, rejected };
}
