import { z } from 'zod';
import { ENHANCEABLE_TYPES, FIELD_REF, isEnhanceable, refersTo } from '../enhance/targets.ts';
import { hasUnprintable, inputPoolSchema, MAX_ENHANCED_FIELDS, misfit } from '../enhance/values.ts';
import type { FieldSpec } from './fields.ts';

/** Hybrid mode's part of the input: the options and their cross-field checks. */

const fieldRef = z
  .string()
  .regex(FIELD_REF, 'name a field as "<table>.<field>" or "<field>"')
  .describe('A field: "<table>.<field>", or "<field>" for every table that has it.');

export const enhanceOptions = {
  enhance: z
    .boolean()
    .default(false)
    .describe(
      'Hybrid mode: after building the usual values, ask the configured LLM (one short request) for ' +
        'domain-specific value pools for the fields that benefit (product names, job titles, categories...) ' +
        'and sample those. If the LLM is not configured, slow or failing, the job completes with the usual ' +
        'values and metadata.json says why (enhancement.applied: false, enhancement.reason).',
    ),
  enhance_fields: z
    .array(fieldRef)
    .min(1)
    .max(MAX_ENHANCED_FIELDS)
    .optional()
    .describe(
      `With enhance: the fields to ask the LLM about (types ${ENHANCEABLE_TYPES.join(', ')}). When absent, ` +
        'fields of type product_name, job_title, company and city, and text fields whose names suggest a ' +
        'domain (category, brand, department, review...).',
    ),
  domain: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((v) => !/[\p{Cc}\p{Cf}]/u.test(v), 'must not hold control or format characters')
    .optional()
    .describe(
      'With enhance: what the data is about, e.g. "an outdoor sports shop in Norway"; inferred from the table and field names when absent.',
    ),
  value_pools: z
    .record(fieldRef, inputPoolSchema)
    .optional()
    .describe(
      'Values to sample for the named fields instead of their type’s own (each a list of strings that fit the ' +
        'field). metadata.json of an enhanced job lists the pools it used under enhancement.pools: pass them ' +
        'here with the same seed to repeat the run without asking the LLM.',
    ),
};

type Path = (string | number)[];

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: Path; message: string }): void;
}

interface RawEnhanceInput {
  tables?: { name: string; fields: FieldSpec[] }[] | undefined;
  table?: string | undefined;
  fields?: FieldSpec[] | undefined;
  enhance: boolean;
  enhance_fields?: string[] | undefined;
  domain?: string | undefined;
  value_pools?: Record<string, string[]> | undefined;
}

export function checkEnhancement(raw: RawEnhanceInput, ctx: IssueSink): void {
  const issue = (path: Path, message: string): void =>
    ctx.addIssue({ code: 'custom', path, message });
  const tables = raw.tables ?? [{ name: raw.table ?? 'data', fields: raw.fields ?? [] }];
  const matches = (ref: string) =>
    tables.flatMap((table) =>
      table.fields
        .filter((field) => refersTo(ref, table.name, field.name))
        .map((field) => ({ table: table.name, field })),
    );
  // Malformed names and values are reported by the schema itself.
  const usable = (ref: string, path: Path) => {
    if (!FIELD_REF.test(ref)) return [];
    const found = matches(ref);
    if (found.length === 0) {
      issue(path, `no field "${ref}" in this job`);
      return [];
    }
    const bad = found.find(({ field }) => !isEnhanceable(field));
    if (bad) {
      issue(
        path,
        `"${bad.table}.${bad.field.name}" has type ${bad.field.type}; value pools replace only ${ENHANCEABLE_TYPES.join(', ')}`,
      );
      return [];
    }
    return found;
  };

  if (!raw.enhance) {
    if (raw.enhance_fields !== undefined) issue(['enhance_fields'], 'needs enhance: true');
    if (raw.domain !== undefined) issue(['domain'], 'needs enhance: true');
  }
  for (const [i, ref] of (raw.enhance_fields ?? []).entries()) usable(ref, ['enhance_fields', i]);

  const pools = Object.entries(raw.value_pools ?? {});
  if (pools.length > MAX_ENHANCED_FIELDS) {
    issue(['value_pools'], `at most ${MAX_ENHANCED_FIELDS} fields may have a value pool`);
  }
  for (const [ref, values] of pools) {
    for (const { table, field } of usable(ref, ['value_pools', ref])) {
      if (!isEnhanceable(field)) continue;
      if (field.type === 'string' && field.unique) {
        issue(
          ['value_pools', ref],
          `"${table}.${field.name}" is a unique string field, which keeps its generated values`,
        );
        continue;
      }
      const index = values.findIndex(
        (value) => !hasUnprintable(value) && misfit(field, value) !== undefined,
      );
      if (index >= 0) {
        issue(
          ['value_pools', ref, index],
          `${JSON.stringify(values[index]).slice(0, 60)} ${misfit(field, values[index] as string) ?? ''} (field "${table}.${field.name}")`,
        );
      }
    }
  }
}
