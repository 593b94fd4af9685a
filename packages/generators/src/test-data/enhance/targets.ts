import type { FieldOf, FieldSpec, PooledType } from '../schema/fields.ts';
import type { TableSpec } from '../schema/input.ts';
import { MAX_ENHANCED_FIELDS } from './values.ts';

/**
 * Which fields a value pool may replace, and which ones hybrid mode picks by itself.
 * A field is named `<table>.<field>`, or just `<field>` for every table that has it.
 */

export const ENHANCEABLE_TYPES = [
  'string',
  'sentence',
  'text',
  'first_name',
  'last_name',
  'city',
  'country',
  'company',
  'job_title',
  'product_name',
] as const;
export type EnhanceableType = (typeof ENHANCEABLE_TYPES)[number];
/** The pooled types share one schema object, so they are narrowed by their `type` alone. */
export type EnhanceableField =
  | FieldOf<'string' | 'sentence' | 'text'>
  | (FieldOf<PooledType> & { type: Extract<EnhanceableType, PooledType> });

/** Types picked without being named: their generic values gain most from a domain. */
const DOMAIN_TYPES: ReadonlySet<string> = new Set(['product_name', 'job_title', 'company', 'city']);

/** Words in a field name that suggest domain-specific values for a text field. */
const DOMAIN_WORDS: ReadonlySet<string> = new Set([
  'product',
  'item',
  'title',
  'job',
  'role',
  'position',
  'occupation',
  'company',
  'employer',
  'organization',
  'organisation',
  'brand',
  'vendor',
  'supplier',
  'manufacturer',
  'merchant',
  'store',
  'shop',
  'category',
  'subcategory',
  'department',
  'genre',
  'industry',
  'sector',
  'tag',
  'skill',
  'team',
  'course',
  'subject',
  'topic',
  'service',
  'plan',
  'feature',
  'city',
  'venue',
  'menu',
  'dish',
  'ingredient',
  'drug',
  'medication',
  'diagnosis',
  'symptom',
  'description',
  'review',
  'comment',
  'feedback',
  'summary',
  'headline',
  'bio',
]);

export const FIELD_REF = /^[A-Za-z_][A-Za-z0-9_]{0,62}(?:\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

export const fieldKey = (table: string, field: string): string => `${table}.${field}`;

export function isEnhanceable(field: FieldSpec): field is EnhanceableField {
  return (ENHANCEABLE_TYPES as readonly string[]).includes(field.type);
}

/** True when `ref` (`table.field` or `field`) names this field. */
export function refersTo(ref: string, table: string, field: string): boolean {
  const dot = ref.indexOf('.');
  return dot < 0 ? ref === field : ref === fieldKey(table, field);
}

/** Lower-case words of a name: `productName`, `product_name` → product, name. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_\d]+/)
    .filter((w) => w !== '')
    .map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

export function suggestsDomain(field: FieldSpec): boolean {
  if (!isEnhanceable(field)) return false;
  return DOMAIN_TYPES.has(field.type) || nameWords(field.name).some((w) => DOMAIN_WORDS.has(w));
}

export interface EnhanceTarget {
  table: string;
  field: EnhanceableField;
  /** `<table>.<field>` */
  key: string;
}

export interface SkippedField {
  table: string;
  field: string;
  reason: string;
}

/** Random strings that must be unique keep their own values: a pool could not be unique in length. */
function cannotTakePool(field: EnhanceableField): string | undefined {
  return field.type === 'string' && field.unique
    ? 'unique string fields keep their generated values'
    : undefined;
}

/**
 * The fields to ask the model about: those named in `enhanceFields`, or else those whose
 * type or name suggests a domain; fields that already have a pool in `given` are left out.
 */
export function selectTargets(
  tables: readonly TableSpec[],
  enhanceFields: readonly string[] | undefined,
  given: ReadonlySet<string>,
): { targets: EnhanceTarget[]; skipped: SkippedField[] } {
  const targets: EnhanceTarget[] = [];
  const skipped: SkippedField[] = [];
  for (const table of tables) {
    for (const field of table.fields) {
      const key = fieldKey(table.name, field.name);
      const wanted = enhanceFields
        ? enhanceFields.some((ref) => refersTo(ref, table.name, field.name))
        : suggestsDomain(field);
      if (!wanted || !isEnhanceable(field) || given.has(key)) continue;
      const refused = cannotTakePool(field);
      if (refused) skipped.push({ table: table.name, field: field.name, reason: refused });
      else if (targets.length >= MAX_ENHANCED_FIELDS) {
        skipped.push({
          table: table.name,
          field: field.name,
          reason: `at most ${MAX_ENHANCED_FIELDS} fields are enhanced per job`,
        });
      } else targets.push({ table: table.name, field, key });
    }
  }
  return { targets, skipped };
}
