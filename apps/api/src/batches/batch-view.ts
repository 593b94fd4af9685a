import { isTerminal, JOB_STATUSES, type JobEvent, type JobStatus } from '@genq/core';
import type { BatchRecord, BatchStatusGroup, JobRecord } from '@genq/db';
import { toJobView, type JobView } from '../jobs/job-view.ts';

/**
 * Where a batch stands, derived from its jobs:
 * - `queued`: every job is still queued (none has started);
 * - `running`: some job is not finished yet (queued, running or retrying);
 * - `completed`: every job completed;
 * - `cancelled`: every job was cancelled;
 * - `failed`: every job finished, none completed and at least one failed;
 * - `completed_with_errors`: every job finished, some completed and some failed or were cancelled.
 */
export type BatchStatus =
  'queued' | 'running' | 'completed' | 'completed_with_errors' | 'failed' | 'cancelled';

export type BatchCounts = Record<JobStatus, number>;

export interface BatchSummary {
  status: BatchStatus;
  total_jobs: number;
  counts: BatchCounts;
  /**
   * Mean progress of the jobs, 0–100. A finished job (completed, failed or cancelled) counts
   * as 100, so progress reaches 100 exactly when the batch has nothing left to do.
   */
  progress: number;
  /** When the last job finished, once every job has; null before. */
  completed_at: string | null;
}

export interface BatchView extends BatchSummary {
  id: string;
  created_at: string;
  jobs: JobView[];
  links: { self: string; result: string; websocket: string };
}

/** First message of a WebSocket batch subscription; the per-job events follow. */
export interface BatchSnapshotMessage extends BatchSummary {
  type: 'batch_snapshot';
  batch_id: string;
  /** One snapshot per job, each carrying the job's latest `seq`. */
  jobs: JobEvent[];
}

export const batchLinks = (id: string) => ({
  self: `/api/v1/batches/${id}`,
  result: `/api/v1/batches/${id}/result`,
  websocket: '/ws',
});

export function summarizeBatch(groups: BatchStatusGroup[]): BatchSummary {
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as BatchCounts;
  let total = 0;
  let progress = 0;
  let lastCompletedAt: Date | null = null;
  for (const group of groups) {
    counts[group.status] += group.count;
    total += group.count;
    progress += isTerminal(group.status) ? 100 * group.count : group.progressSum;
    if (group.lastCompletedAt && (!lastCompletedAt || group.lastCompletedAt > lastCompletedAt)) {
      lastCompletedAt = group.lastCompletedAt;
    }
  }
  const status = batchStatus(counts, total);
  const finished = !['queued', 'running'].includes(status);
  return {
    status,
    total_jobs: total,
    counts,
    progress: total === 0 ? 0 : Math.round((progress / total) * 100) / 100,
    completed_at: finished && lastCompletedAt ? lastCompletedAt.toISOString() : null,
  };
}

function batchStatus(counts: BatchCounts, total: number): BatchStatus {
  if (counts.queued === total) return 'queued';
  if (counts.queued + counts.running + counts.retrying > 0) return 'running';
  if (counts.completed === total) return 'completed';
  if (counts.cancelled === total) return 'cancelled';
  if (counts.completed === 0 && counts.failed > 0) return 'failed';
  return 'completed_with_errors';
}

/** Groups jobs (rows or events) in memory, for when they are loaded anyway. */
export function groupJobs(
  jobs: { status: JobStatus; progress: number; completedAt?: Date | null }[],
): BatchStatusGroup[] {
  const groups = new Map<JobStatus, BatchStatusGroup>();
  for (const job of jobs) {
    const group = groups.get(job.status) ?? {
      status: job.status,
      count: 0,
      progressSum: 0,
      lastCompletedAt: null,
    };
    group.count += 1;
    group.progressSum += job.progress;
    const at = job.completedAt ?? null;
    if (at && (!group.lastCompletedAt || at > group.lastCompletedAt)) group.lastCompletedAt = at;
    groups.set(job.status, group);
  }
  return [...groups.values()];
}

export function toBatchView(
  batch: BatchRecord,
  groups: BatchStatusGroup[],
  jobs: JobRecord[],
): BatchView {
  return {
    id: batch.id,
    ...summarizeBatch(groups),
    created_at: batch.createdAt.toISOString(),
    jobs: jobs.map((job) => toJobView(job)),
    links: batchLinks(batch.id),
  };
}
