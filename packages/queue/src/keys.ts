/**
 * Every Redis name genq uses, in one place. BullMQ adds its own `<prefix>:<queue>:*` keys.
 * One BullMQ queue per generator, so a worker can serve a subset of generators
 * (GPU workers for image/music, CPU workers for the rest) and scale apart.
 */
export function queueNameFor(generator: string): string {
  return `generation.${generator}`;
}

export function redisKeys(prefix: string) {
  return {
    /** Pub/sub channel of job events (worker → every API process). */
    eventsChannel: `${prefix}:events`,
    /** Pub/sub channel between API processes: revoked keys, disabled clients. */
    authChannel: `${prefix}:auth`,
    /** Pub/sub channel of control messages (API → every worker process), e.g. cancel. */
    controlChannel: `${prefix}:control`,
    /** Per job: latest event JSON, the snapshot a (re)subscriber starts from. */
    jobState: (jobId: string) => `${prefix}:job:${jobId}:state`,
    /** Per job: event sequence counter. */
    jobSeq: (jobId: string) => `${prefix}:job:${jobId}:seq`,
    /** Hash of live worker processes: id → heartbeat JSON. */
    workers: `${prefix}:workers`,
    /** Held by the one worker process running the reconciler at a time. */
    reconcilerLock: `${prefix}:lock:reconciler`,
    /** Held while a job naming this target runs (exclusive targets). */
    targetLock: (target: string) => `${prefix}:lock:target:${target}`,
    /** BullMQ's hash of one job, to check existence without loading it. */
    bullJob: (queueName: string, jobId: string) => `${prefix}:${queueName}:${jobId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
