import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createLogger, initErrorReporting, logFormatFor } from '@genq/core';
import {
  createAgingRepository,
  createDatabase,
  createJobsRepository,
  createRecoveryRepository,
  createSchedulingRepository,
  createWebhooksRepository,
  pingDatabase,
} from '@genq/db';
import { limitsSettingsOf, mediaSettingsFromEnv } from '@genq/generators';
import { createBlockingRedis, redisKeys, schedulingSettingsFrom } from '@genq/queue';
import { createArtifactStore } from './artifacts.ts';
import { loadWorkerConfig } from './config.ts';
import { createExecutorRouter } from './execution/executor.ts';
import { createRegistryFrom, type GeneratorSetup } from './execution/generator-setup.ts';
import { createMainLoopExecutor } from './execution/main-loop-executor.ts';
import { createThreadExecutor } from './execution/thread-executor.ts';
import { startWorkerProcess } from './worker-process.ts';

const config = loadWorkerConfig();
const logger = createLogger({
  level: config.LOG_LEVEL,
  format: logFormatFor(config),
  service: 'genq-worker',
});

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
// Sentry only when SENTRY_DSN is set; otherwise a no-op and nothing is sent.
const errorReporter = await initErrorReporting({
  dsn: config.SENTRY_DSN,
  service: 'genq-worker',
  release: `genq@${version}`,
  environment: config.NODE_ENV,
});

const setup: GeneratorSetup = {
  builtin: {
    ...mediaSettingsFromEnv(process.env),
    llm: {
      baseUrl: config.LLM_BASE_URL,
      apiKey: config.LLM_API_KEY,
      defaultModel: config.LLM_DEFAULT_MODEL,
      timeoutMs: config.LLM_TIMEOUT_MS,
    },
  },
  modules: config.GENQ_GENERATOR_MODULES,
  limits: limitsSettingsOf(config),
};
const registry = await createRegistryFrom(setup);
const unknown = config.GENQ_WORKER_GENERATORS.filter((name) => !registry.get(name));
if (unknown.length > 0) {
  logger.error(`GENQ_WORKER_GENERATORS names unknown generators: ${unknown.join(', ')}`);
  process.exit(1);
}
const generators =
  config.GENQ_WORKER_GENERATORS.length > 0 ? config.GENQ_WORKER_GENERATORS : registry.names();

// Relative to this file's bundle, apps/worker/dist/main.mjs (scripts/build-services.ts).
const executor = createExecutorRouter({
  mode: config.GENQ_EXECUTION,
  runsIn: (name) => registry.get(name)?.runsIn ?? 'thread',
  thread: createThreadExecutor({
    filename: fileURLToPath(new URL('./execution-thread.mjs', import.meta.url)),
    setup: { generators: setup, log: { level: config.LOG_LEVEL, format: logFormatFor(config) } },
    threadsPerGenerator: config.GENQ_WORKER_CONCURRENCY,
    killGraceMs: config.GENQ_KILL_GRACE_MS,
  }),
  main: createMainLoopExecutor({ registry, killGraceMs: config.GENQ_KILL_GRACE_MS }),
});

const db = createDatabase({ databaseUrl: config.DATABASE_URL });
const redis = createBlockingRedis(config.REDIS_URL);
const events = createBlockingRedis(config.REDIS_URL, { enableAutoPipelining: true });
const subscriber = createBlockingRedis(config.REDIS_URL);

// The first query instantiates Prisma's query compiler (WebAssembly), which takes a moment
// of CPU: do it before taking jobs, so it never delays the first jobs' lock renewals.
await pingDatabase(db);

const worker = await startWorkerProcess({
  redis,
  events,
  subscriber,
  createBlockingConnection: () => createBlockingRedis(config.REDIS_URL),
  keys: redisKeys(config.GENQ_REDIS_PREFIX),
  prefix: config.GENQ_REDIS_PREFIX,
  jobs: createJobsRepository(db),
  recovery: createRecoveryRepository(db),
  aging: createAgingRepository(db),
  registry,
  executor,
  artifacts: createArtifactStore(config.GENQ_ARTIFACTS_DIR),
  logger,
  generators,
  concurrency: config.GENQ_WORKER_CONCURRENCY,
  retryDelayMs: config.GENQ_RETRY_DELAY_MS,
  progressDbIntervalMs: config.GENQ_PROGRESS_DB_INTERVAL_MS,
  lockDurationMs: config.GENQ_LOCK_DURATION_MS,
  stalledIntervalMs: config.GENQ_STALLED_INTERVAL_MS,
  heartbeatIntervalMs: config.GENQ_HEARTBEAT_INTERVAL_MS,
  reconcileIntervalMs: config.GENQ_RECONCILE_INTERVAL_MS,
  abandonedAfterMs: config.GENQ_ABANDONED_AFTER_MS,
  priorityAging: { thresholdSeconds: config.GENQ_PRIORITY_AGING_SECONDS },
  webhooks: {
    repository: createWebhooksRepository(db),
    allowlist: config.GENQ_WEBHOOK_ALLOWLIST,
    retry: {
      maxAttempts: config.GENQ_WEBHOOK_MAX_ATTEMPTS,
      retryDelayMs: config.GENQ_WEBHOOK_RETRY_DELAY_MS,
    },
    timeoutMs: config.GENQ_WEBHOOK_TIMEOUT_MS,
    concurrency: config.GENQ_WEBHOOK_CONCURRENCY,
    userAgent: `genq-webhooks/${version}`,
  },
  metricsPushIntervalMs: config.GENQ_METRICS_PUSH_INTERVAL_MS,
  errorReporter,
  scheduling: {
    settings: schedulingSettingsFrom(config),
    repository: createSchedulingRepository(db),
  },
});

// First signal: stop taking jobs, let running ones finish within the deadline, exit 0.
// Second signal: exit at once; jobs still running are recovered by BullMQ's stalled check.
let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) {
    logger.warn(`${signal} again: exiting now`);
    process.exit(130);
  }
  stopping = true;
  logger.info(`${signal}: finishing running jobs (up to ${config.GENQ_SHUTDOWN_TIMEOUT_MS} ms)`);
  worker
    .close(config.GENQ_SHUTDOWN_TIMEOUT_MS)
    .then(async () => {
      await Promise.all([redis.quit(), events.quit(), subscriber.quit(), db.$disconnect()]);
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
