import { z } from 'zod';
import { JOB_STATUSES, PRIORITY_NAMES } from '@genq/core';
import { webhookRequestSchema } from '../webhooks/webhook-schema.ts';

export const createJobRequestSchema = z
  .object({
    generator: z
      .string()
      .min(1)
      .max(64)
      .describe('Name of a generator from GET /api/v1/generators'),
    input: z.record(z.string(), z.unknown()).default({}).describe("The generator's input"),
    priority: z.enum(PRIORITY_NAMES).optional().describe('HIGH, NORMAL or LOW; defaults to NORMAL'),
    target: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/, {
        message: 'segments of letters, digits, . _ - separated by /, e.g. openai_gpt-4o/app3',
      })
      .optional()
      .describe('Jobs naming the same target never run at the same time'),
    webhook: webhookRequestSchema.optional(),
    timeout_ms: z
      .number()
      .int()
      .min(1000)
      .optional()
      .describe(
        "Wall time of one attempt, at most the generator's limit (GET /api/v1/generators); over it the attempt fails with timeout",
      ),
  })
  .strict();

export type CreateJobRequest = z.infer<typeof createJobRequestSchema>;

export const listJobsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50).describe('Jobs per page'),
    cursor: z.uuid().optional().describe('next_cursor of the previous page'),
    status: z.enum(JOB_STATUSES).optional().describe('Only jobs in this status'),
  })
  .strict();

export const jobIdParamsSchema = z.object({ id: z.string().describe('Job id') }).strict();

export const idempotencyHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .describe('A repeated POST with the same key returns the first job instead of a new one'),
});
