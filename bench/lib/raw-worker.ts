/**
 * Raw BullMQ baseline, one worker process: a bare `Worker` on its own queue and prefix, no
 * database, no events. Jobs may ask to sleep (`sleepMs`) or to report their start (`probe`).
 */
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { serve } from './ipc.ts';

interface RawJobData {
  sleepMs?: number;
  probe?: boolean;
}

let worker: Worker<RawJobData> | undefined;
let completed = 0;
let lastAt = 0;
/** Run times of the last sleeping jobs (ms), for "one running job's time". */
const runTimes: number[] = [];

const ipc = serve({
  async start(params: { redisUrl: string; prefix: string; queue: string; concurrency: number }) {
    const connection = new Redis(params.redisUrl, { maxRetriesPerRequest: null });
    worker = new Worker<RawJobData>(
      params.queue,
      async (job: Job<RawJobData>) => {
        const started = Date.now();
        if (job.data.probe) ipc.notify('started', { id: job.id, at: started });
        if (job.data.sleepMs) {
          await new Promise((r) => setTimeout(r, job.data.sleepMs));
          runTimes.push(Date.now() - started);
          if (runTimes.length > 1000) runTimes.shift();
        }
      },
      { connection, prefix: params.prefix, concurrency: params.concurrency },
    );
    worker.on('completed', () => {
      completed += 1;
      lastAt = Date.now();
    });
    await worker.waitUntilReady();
  },
  stats: () => ({ completed, lastAt, runTimes }),
  async close() {
    await worker?.close(true);
  },
});
