import type { FieldSpec, PooledType } from '../schema/fields.ts';
import type { PoolName } from '../value-pools.ts';
import { address, email, fullName, phone, url } from './contact.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { prose } from './prose.ts';
import { randomString } from './random-string.ts';
import { fromPool } from './text-common.ts';

export type TextField = Extract<FieldSpec, { type: 'string' | 'sentence' | 'text' | PooledType }>;

/** Which pools each type samples from (only these are built). */
export const POOLS_BY_TYPE: Partial<Record<TextField['type'], PoolName[]>> = {
  name: ['firstNames', 'lastNames'],
  first_name: ['firstNames'],
  last_name: ['lastNames'],
  email: ['emailNames', 'domains', 'freeEmailDomains'],
  phone: ['phones'],
  address: ['streetAddresses'],
  city: ['cities'],
  country: ['countries'],
  company: ['companies'],
  job_title: ['jobTitles'],
  product_name: ['productNames'],
  url: ['domains', 'urlWords'],
  sentence: ['words'],
  text: ['words'],
};

const POOL_OF: Partial<Record<PooledType, PoolName>> = {
  first_name: 'firstNames',
  last_name: 'lastNames',
  city: 'cities',
  country: 'countries',
  company: 'companies',
  job_title: 'jobTitles',
  product_name: 'productNames',
};

export function textColumn(field: TextField, context: FieldContext): ValueColumn {
  switch (field.type) {
    case 'string':
      return randomString(field, context);
    case 'sentence':
      return prose(context, () => 1, field.min_words, field.max_words);
    case 'text': {
      const { min_sentences: min, max_sentences: max } = field;
      return prose(context, (random) => min + random.below(max - min + 1), 4, 12);
    }
    case 'name':
      return fullName(context);
    case 'email':
      return email(context);
    case 'phone':
      return phone(context);
    case 'address':
      return address(context);
    case 'url':
      return url(context);
    default:
      return fromPool(context, POOL_OF[field.type] as PoolName);
  }
}
