import { z } from 'zod';
import { PRIORITIES } from '@genq/core';

export type SchedulingMode = 'fair' | 'strict';
export type Tier = 'premium' | 'standard' | 'free';
export type PerTier = Record<Tier, number>;

export const TIERS: Tier[] = ['premium', 'standard', 'free'];

/**
 * A job's lane is its priority; each lane carries the name of the tier whose default priority
 * it is: HIGH = premium, NORMAL = standard, LOW = free. A client may lower its jobs' priority
 * (and so their lane), never raise it; priority aging lifts a waiting job one lane.
 */
export const LANE_TIER: Record<number, Tier> = {
  [PRIORITIES.HIGH]: 'premium',
  [PRIORITIES.NORMAL]: 'standard',
  [PRIORITIES.LOW]: 'free',
};

export const DEFAULT_TIER_WEIGHTS: PerTier = { premium: 6, standard: 3, free: 1 };
export const DEFAULT_TIER_CONCURRENCY: PerTier = { premium: 32, standard: 8, free: 2 };

export interface SchedulingSettings {
  mode: SchedulingMode;
  /** Shares of the fleet when several lanes have work waiting. */
  weights: PerTier;
  /** Running jobs per client by tier, unless the client's max_concurrency says otherwise. */
  concurrency: PerTier;
}

export const DEFAULT_SCHEDULING: SchedulingSettings = {
  mode: 'fair',
  weights: DEFAULT_TIER_WEIGHTS,
  concurrency: DEFAULT_TIER_CONCURRENCY,
};

/** `premium:6,standard:3,free:1`; tiers left out keep their default. */
function perTier(defaults: PerTier, min: number) {
  return z
    .string()
    .default('')
    .transform((value, ctx) => {
      const out = { ...defaults };
      for (const part of value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const [tier, raw] = part.split(':').map((s) => s.trim());
        const n = Number(raw);
        if (!TIERS.includes(tier as Tier) || !Number.isInteger(n) || n < min) {
          ctx.addIssue({
            code: 'custom',
            message: `expected tier:integer≥${min} pairs (premium, standard, free), got "${part}"`,
          });
          return z.NEVER;
        }
        out[tier as Tier] = n;
      }
      return out;
    });
}

/** Environment variables of the scheduler, read by API and worker processes alike. */
export const schedulingEnvShape = {
  /** `fair` (default): weighted shares by tier and per-client caps; `strict`: HIGH always first. */
  GENQ_SCHEDULING: z.enum(['fair', 'strict']).default('fair'),
  /** Shares of the fleet per tier lane when several have work waiting (fair mode). */
  GENQ_TIER_WEIGHTS: perTier(DEFAULT_TIER_WEIGHTS, 1),
  /** Running jobs per client by tier (fair mode); a client's max_concurrency overrides it. */
  GENQ_TIER_CONCURRENCY: perTier(DEFAULT_TIER_CONCURRENCY, 1),
};

export function schedulingSettingsFrom(env: {
  GENQ_SCHEDULING: SchedulingMode;
  GENQ_TIER_WEIGHTS: PerTier;
  GENQ_TIER_CONCURRENCY: PerTier;
}): SchedulingSettings {
  return {
    mode: env.GENQ_SCHEDULING,
    weights: env.GENQ_TIER_WEIGHTS,
    concurrency: env.GENQ_TIER_CONCURRENCY,
  };
}

/** Lane weights in lane order (1, 2, 3). */
export function laneWeights(weights: PerTier): [number, number, number] {
  return [weights.premium, weights.standard, weights.free];
}
