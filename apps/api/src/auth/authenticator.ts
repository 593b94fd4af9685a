import type { ClientsRepository, ClientTier } from '@genq/db';
import { hashApiKey, looksLikeApiKey, secretsEqual } from './api-keys.ts';

export type Principal =
  | { kind: 'client'; clientId: string; clientName: string; tier: ClientTier; keyId: string }
  | { kind: 'admin' };

export interface AuthenticatorOptions {
  clients: ClientsRepository;
  /** GENQ_ADMIN_KEY; admin routes are closed when absent. */
  adminKey?: string;
  /** How long a verified key is trusted without asking PostgreSQL again. */
  cacheTtlMs?: number;
}

/**
 * Turns a presented key into a principal. Verified keys are cached briefly so a busy client
 * costs no database round trip per request; a revocation clears the entry at once in the
 * process that revoked it and, through the revocation broadcast, in every other process.
 */
export function createAuthenticator(options: AuthenticatorOptions) {
  const ttl = options.cacheTtlMs ?? 10_000;
  const cache = new Map<string, { principal: Principal & { kind: 'client' }; expires: number }>();

  return {
    async authenticate(presented: string | undefined): Promise<Principal | null> {
      if (!presented) return null;
      if (options.adminKey && secretsEqual(presented, options.adminKey)) return { kind: 'admin' };
      if (!looksLikeApiKey(presented)) return null;
      const hash = hashApiKey(presented);
      const cached = cache.get(hash);
      if (cached && cached.expires > Date.now()) return cached.principal;
      const key = await options.clients.findActiveKeyByHash(hash);
      // The database found the row by its unique hash; compare again in constant time.
      if (!key || !secretsEqual(key.hash, hash)) {
        cache.delete(hash);
        return null;
      }
      const principal = {
        kind: 'client' as const,
        clientId: key.clientId,
        clientName: key.client.name,
        tier: key.client.tier,
        keyId: key.id,
      };
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { principal, expires: Date.now() + ttl });
      void options.clients.touchKey(key.id).catch(() => undefined);
      return principal;
    },
    /** Forgets a revoked key (by id) so the next request is checked against PostgreSQL. */
    forgetKey(keyId: string): void {
      for (const [hash, entry] of cache) if (entry.principal.keyId === keyId) cache.delete(hash);
    },
    forgetClient(clientId: string): void {
      for (const [hash, entry] of cache)
        if (entry.principal.clientId === clientId) cache.delete(hash);
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/**
 * The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`; for
 * WebSockets from browsers, which cannot set headers, also the subprotocol `genq.key.<key>`
 * (`new WebSocket(url, ['genq', 'genq.key.' + key])`), so the key never sits in a URL.
 */
export function presentedKey(headers: {
  authorization?: string | undefined;
  'x-api-key'?: string | string[] | undefined;
  protocolKey?: string | undefined;
}): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const fromProtocol = headers.protocolKey
    ?.split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith('genq.key.'));
  return fromProtocol?.slice('genq.key.'.length);
}
