import { Router } from 'express';
import { parseRequest } from '../http/parse.ts';
import {
  createClientSchema,
  createKeySchema,
  idParamsSchema,
  listKeysQuerySchema,
  updateClientSchema,
} from './admin-schemas.ts';
import type { AdminService } from './admin-service.ts';

/** `/api/v1/admin/*`: mounted behind requireAdmin. */
export function createAdminRoutes(admin: AdminService): Router {
  const router = Router();

  router.post('/clients', async (req, res) => {
    const body = parseRequest(createClientSchema, req.body, 'body');
    res.status(201).json(await admin.createClient(body));
  });

  router.get('/clients', async (_req, res) => {
    res.json({ clients: await admin.listClients() });
  });

  router.patch('/clients/:id', async (req, res) => {
    const { id } = parseRequest(idParamsSchema, req.params, 'params');
    const body = parseRequest(updateClientSchema, req.body, 'body');
    res.json(await admin.updateClient(id, body));
  });

  router.post('/clients/:id/keys', async (req, res) => {
    const { id } = parseRequest(idParamsSchema, req.params, 'params');
    const body = parseRequest(createKeySchema, req.body, 'body');
    res.status(201).json(await admin.createKey(id, body.name));
  });

  router.get('/keys', async (req, res) => {
    const { client_id } = parseRequest(listKeysQuerySchema, req.query, 'query');
    res.json({ keys: await admin.listKeys(client_id) });
  });

  router.delete('/keys/:id', async (req, res) => {
    const { id } = parseRequest(idParamsSchema, req.params, 'params');
    res.json(await admin.revokeKey(id));
  });

  return router;
}
