import { z } from 'zod';
import { webhookRequestSchema } from '../webhooks/webhook-schema.ts';

/** Requests a batch may hold unless GENQ_MAX_BATCH_SIZE says otherwise. */
export const DEFAULT_MAX_BATCH_SIZE = 100;

/**
 * The batch envelope. Each request is checked on its own afterwards (the job request schema,
 * then the generator's input schema) so that one answer names every bad item at once.
 */
export function createBatchRequestSchema(maxBatchSize: number) {
  return z
    .object({
      requests: z
        .array(z.unknown())
        .min(1)
        .max(maxBatchSize)
        .describe('Job requests, each shaped like the body of POST /api/v1/jobs'),
      webhook: webhookRequestSchema
        .optional()
        .describe('Webhook for every job of the batch that names none of its own'),
    })
    .strict();
}

export const batchIdParamsSchema = z.object({ id: z.string().describe('Batch id') }).strict();
