import type { z } from 'zod';
import { ValidationError } from '@genq/core';
import { zodDetails } from './error-handler.ts';

/** Parses a request part with its zod schema; failures name the field at fault. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params' | 'headers',
): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const prefix = where === 'body' ? [] : [where];
  throw new ValidationError(`invalid request ${where}`, zodDetails(parsed.error, prefix));
}
