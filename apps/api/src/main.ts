import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createLogger, initErrorReporting, logFormatFor } from '@genq/core';
import { createDatabase } from '@genq/db';
import {
  createBuiltinGenerators,
  createGeneratorRegistry,
  loadGeneratorModules,
  mediaSettingsFromEnv,
} from '@genq/generators';
import {
  createBlockingRedis,
  createFastFailRedis,
  redisKeys,
  schedulingSettingsFrom,
} from '@genq/queue';
import { loadApiConfig } from './config.ts';
import { startApiServer } from './server.ts';

const config = loadApiConfig();
const logger = createLogger({
  level: config.LOG_LEVEL,
  format: logFormatFor(config),
  service: 'genq-api',
});
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
// Sentry only when SENTRY_DSN is set; otherwise a no-op and nothing is sent.
const errorReporter = await initErrorReporting({
  dsn: config.SENTRY_DSN,
  service: 'genq-api',
  release: `genq@${version}`,
  environment: config.NODE_ENV,
});

const db = createDatabase({ databaseUrl: config.DATABASE_URL });
const redis = createFastFailRedis(config.REDIS_URL);
const subscriber = createBlockingRedis(config.REDIS_URL);
redis.on('error', (error) => logger.warn('redis error', { error: String(error) }));
subscriber.on('error', (error) => logger.warn('redis subscriber error', { error: String(error) }));

const api = await startApiServer(
  {
    db,
    redis,
    subscriber,
    keys: redisKeys(config.GENQ_REDIS_PREFIX),
    prefix: config.GENQ_REDIS_PREFIX,
    // Media limits (GENQ_IMAGE_MAX_COUNT...) are checked at submission, so the API reads them too.
    registry: createGeneratorRegistry(
      [
        ...createBuiltinGenerators(mediaSettingsFromEnv(process.env)),
        ...(await loadGeneratorModules(config.GENQ_GENERATOR_MODULES)),
      ],
      config,
    ),
    logger,
    artifactsDir: config.GENQ_ARTIFACTS_DIR,
    // Relative to this file, which is apps/api/src/main.ts or its bundle apps/api/dist/main.mjs.
    dashboardDir: fileURLToPath(new URL('../../dashboard/dist/', import.meta.url)),
    maxAttempts: config.GENQ_MAX_RETRIES + 1,
    queueMaxPending: config.GENQ_QUEUE_MAX_PENDING,
    adminKey: config.GENQ_ADMIN_KEY,
    http: {
      maxBodyBytes: config.GENQ_MAX_BODY_BYTES,
      maxBatchSize: config.GENQ_MAX_BATCH_SIZE,
      trustProxy: config.GENQ_TRUST_PROXY,
      corsOrigins: config.GENQ_CORS_ORIGINS,
      rateLimit: {
        enabled: config.GENQ_RATE_LIMIT_ENABLED,
        windowMs: config.GENQ_RATE_LIMIT_WINDOW_MS,
        perTier: {
          premium: config.GENQ_RATE_LIMIT_PREMIUM,
          standard: config.GENQ_RATE_LIMIT_STANDARD,
          free: config.GENQ_RATE_LIMIT_FREE,
        },
        anonymous: config.GENQ_RATE_LIMIT_ANONYMOUS,
        allowlist: config.GENQ_RATE_LIMIT_ALLOWLIST,
      },
    },
    maxSocketsPerKey: config.GENQ_WS_MAX_SOCKETS_PER_KEY,
    socketLimits: {
      maxSubscriptions: config.GENQ_WS_MAX_SUBSCRIPTIONS,
      messagesPerSecond: config.GENQ_WS_MESSAGES_PER_SECOND,
      messageBurst: config.GENQ_WS_MESSAGE_BURST,
    },
    metricsToken: config.GENQ_METRICS_TOKEN,
    diskThresholds: {
      degradedPercent: config.GENQ_HEALTH_DISK_DEGRADED_PERCENT,
      unhealthyPercent: config.GENQ_HEALTH_DISK_UNHEALTHY_PERCENT,
    },
    errorReporter,
    scheduling: schedulingSettingsFrom(config),
    version,
    webhooks: {
      allowlist: config.GENQ_WEBHOOK_ALLOWLIST,
      retry: {
        maxAttempts: config.GENQ_WEBHOOK_MAX_ATTEMPTS,
        retryDelayMs: config.GENQ_WEBHOOK_RETRY_DELAY_MS,
      },
    },
  },
  config.PORT,
  config.HOST,
);
logger.info(`genq API listening on ${api.url}`);

let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) process.exit(130);
  stopping = true;
  logger.info(`${signal}: closing`);
  api
    .close()
    .then(async () => {
      await Promise.all([redis.quit(), subscriber.quit(), db.$disconnect()]);
      await errorReporter.flush();
      process.exit(0);
    })
    .catch((error: unknown) => {
      logger.error('shutdown failed', { error: String(error) });
      process.exit(1);
    });
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
