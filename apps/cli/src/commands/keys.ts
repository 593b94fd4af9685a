import type { Context } from '../context.ts';
import { createContext } from '../context.ts';
import { CliError, EXIT, usageError, type ExitCode } from '../errors.ts';
import { table } from '../output.ts';

export const TIERS = ['premium', 'standard', 'free'] as const;

interface ClientView {
  id: string;
  name: string;
  tier: string;
  disabled?: boolean;
  created_at: string;
  webhook_secret?: string;
}

interface KeyView {
  id: string;
  client_id: string;
  name: string | null;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  key?: string;
}

export interface AdminOptions {
  adminKey?: string;
}

/** A context whose requests carry the admin key instead of a client key. */
export function adminContext(ctx: Context, options: AdminOptions): Context {
  // commander fills `adminKey` from --admin-key or GENQ_ADMIN_KEY.
  const adminKey = options.adminKey;
  if (!adminKey)
    throw usageError(
      'the keys commands need the admin key: set GENQ_ADMIN_KEY or pass --admin-key',
    );
  return createContext(ctx.options, adminKey, ctx.output);
}

const listOf = <T>(body: unknown, field: string): T[] =>
  Array.isArray(body) ? (body as T[]) : (((body as Record<string, unknown>)?.[field] as T[]) ?? []);

async function findClient(ctx: Context, nameOrId: string): Promise<ClientView | null> {
  const { body } = await ctx.client.json<unknown>('GET', '/api/v1/admin/clients');
  return (
    listOf<ClientView>(body, 'clients').find((c) => c.name === nameOrId || c.id === nameOrId) ??
    null
  );
}

export interface KeysCreateOptions extends AdminOptions {
  client: string;
  tier?: string;
  name?: string;
}

/**
 * `genq keys create --client <name>`: a new key for the client, creating the client (with
 * --tier, default free) when it does not exist. The key is printed once.
 */
export async function keysCreateCommand(
  base: Context,
  options: KeysCreateOptions,
): Promise<ExitCode> {
  const ctx = adminContext(base, options);
  if (options.tier && !(TIERS as readonly string[]).includes(options.tier)) {
    throw usageError(`--tier must be premium, standard or free, not "${options.tier}"`);
  }
  let client = await findClient(ctx, options.client);
  let created = false;
  if (!client) {
    const { body } = await ctx.client.json<ClientView>('POST', '/api/v1/admin/clients', {
      body: { name: options.client, ...(options.tier ? { tier: options.tier } : {}) },
    });
    client = body;
    created = true;
    ctx.output.info(`genq: created client ${client.name} (${client.id}), tier ${client.tier}`);
  } else if (options.tier && options.tier !== client.tier) {
    ctx.output.warn(
      `client ${client.name} exists with tier ${client.tier}; --tier ${options.tier} was not applied`,
    );
  }
  const { body: key } = await ctx.client.json<KeyView>(
    'POST',
    `/api/v1/admin/clients/${encodeURIComponent(client.id)}/keys`,
    { body: options.name ? { name: options.name } : {} },
  );
  if (!key.key)
    throw new CliError('the server did not return the new key', EXIT.SERVER, 'bad_response');
  ctx.output.info('genq: store this key now: it is shown only once');
  if (created && client.webhook_secret) {
    ctx.output.info(
      `genq: the client's webhook signing secret (also shown only once): ${client.webhook_secret}`,
    );
  }
  ctx.output.result({ client, client_created: created, key }, () => key.key!);
  return EXIT.OK;
}

export interface KeysListOptions extends AdminOptions {
  client?: string;
}

/** `genq keys list [--client <name>]`: keys with their prefix, never the secret. */
export async function keysListCommand(base: Context, options: KeysListOptions): Promise<ExitCode> {
  const ctx = adminContext(base, options);
  let query = '';
  const { body: clientsBody } = await ctx.client.json<unknown>('GET', '/api/v1/admin/clients');
  const clients = listOf<ClientView>(clientsBody, 'clients');
  if (options.client) {
    const client = clients.find((c) => c.name === options.client || c.id === options.client);
    if (!client) throw new CliError(`no client ${options.client}`, EXIT.USAGE, 'not_found');
    query = `?client_id=${encodeURIComponent(client.id)}`;
  }
  const { body } = await ctx.client.json<unknown>('GET', `/api/v1/admin/keys${query}`);
  const keys = listOf<KeyView>(body, 'keys');
  const nameOf = new Map(clients.map((c) => [c.id, c.name]));
  ctx.output.result({ keys }, () =>
    table([
      ['id', 'client', 'prefix', 'name', 'created', 'last used', 'revoked'],
      ...keys.map((k) => [
        k.id,
        nameOf.get(k.client_id) ?? k.client_id,
        `${k.prefix}…`,
        k.name ?? '',
        k.created_at,
        k.last_used_at ?? '–',
        k.revoked_at ?? '–',
      ]),
    ]),
  );
  return EXIT.OK;
}

/** `genq keys revoke <key-id>`: the key stops working at once, its WebSockets are closed. */
export async function keysRevokeCommand(
  base: Context,
  keyId: string,
  options: AdminOptions,
): Promise<ExitCode> {
  const ctx = adminContext(base, options);
  const { body } = await ctx.client.json<KeyView>(
    'DELETE',
    `/api/v1/admin/keys/${encodeURIComponent(keyId)}`,
  );
  ctx.output.result(body, () => `key ${body.id} (${body.prefix}…) revoked`);
  return EXIT.OK;
}
