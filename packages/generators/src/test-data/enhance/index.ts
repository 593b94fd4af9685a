import { performance } from 'node:perf_hooks';
import type { GenerationContext } from '../../generator.ts';
import { createChatClient, type ChatReply, type ChatUsage } from '../../llm/chat.ts';
import type { LlmSettings } from '../../llm/settings.ts';
import { POOLS_BY_TYPE } from '../fields/index.ts';
import type { TestDataInput } from '../schema/input.ts';
import type { Pools } from '../value-pools.ts';
import { buildMessages, maxTokensFor, parseReply } from './prompt.ts';
import {
  fieldKey,
  isEnhanceable,
  refersTo,
  selectTargets,
  type EnhanceTarget,
  type SkippedField,
} from './targets.ts';

/**
 * Hybrid mode: after the foundation pools are built, one request asks the job's LLM for
 * domain-specific value pools for the fields that benefit (product names, job titles,
 * categories...). Whatever happens to that request, the job goes on: with the model's
 * pools where they are usable, with the foundation values elsewhere, and says which in
 * metadata.json.
 */

export interface EnhanceSettings {
  /** The worker's LLM settings (LLM_BASE_URL, LLM_API_KEY, LLM_DEFAULT_MODEL). */
  llm?: LlmSettings;
  /** Per attempt; default 30 s (a short call: the data does not need it to exist). */
  timeoutMs?: number;
  /** Retries after the first attempt; default 2. */
  maxRetries?: number;
}

export const ENHANCE_DEFAULTS = { timeoutMs: 30_000, maxRetries: 2 } as const;

/** Overall percent at which each phase starts when enhancement is asked for. */
export const HYBRID_PROGRESS = { foundation: 0, asking: 5, rows: 15, rowsEnd: 99 } as const;

/** Expected wait for the reply, for the slowly rising progress while waiting. */
const EXPECTED_REPLY_MS = 15_000;
const TICK_MS = 1000;
const EXAMPLES_PER_FIELD = 5;

export interface FieldPoolReport {
  table: string;
  field: string;
  source: 'llm' | 'input';
  values: number;
}

/** metadata.json's `enhancement`: what was asked, what was used, and why not when it was not. */
export interface EnhancementReport {
  requested: boolean;
  /** True when at least one field samples a pool from the model. */
  applied: boolean;
  reason?: string;
  domain?: string;
  model?: string;
  response_model?: string | null;
  attempts?: number;
  duration_ms?: number;
  usage?: ChatUsage | null;
  /** Fields sampling a pool instead of their type's values. */
  fields: FieldPoolReport[];
  /** Fields asked for or picked that kept their foundation values, with the reason. */
  skipped: SkippedField[];
  /** Every pool used, by `<table>.<field>`: pass it as `value_pools` to repeat the run. */
  pools: Record<string, string[]>;
}

export interface ResolvedPools {
  /** Pool per `<table>.<field>`, for compileTables. */
  fieldPools: Map<string, readonly string[]>;
  report: EnhancementReport | undefined;
}

const splitKey = (key: string): { table: string; field: string } => {
  const dot = key.indexOf('.');
  return { table: key.slice(0, dot), field: key.slice(dot + 1) };
};

/** `value_pools` of the input, one entry per field it names. */
function inputPools(input: TestDataInput): Map<string, readonly string[]> {
  const pools = new Map<string, readonly string[]>();
  for (const [ref, values] of Object.entries(input.value_pools ?? {})) {
    for (const table of input.tables) {
      for (const field of table.fields) {
        if (isEnhanceable(field) && refersTo(ref, table.name, field.name)) {
          pools.set(fieldKey(table.name, field.name), values);
        }
      }
    }
  }
  return pools;
}

/** A few foundation values of each target, shown to the model as what it replaces. */
function foundationExamples(
  targets: readonly EnhanceTarget[],
  pools: Pools,
): Map<string, readonly string[]> {
  const examples = new Map<string, readonly string[]>();
  for (const target of targets) {
    const names = POOLS_BY_TYPE[target.field.type];
    if (names?.length !== 1) continue;
    const pool = pools[names[0] as keyof Pools];
    if (pool) examples.set(target.key, pool.slice(0, EXAMPLES_PER_FIELD));
  }
  return examples;
}

function report(
  requested: boolean,
  given: ReadonlyMap<string, readonly string[]>,
  fromModel: ReadonlyMap<string, readonly string[]>,
  skipped: SkippedField[],
  extra: Partial<EnhancementReport>,
): EnhancementReport {
  const fields: FieldPoolReport[] = [];
  const pools: Record<string, string[]> = {};
  for (const [source, map] of [
    ['input', given],
    ['llm', fromModel],
  ] as const) {
    for (const [key, values] of map) {
      fields.push({ ...splitKey(key), source, values: values.length });
      pools[key] = [...values];
    }
  }
  return { requested, applied: fromModel.size > 0, ...extra, fields, skipped, pools };
}

