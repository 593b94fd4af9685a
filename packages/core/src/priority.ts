/** BullMQ priorities: a lower number starts first. */
export const PRIORITIES = { HIGH: 1, NORMAL: 2, LOW: 3 } as const;
export type PriorityName = keyof typeof PRIORITIES;
export type PriorityValue = (typeof PRIORITIES)[PriorityName];
export const PRIORITY_NAMES = Object.keys(PRIORITIES) as PriorityName[];

export function priorityName(value: number): PriorityName {
  const found = PRIORITY_NAMES.find((name) => PRIORITIES[name] === value);
  if (!found) throw new RangeError(`unknown priority ${value}`);
  return found;
}
