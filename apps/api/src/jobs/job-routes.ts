import { Router } from 'express';
import { parseRequest } from '../http/parse.ts';
import {
  createJobRequestSchema,
  idempotencyHeadersSchema,
  jobIdParamsSchema,
  listJobsQuerySchema,
} from './job-schemas.ts';
import type { JobService } from './job-service.ts';

export function createJobRoutes(jobs: JobService): Router {
  const router = Router();

  router.post('/jobs', async (req, res) => {
    const body = parseRequest(createJobRequestSchema, req.body, 'body');
    const { 'idempotency-key': idempotencyKey } = parseRequest(
      idempotencyHeadersSchema,
      { 'idempotency-key': req.get('idempotency-key') },
      'headers',
    );
    const { job, replayed } = await jobs.submit(body, idempotencyKey);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res
      .status(replayed ? 200 : 202)
      .location(job.links.self)
      .json(job);
  });

  router.get('/jobs', async (req, res) => {
    const query = parseRequest(listJobsQuerySchema, req.query, 'query');
    res.json(await jobs.list(query));
  });

  router.get('/jobs/:id', async (req, res) => {
    const { id } = parseRequest(jobIdParamsSchema, req.params, 'params');
    res.json(await jobs.get(id));
  });

  router.delete('/jobs/:id', async (req, res) => {
    const { id } = parseRequest(jobIdParamsSchema, req.params, 'params');
    const { httpStatus, job } = await jobs.cancel(id);
    res.status(httpStatus).json(job);
  });

  router.get('/jobs/:id/result', async (req, res, next) => {
    const { id } = parseRequest(jobIdParamsSchema, req.params, 'params');
    const { file, name } = await jobs.resultFile(id);
    res.download(file, name, { headers: { 'Content-Type': 'application/zip' } }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });

  return router;
}