/**
 * The pools the job's fields sample instead of their type's values: the input's
 * `value_pools`, plus, with `enhance: true`, the model's. Never fails for the model's sake;
 * rethrows only the job's own abort.
 */
export async function resolveFieldPools(
  input: TestDataInput,
  foundation: Pools,
  ctx: GenerationContext,
  settings: EnhanceSettings,
): Promise<ResolvedPools> {
  const given = inputPools(input);
  if (!input.enhance) {
    return {
      fieldPools: given,
      report: given.size > 0 ? report(false, given, new Map(), [], {}) : undefined,
    };
  }

  const { targets, skipped } = selectTargets(
    input.tables,
    input.enhance_fields,
    new Set(given.keys()),
  );
  const domain = input.domain === undefined ? {} : { domain: input.domain };
  const notApplied = (reason: string, extra: Partial<EnhancementReport> = {}): ResolvedPools => {
    ctx.progress(
      'encoding_prompt',
      HYBRID_PROGRESS.rows,
      `LLM enhancement not applied: ${reason}; using the foundation data`,
    );
    ctx.logger.warn('test-data enhancement not applied', { reason });
    return {
      fieldPools: given,
      report: report(true, given, new Map(), skipped, { reason, ...domain, ...extra }),
    };
  };

  ctx.progress('encoding_prompt', HYBRID_PROGRESS.asking, 'preparing the LLM request');
  if (targets.length === 0) {
    return notApplied(
      input.enhance_fields
        ? 'none of the fields in enhance_fields can take a value pool'
        : 'no field suggests domain-specific values; name them in enhance_fields',
    );
  }
  const llm = settings.llm ?? {};
  if (!llm.baseUrl) return notApplied('the LLM is not configured (LLM_BASE_URL is not set)');
  const model = llm.defaultModel;
  if (!model) return notApplied('no LLM model is configured (LLM_DEFAULT_MODEL is not set)');
  let chat: ReturnType<typeof createChatClient>;
  try {
    chat = createChatClient(llm, ctx.logger);
  } catch (error) {
    return notApplied(`LLM_BASE_URL is not a usable URL (${(error as Error).message})`);
  }

  const messages = buildMessages({
    tables: input.tables,
    targets,
    domain: input.domain,
    locale: input.locale,
    examples: foundationExamples(targets, foundation),
  });
  const names = targets.map((t) => t.key).join(', ');
  let waiting = `asking ${model} for domain value pools (${names})`;
  ctx.progress('encoding_prompt', HYBRID_PROGRESS.asking, waiting);
  const started = performance.now();
  const ticker = setInterval(() => {
    const elapsed = performance.now() - started;
    const share = 1 - Math.exp(-elapsed / EXPECTED_REPLY_MS);
    const span = HYBRID_PROGRESS.rows - 1 - HYBRID_PROGRESS.asking;
    ctx.progress(
      'encoding_prompt',
      HYBRID_PROGRESS.asking + span * share,
      `${waiting} (${Math.round(elapsed / 1000)} s)`,
    );
  }, TICK_MS);
  ticker.unref();

  let reply: ChatReply;
  try {
    reply = await chat.complete({
      model,
      messages,
      temperature: 0.7,
      max_tokens: maxTokensFor(targets),
      signal: ctx.signal,
      timeoutMs: settings.timeoutMs ?? ENHANCE_DEFAULTS.timeoutMs,
      maxRetries: settings.maxRetries ?? ENHANCE_DEFAULTS.maxRetries,
      onRetry: (info) => {
        waiting = `asking ${model} again (attempt ${info.attempt + 1} of ${info.maxAttempts}) after: ${info.message}`;
        ctx.progress('encoding_prompt', HYBRID_PROGRESS.asking, waiting);
      },
    });
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    return notApplied(`the LLM request failed: ${(error as Error).message}`, { model });
  } finally {
    clearInterval(ticker);
  }
  ctx.signal.throwIfAborted();

  const about = {
    model,
    response_model: reply.model,
    attempts: reply.attempts,
    duration_ms: reply.durationMs,
    usage: reply.usage,
  };
  if (reply.refusal !== null && reply.content.trim() === '') {
    return notApplied(`the model declined the request: ${reply.refusal.slice(0, 200)}`, about);
  }
  const parsed = parseReply(reply.content, targets);
  for (const [key, reason] of parsed.rejected) {
    skipped.push({ ...splitKey(key), reason: `the LLM reply: ${reason}` });
  }
  if (parsed.error !== undefined || parsed.pools.size === 0) {
    const cut = reply.finishReason === 'length' ? ' (the reply was cut off at max_tokens)' : '';
    return notApplied(
      `${parsed.error ?? 'the LLM reply held no usable values for the requested fields'}${cut}`,
      about,
    );
  }

  const fieldPools = new Map([...given, ...parsed.pools]);
  ctx.progress(
    'encoding_prompt',
    HYBRID_PROGRESS.rows,
    `using value pools from ${model} for ${parsed.pools.size} of ${targets.length} fields`,
  );
  return {
    fieldPools,
    report: report(true, given, parsed.pools, skipped, { ...domain, ...about }),
  };
}
