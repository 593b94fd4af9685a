import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Faker } from '@faker-js/faker';
import { deriveSeed } from './prng.ts';

/**
 * Realistic values drawn ONCE per job with faker (seeded, locale-aware), then sampled per row
 * with the fast counter-based generator. Faker per value costs ~2–15 µs; an array lookup costs
 * nanoseconds. Row-level variety comes from combining pools (first × last names, names ×
 * domains × numbers for emails, randomised digits in phones and house numbers).
 */
export const POOL_NAMES = [
  'firstNames',
  'lastNames',
  'emailNames',
  'domains',
  'freeEmailDomains',
  'phones',
  'streetAddresses',
  'cities',
  'countries',
  'companies',
  'jobTitles',
  'productNames',
  'words',
  'urlWords',
] as const;

export type PoolName = (typeof POOL_NAMES)[number];
export type Pools = { readonly [K in PoolName]?: readonly string[] };

/** Lower-case ASCII letters only: the part of a name that may go into an email or a URL. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

interface PoolRecipe {
  /** How many faker draws; duplicates are dropped, so pools can be smaller. */
  draws: number;
  draw(faker: Faker): string;
  /** Keeps or rewrites one drawn value; '' drops it. */
  clean?(value: string): string;
  /** Values used when the locale yields (almost) nothing usable, e.g. no Latin letters for emails. */
  minimum?: number;
}

const RECIPES: Record<PoolName, PoolRecipe> = {
  firstNames: { draws: 3000, draw: (f) => f.person.firstName() },
  lastNames: { draws: 3000, draw: (f) => f.person.lastName() },
  emailNames: {
    draws: 3000,
    draw: (f) => (f.datatype.boolean() ? f.person.firstName() : f.person.lastName()),
    clean: slugify,
    minimum: 50,
  },
  domains: {
    draws: 300,
    draw: (f) => f.internet.domainName(),
    clean: (d) => (/^[a-z0-9.-]+$/.test(d) ? d : ''),
    minimum: 20,
  },
  freeEmailDomains: {
    draws: 30,
    draw: (f) => f.helpers.arrayElement(f.definitions.internet.free_email),
  },
  phones: { draws: 500, draw: (f) => f.phone.number({ style: 'national' }) },
  streetAddresses: { draws: 3000, draw: (f) => f.location.streetAddress() },
  cities: { draws: 3000, draw: (f) => f.location.city() },
  countries: { draws: 2000, draw: (f) => f.location.country() },
  companies: { draws: 3000, draw: (f) => f.company.name() },
  jobTitles: { draws: 3000, draw: (f) => f.person.jobTitle() },
  productNames: { draws: 3000, draw: (f) => f.commerce.productName() },
  words: { draws: 5000, draw: (f) => f.word.sample() },
  urlWords: { draws: 3000, draw: (f) => f.word.sample(), clean: slugify, minimum: 50 },
};

/** Longest stretch of faker calls between yields: a 3,000-address pool takes ~60 ms in all. */
const SLICE_MS = 8;

async function drawPool(
  name: PoolName,
  faker: Faker,
  seed: number,
  signal: AbortSignal,
): Promise<string[]> {
  const recipe = RECIPES[name];
  // Seeded per pool by name, so a pool does not change when other fields are added. The
  // Faker instance is this job's own, so yielding between slices cannot disturb the sequence.
  faker.seed(deriveSeed(seed, 'pool', name));
  const values = new Set<string>();
  let sliceStart = performance.now();
  for (let i = 0; i < recipe.draws; i += 1) {
    const raw = recipe.draw(faker).trim();
    const value = recipe.clean ? recipe.clean(raw) : raw;
    if (value !== '') values.add(value);
    if ((i & 7) === 7 && performance.now() - sliceStart > SLICE_MS) {
      await yieldToLoop();
      signal.throwIfAborted();
      sliceStart = performance.now();
    }
  }
  return [...values];
}

export interface PoolBuildOptions {
  faker: Faker;
  /** Loads the English faker for pools the locale cannot fill (Latin-only emails and URLs). */
  fallbackFaker: () => Promise<Faker>;
  seed: number;
  signal: AbortSignal;
  onPool?: (name: PoolName, index: number, count: number) => void;
}

/** Builds the named pools, yielding to the event loop every few milliseconds. */
export async function buildPools(
  names: ReadonlySet<PoolName>,
  options: PoolBuildOptions,
): Promise<Pools> {
  const pools: { [K in PoolName]?: string[] } = {};
  const wanted = POOL_NAMES.filter((name) => names.has(name));
  for (const [index, name] of wanted.entries()) {
    options.signal.throwIfAborted();
    options.onPool?.(name, index, wanted.length);
    let values = await drawPool(name, options.faker, options.seed, options.signal);
    const minimum = RECIPES[name].minimum ?? 1;
    if (values.length < minimum) {
      values = await drawPool(name, await options.fallbackFaker(), options.seed, options.signal);
    }
    if (values.length === 0) throw new Error(`could not build the ${name} value pool`);
    pools[name] = values;
    await yieldToLoop();
  }
  return pools;
}
