import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { clientOf } from '../auth/middleware.ts';
import { parseRequest } from '../http/parse.ts';
import { idempotencyHeadersSchema } from '../jobs/job-schemas.ts';
import { batchIdParamsSchema, createBatchRequestSchema } from './batch-schemas.ts';
import type { BatchService } from './batch-service.ts';

export function createBatchRoutes(batches: BatchService, maxBatchSize: number): Router {
  const router = Router();
  const batchRequestSchema = createBatchRequestSchema(maxBatchSize);

  router.post('/jobs/batch', async (req, res) => {
    const { requests, webhook } = parseRequest(batchRequestSchema, req.body, 'body');
    const { 'idempotency-key': idempotencyKey } = parseRequest(
      idempotencyHeadersSchema,
      { 'idempotency-key': req.get('idempotency-key') },
      'headers',
    );
    const { accepted, replayed } = await batches.submit(
      clientOf(req),
      requests,
      webhook,
      idempotencyKey,
    );
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res
      .status(replayed ? 200 : 202)
      .location(accepted.links.self)
      .json(accepted);
  });

  router.get('/batches/:id', async (req, res) => {
    const { id } = parseRequest(batchIdParamsSchema, req.params, 'params');
    res.json(await batches.get(id, clientOf(req).clientId));
  });

  router.get('/batches/:id/result', async (req, res) => {
    const { id } = parseRequest(batchIdParamsSchema, req.params, 'params');
    const archive = await batches.archive(id, clientOf(req).clientId);
    res.status(200).attachment(archive.name).type('application/zip');
    try {
      await pipeline(archive.stream, res);
    } catch (error) {
      // The service logs archive failures; a client that went away needs nothing more.
      // Before any byte was sent, the error handler can still answer properly.
      if (!res.headersSent) throw error;
    }
  });

  return router;
}
