import { Router } from 'express';
import { EMPTY_ZIP } from '@genq/core';
import { clientOf } from '../auth/middleware.ts';
import { parseRequest } from '../http/parse.ts';
import {
  createJobRequestSchema,
  idempotencyHeadersSchema,
  jobIdParamsSchema,
  listJobsQuerySchema,
} from './job-schemas.ts';
import type { JobService } from './job-service.ts';

/** Job routes; mounted behind requireClient, so every call acts for the caller's client. */
export function createJobRoutes(jobs: JobService): Router {
  const router = Router();

  router.post('/jobs', async (req, res) => {
    const { clientId, tier } = clientOf(req);
    const body = parseRequest(createJobRequestSchema, req.body, 'body');
    const { 'idempotency-key': idempotencyKey } = parseRequest(
      idempotencyHeadersSchema,
      { 'idempotency-key': req.get('idempotency-key') },
      'headers',
    );
    const { job, replayed } = await jobs.submit({ clientId, tier }, body, idempotencyKey);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res
      .status(replayed ? 200 : 202)
      .location(job.links.self)
      .json(job);
  });

  router.get('/jobs', async (req, res) => {
    const query = parseRequest(listJobsQuerySchema, req.query, 'query');
    res.json(await jobs.list(clientOf(req).clientId, query));
  });

  router.get('/jobs/:id', async (req, res) => {
    const { id } = parseRequest(jobIdParamsSchema, req.params, 'params');
    res.json(await jobs.get(id, clientOf(req).clientId));
  });

  router.delete('/jobs/:id', async (req, res) => {
    const { id } = parseRequest(jobIdParamsSchema, req.params, 'params');
    const { httpStatus, job } = await jobs.cancel(id, clientOf(req).clientId);
    res.status(httpStatus).json(job);
  });

  router.get('/jobs/:id/result', async (req, res, next) => {
    const { id } = parseRequest(jobIdParamsSchema, req.params, 'params');
    const { file, name } = await jobs.resultFile(id, clientOf(req).clientId);
    if (file === null) {
      res.attachment(name).type('application/zip').send(EMPTY_ZIP);
      return;
    }
    res.download(file, name, { headers: { 'Content-Type': 'application/zip' } }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });

  return router;
}
