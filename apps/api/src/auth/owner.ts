import { ForbiddenError, PRIORITIES, priorityName, type PriorityName } from '@genq/core';
import type { ClientTier } from '@genq/db';

/** The client a service call acts for: it sees and changes only its own jobs and batches. */
export interface Owner {
  clientId: string;
  tier: ClientTier;
}

/** Each tier's default priority, which is also the highest it may ask for. */
export const TIER_PRIORITY: Record<ClientTier, PriorityName> = {
  premium: 'HIGH',
  standard: 'NORMAL',
  free: 'LOW',
};

/**
 * The priority a job of `owner` gets: the tier's by default; a request may lower it, never
 * raise it above the tier. `path` names the field in the error.
 */
export function resolvePriority(
  owner: Owner,
  requested: PriorityName | undefined,
  path = 'priority',
): number {
  const ceiling = PRIORITIES[TIER_PRIORITY[owner.tier]];
  if (requested === undefined) return ceiling;
  const wanted = PRIORITIES[requested];
  if (wanted < ceiling) {
    throw new ForbiddenError(`priority ${requested} is above the ${owner.tier} tier`, [
      { path, message: `at most ${priorityName(ceiling)} for the ${owner.tier} tier` },
    ]);
  }
  return wanted;
}
