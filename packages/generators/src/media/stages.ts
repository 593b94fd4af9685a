import { performance } from 'node:perf_hooks';
import { WORKING_STAGES, type WorkingStage } from '@genq/core';
import type { GenerationContext } from '../generator.ts';
import type { ProviderStage } from './types.ts';

/** Overall progress (0–100) each stage covers. */
export const STAGE_PERCENT: Record<WorkingStage, readonly [number, number]> = {
  loading_model: [0, 5],
  encoding_prompt: [5, 10],
  generating: [10, 90],
  saving: [90, 100],
};

export interface StageTracker {
  /** Moves to `stage` (never back), `fraction` (0–1) of the way through it. */
  report(stage: WorkingStage, fraction: number, message?: string): void;
  /** For providers: the same without `saving`. */
  provider(stage: ProviderStage, fraction: number, message?: string): void;
  /** Milliseconds spent in each stage reached so far, and in all. */
  timings(): Record<string, number>;
}

/**
 * Progress for the media generators: stages only move forward and each one is reported
 * (a provider that goes from loading_model straight to generating still shows
 * encoding_prompt), fractions map into the stage's share of 0–100, and the time spent in
 * each stage is kept for metadata.json.
 */
export function trackStages(ctx: Pick<GenerationContext, 'progress'>): StageTracker {
  const started = performance.now();
  const entered = new Map<WorkingStage, number>();
  let current = -1;

  const report = (stage: WorkingStage, fraction: number, message?: string) => {
    const index = WORKING_STAGES.indexOf(stage);
    if (index < current) return;
    while (current < index) {
      current += 1;
      const passed = WORKING_STAGES[current] as WorkingStage;
      entered.set(passed, performance.now());
      if (current < index) ctx.progress(passed, STAGE_PERCENT[passed][0], message);
    }
    const [from, to] = STAGE_PERCENT[stage];
    const share = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    ctx.progress(stage, from + (to - from) * share, message);
  };

  return {
    report,
    provider: (stage, fraction, message) => report(stage, fraction, message),
    timings() {
      const now = performance.now();
      const out: Record<string, number> = {};
      const reached = WORKING_STAGES.filter((s) => entered.has(s));
      reached.forEach((stage, i) => {
        const next = reached[i + 1];
        const end = next ? (entered.get(next) as number) : now;
        out[stage] = Math.round(end - (entered.get(stage) as number));
      });
      out.total = Math.round(now - started);
      return out;
    },
  };
}
