import { z } from 'zod';

export const TIERS = ['premium', 'standard', 'free'] as const;

export const createClientSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ -')
      .describe('Unique client name'),
    tier: z.enum(TIERS).default('free').describe('premium → HIGH, standard → NORMAL, free → LOW'),
    max_concurrency: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .nullable()
      .optional()
      .describe("Most jobs running at once for this client; default: its tier's cap"),
  })
  .strict();

export const updateClientSchema = z
  .object({
    tier: z.enum(TIERS).optional(),
    max_concurrency: z.number().int().min(1).max(10_000).nullable().optional(),
    disabled: z.boolean().optional().describe('A disabled client cannot authenticate'),
  })
  .strict();

export const createKeySchema = z
  .object({ name: z.string().min(1).max(100).optional().describe('A label for the key') })
  .strict();

export const idParamsSchema = z.object({ id: z.string() }).strict();

export const listKeysQuerySchema = z
  .object({ client_id: z.uuid().optional().describe("Only this client's keys") })
  .strict();
