// Development credentials for `npm start`: an admin key and a ready-to-use client key, kept
// in ./var (git-ignored, readable by the owner only) so every start prints the same keys.
// A production deployment sets GENQ_ADMIN_KEY itself and creates clients through the API.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { createClientsRepository, createDatabase } from '@genq/db';
import {
  generateApiKey,
  generateWebhookSecret,
  hashApiKey,
} from '../apps/api/src/auth/api-keys.ts';

export interface DevCredentials {
  adminKey: string;
  apiKey: string;
}

const DEV_CLIENT = 'dev';

async function readSecret(file: string): Promise<string | null> {
  return readFile(file, 'utf8').then(
    (text) => text.trim() || null,
    () => null,
  );
}

async function writeSecret(file: string, value: string): Promise<void> {
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

export async function ensureDevCredentials(
  root: string,
  databaseUrl: string,
): Promise<DevCredentials> {
  const dir = path.join(root, 'var');
  await mkdir(dir, { recursive: true });
  const adminFile = path.join(dir, 'dev-admin-key');
  const keyFile = path.join(dir, 'dev-api-key');

  const adminKey =
    process.env.GENQ_ADMIN_KEY ??
    (await readSecret(adminFile)) ??
    `genq_admin_${randomBytes(32).toString('base64url')}`;
  if (!process.env.GENQ_ADMIN_KEY) await writeSecret(adminFile, adminKey);

  const db = createDatabase({ databaseUrl, poolSize: 1 });
  try {
    const clients = createClientsRepository(db);
    const stored = await readSecret(keyFile);
    if (stored && (await clients.findActiveKeyByHash(hashApiKey(stored)))) {
      return { adminKey, apiKey: stored };
    }
    const client =
      (await clients.findClientByName(DEV_CLIENT)) ??
      (await clients.createClient({
        id: uuidv7(),
        name: DEV_CLIENT,
        tier: 'premium',
        webhookSecret: generateWebhookSecret(),
      }));
    const { key, hash, prefix } = generateApiKey();
    await clients.createKey({ id: uuidv7(), clientId: client.id, prefix, hash, name: 'npm start' });
    await writeSecret(keyFile, key);
    return { adminKey, apiKey: key };
  } finally {
    await db.$disconnect();
  }
}
