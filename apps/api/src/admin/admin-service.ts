import type { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { ConflictError, NotFoundError } from '@genq/core';
import type { ApiKeyRecord, ClientRecord, ClientsRepository, ClientTier } from '@genq/db';
import { publishAuthEvent, type RedisKeys } from '@genq/queue';
import { generateApiKey, generateWebhookSecret } from '../auth/api-keys.ts';
import type { Authenticator } from '../auth/authenticator.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AdminServiceDeps {
  clients: ClientsRepository;
  auth: Authenticator;
  redis: Redis;
  keys: RedisKeys;
}

export function clientView(client: ClientRecord) {
  return {
    id: client.id,
    name: client.name,
    tier: client.tier,
    max_concurrency: client.maxConcurrency,
    disabled: client.disabledAt !== null,
    created_at: client.createdAt.toISOString(),
  };
}

export function keyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    client_id: key.clientId,
    name: key.name,
    prefix: key.prefix,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}

/** Clients and keys, managed with the admin key. Secrets are returned once, at creation. */
export function createAdminService(deps: AdminServiceDeps) {
  async function loadClient(id: string): Promise<ClientRecord> {
    const client = UUID.test(id) ? await deps.clients.findClient(id) : null;
    if (!client) throw new NotFoundError('client', id);
    return client;
  }

  return {
    async createClient(input: { name: string; tier: ClientTier; max_concurrency?: number | null }) {
      if (await deps.clients.findClientByName(input.name)) {
        throw new ConflictError(`a client named "${input.name}" exists`, [
          { path: 'name', message: 'already taken' },
        ]);
      }
      const webhookSecret = generateWebhookSecret();
      const client = await deps.clients.createClient({
        id: uuidv7(),
        name: input.name,
        tier: input.tier,
        webhookSecret,
        maxConcurrency: input.max_concurrency ?? null,
      });
      return { ...clientView(client), webhook_secret: webhookSecret };
    },

    async listClients() {
      return (await deps.clients.listClients()).map(clientView);
    },

    async updateClient(
      id: string,
      input: { tier?: ClientTier; max_concurrency?: number | null; disabled?: boolean },
    ) {
      await loadClient(id);
      const updated = await deps.clients.updateClient(id, {
        tier: input.tier,
        maxConcurrency: input.max_concurrency,
        disabledAt: input.disabled === undefined ? undefined : input.disabled ? new Date() : null,
      });
      deps.auth.forgetClient(id);
      if (input.disabled) {
        await publishAuthEvent(deps.redis, deps.keys, { type: 'client_disabled', client_id: id });
      }
      return clientView(updated!);
    },

    async createKey(clientId: string, name?: string) {
      await loadClient(clientId);
      const { key, hash, prefix } = generateApiKey();
      const record = await deps.clients.createKey({
        id: uuidv7(),
        clientId,
        prefix,
        hash,
        name: name ?? null,
      });
      return { ...keyView(record), key };
    },

    async listKeys(clientId?: string) {
      return (await deps.clients.listKeys(clientId)).map(keyView);
    },

    /** Revokes a key; every API process forgets it and closes its WebSockets. */
    async revokeKey(id: string) {
      const revoked = UUID.test(id) ? await deps.clients.revokeKey(id) : null;
      if (!revoked) throw new NotFoundError('active key', id);
      deps.auth.forgetKey(id);
      await publishAuthEvent(deps.redis, deps.keys, { type: 'key_revoked', key_id: id });
      return keyView(revoked);
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
