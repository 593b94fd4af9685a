import type { Database } from './client.ts';
import type { ApiKey, Client, ClientTier } from './generated/client.ts';

export type ClientRecord = Client;
export type ApiKeyRecord = ApiKey;
export type { ClientTier };

/** Clients and their API keys. Keys are looked up by hash only. */
export function createClientsRepository(db: Database) {
  return {
    async createClient(client: {
      id: string;
      name: string;
      tier: ClientTier;
      webhookSecret: string;
      maxConcurrency?: number | null;
    }): Promise<ClientRecord> {
      return db.client.create({ data: client });
    },

    async findClient(id: string): Promise<ClientRecord | null> {
      return db.client.findUnique({ where: { id } });
    },

    async findClientByName(name: string): Promise<ClientRecord | null> {
      return db.client.findUnique({ where: { name } });
    },

    async listClients(): Promise<ClientRecord[]> {
      return db.client.findMany({ orderBy: { createdAt: 'asc' } });
    },

    async updateClient(
      id: string,
      data: { tier?: ClientTier; maxConcurrency?: number | null; disabledAt?: Date | null },
    ): Promise<ClientRecord | null> {
      const [row] = await db.client.updateManyAndReturn({ where: { id }, data });
      return row ?? null;
    },

    async createKey(key: {
      id: string;
      clientId: string;
      prefix: string;
      hash: string;
      name: string | null;
    }): Promise<ApiKeyRecord> {
      return db.apiKey.create({ data: key });
    },

    /** The active key with this hash, and its client. */
    async findActiveKeyByHash(
      hash: string,
    ): Promise<(ApiKeyRecord & { client: ClientRecord }) | null> {
      return db.apiKey.findFirst({
        where: { hash, revokedAt: null, client: { disabledAt: null } },
        include: { client: true },
      });
    },

    async listKeys(clientId?: string): Promise<ApiKeyRecord[]> {
      return db.apiKey.findMany({
        where: clientId ? { clientId } : {},
        orderBy: { createdAt: 'asc' },
      });
    },

    async revokeKey(id: string): Promise<ApiKeyRecord | null> {
      const [row] = await db.apiKey.updateManyAndReturn({
        where: { id, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      return row ?? null;
    },

    async touchKey(id: string): Promise<void> {
      await db.apiKey.update({ where: { id }, data: { lastUsedAt: new Date() } });
    },
  };
}

export type ClientsRepository = ReturnType<typeof createClientsRepository>;
