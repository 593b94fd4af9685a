import { ApiError, type Api } from './api.ts';
import { h, saveBlob, setText } from './dom.ts';
import { formatNumber, formatPercent, shortId } from './format.ts';
import type { LiveConnection } from './live.ts';
import {
  TERMINAL,
  type BatchCounts,
  type BatchSnapshot,
  type BatchStatus,
  type JobEvent,
  type JobStatus,
} from './types.ts';

/** GENQ_MAX_BATCH_SIZE's default; a server with a lower limit makes the page send less. */
const DEFAULT_CHUNK = 100;
const MAX_WAIT_RETRIES = 10;

export class JobFileError extends Error {}

/** Parses a jobs file: a JSON array, or JSON Lines (one request per line; blank lines skipped). */
export function parseJobFile(text: string): { requests: unknown[]; lines: number[] } {
  const trimmed = text.trim();
  if (trimmed === '') throw new JobFileError('the file is empty');
  const check = (value: unknown, where: string): void => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new JobFileError(
        `${where}: expected a JSON object like {"generator": …, "input": {…}}`,
      );
    }
    if (typeof (value as { generator?: unknown }).generator !== 'string') {
      throw new JobFileError(`${where}: "generator" is missing`);
    }
  };
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new JobFileError(`not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new JobFileError('expected a JSON array of job requests');
    parsed.forEach((item, index) => check(item, `item ${index + 1}`));
    if (parsed.length === 0) throw new JobFileError('the array is empty');
    return { requests: parsed, lines: parsed.map((_, index) => index + 1) };
  }
  const requests: unknown[] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new JobFileError(`line ${index + 1}: not valid JSON`);
    }
    check(parsed, `line ${index + 1}`);
    requests.push(parsed);
    lines.push(index + 1);
  });
  return { requests, lines };
}

/** A batch's standing from its jobs, by the same rules as the API (GET /api/v1/batches/:id). */
export function summarize(jobs: Iterable<{ status: JobStatus; progress: number }>): {
  status: BatchStatus;
  total: number;
  counts: BatchCounts;
  progress: number;
} {
  const counts: BatchCounts = {
    queued: 0,
    running: 0,
    retrying: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
  };
  let total = 0;
  let progress = 0;
  for (const job of jobs) {
    counts[job.status] += 1;
    total += 1;
    progress += TERMINAL.has(job.status) ? 100 : job.progress;
  }
  let status: BatchStatus;
  if (counts.queued === total) status = 'queued';
  else if (counts.queued + counts.running + counts.retrying > 0) status = 'running';
  else if (counts.completed === total) status = 'completed';
  else if (counts.cancelled === total) status = 'cancelled';
  else if (counts.completed === 0 && counts.failed > 0) status = 'failed';
  else status = 'completed_with_errors';
  return { status, total, counts, progress: total === 0 ? 0 : progress / total };
}

interface BatchTrack {
  id: string;
  jobs: Map<string, { status: JobStatus; progress: number; seq: number }>;
  /** Jobs accepted, known before the snapshot arrives. */
  size: number;
}

interface Upload {
  name: string;
  batches: BatchTrack[];
  total: number;
  root: HTMLElement;
  status: HTMLElement;
  progress: HTMLProgressElement;
  percent: HTMLElement;
  counts: HTMLElement;
  note: HTMLElement;
  downloads: HTMLElement;
}

export interface BatchPanelOptions {
  api: Api;
  live: LiveConnection;
  announce(text: string): void;
  /** Called after a batch was accepted: the jobs list shows the newest jobs. */
  onSubmitted(): void;
}

/** Batch upload: a JSONL or JSON-array file, sent in chunks, followed as batches. */
export class BatchPanel {
  readonly element: HTMLElement;
  private readonly file: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  private readonly error: HTMLElement;
  private readonly uploads: HTMLElement;
  private readonly byBatch = new Map<string, { upload: Upload; track: BatchTrack }>();
  private chunkSize = DEFAULT_CHUNK;

  constructor(private readonly options: BatchPanelOptions) {
    this.file = h('input', {
      id: 'batch-file',
      type: 'file',
      accept: '.jsonl,.ndjson,.json,application/json,application/x-ndjson',
      'aria-describedby': 'batch-hint batch-error',
    });
    this.submit = h('button', { type: 'submit', className: 'primary' }, 'Upload batch');
    this.error = h('div', {
      id: 'batch-error',
      className: 'form-error',
      role: 'alert',
      hidden: true,
    });
    this.uploads = h('div', { className: 'uploads', 'aria-live': 'polite' });
    const form = h(
      'form',
      { className: 'batch-form', noValidate: true },
      h('div', { className: 'field' }, h('label', { for: 'batch-file' }, 'Jobs file'), this.file),
      h(
        'p',
        { className: 'hint', id: 'batch-hint' },
        'JSON Lines (one {"generator", "input", "priority"} request per line) or a JSON array. ',
        'Sent in batches of up to 100; each batch is all or nothing.',
      ),
      this.error,
      h('div', { className: 'actions' }, this.submit),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.upload();
    });
    this.element = h(
      'section',
      { className: 'panel', 'aria-labelledby': 'batch-heading' },
      h('h2', { id: 'batch-heading' }, 'Batch upload'),
      form,
      this.uploads,
    );
  }

  private showError(lines: string[]): void {
    this.error.replaceChildren(...lines.map((line) => h('p', {}, line)));
    this.error.hidden = lines.length === 0;
  }

  private async upload(): Promise<void> {
    const file = this.file.files?.[0];
    if (!file) {
      this.showError(['Choose a file first.']);
      this.file.focus();
      return;
    }
    this.showError([]);
    let parsed: { requests: unknown[]; lines: number[] };
    try {
      parsed = parseJobFile(await file.text());
    } catch (error) {
      this.showError([`${file.name}: ${(error as Error).message}`]);
      return;
    }
    this.submit.disabled = true;
    const upload = this.createUpload(file.name, parsed.requests.length);
    try {
      await this.send(upload, parsed);
      this.file.value = '';
    } finally {
      this.submit.disabled = false;
      this.render(upload);
    }
  }

  private async send(
    upload: Upload,
    parsed: { requests: unknown[]; lines: number[] },
  ): Promise<void> {
    let offset = 0;
    let waits = 0;
    while (offset < parsed.requests.length) {
      const chunk = parsed.requests.slice(offset, offset + this.chunkSize);
      setText(
        upload.note,
        `Sending ${formatNumber(offset + chunk.length)} of ${formatNumber(upload.total)}…`,
      );
      try {
        const accepted = await this.options.api.submitBatch(chunk);
        const track: BatchTrack = {
          id: accepted.batch_id,
          jobs: new Map(),
          size: accepted.total_jobs,
        };
        upload.batches.push(track);
        this.byBatch.set(track.id, { upload, track });
        this.options.live.followBatch(track.id);
        offset += chunk.length;
        waits = 0;
        this.render(upload);
        this.options.onSubmitted();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const tooBig = error.details.find(
          (d) => d.path === 'requests' && /big|many|most|<=/i.test(d.message),
        );
        if (error.status === 400 && tooBig && this.chunkSize > 1) {
          const limit = Number(/(\d+)/.exec(tooBig.message)?.[1]);
          this.chunkSize =
            limit > 0 && limit < this.chunkSize ? limit : Math.floor(this.chunkSize / 2);
          continue;
        }
        if ((error.status === 429 || error.status === 503) && waits < MAX_WAIT_RETRIES) {
          waits += 1;
          const seconds = error.retryAfter ?? 2 ** waits;
          setText(upload.note, `${error.message}; retrying in ${seconds} s…`);
          await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
          continue;
        }
        const lines = error.details.map((d) => {
          const item = /^requests\.(\d+)(?:\.(.*))?$/.exec(d.path);
          if (!item) return `${d.path ? `${d.path}: ` : ''}${d.message}`;
          const line = parsed.lines[offset + Number(item[1])];
          return `line ${line}: ${item[2] ? `${item[2]}: ` : ''}${d.message}`;
        });
        const sent = offset > 0 ? ` ${formatNumber(offset)} jobs were submitted before it.` : '';
        this.showError([
          `${error.message}.${sent}`,
          ...lines.slice(0, 20),
          lines.length > 20 ? `… and ${lines.length - 20} more` : '',
        ]);
        setText(
          upload.note,
          `Stopped after ${formatNumber(offset)} of ${formatNumber(upload.total)} jobs.`,
        );
        upload.total = offset;
        return;
      }
    }
    setText(upload.note, '');
    this.options.announce(`Batch of ${upload.total} jobs submitted.`);
  }

  handleSnapshot(snapshot: BatchSnapshot): void {
    const entry = this.byBatch.get(snapshot.batch_id);
    if (!entry) return;
    entry.track.jobs.clear();
    for (const job of snapshot.jobs) {
      entry.track.jobs.set(job.job_id, {
        status: job.status,
        progress: job.progress,
        seq: job.seq,
      });
    }
    this.render(entry.upload);
  }

  /** A batch subscription failed: gone stops asking, anything else asks again later. */
  handleSocketError(batchId: string, code: string): void {
    if (!this.byBatch.has(batchId)) return;
    if (code === 'not_found') this.options.live.unfollowBatch(batchId);
    else setTimeout(() => this.options.live.refreshBatch(batchId), 3_000);
  }

  handleEvent(event: JobEvent): void {
    if (!event.batch_id) return;
    const entry = this.byBatch.get(event.batch_id);
    if (!entry) return;
    const known = entry.track.jobs.get(event.job_id);
    if (known && event.seq <= known.seq) return;
    entry.track.jobs.set(event.job_id, {
      status: event.status,
      progress: event.progress,
      seq: event.seq,
    });
    this.render(entry.upload);
  }

  private createUpload(name: string, total: number): Upload {
    const headingId = `upload-${this.uploads.childElementCount + 1}`;
    const status = h('span', { className: 'badge' });
    const progress = h('progress', {
      max: 100,
      'aria-labelledby': headingId,
    }) as HTMLProgressElement;
    const percent = h('span', { className: 'percent' });
    const counts = h('p', { className: 'meta' });
    const note = h('p', { className: 'hint' });
    const downloads = h('div', { className: 'actions' });
    const root = h(
      'article',
      { className: 'upload', 'aria-labelledby': headingId },
      h(
        'div',
        { className: 'job-head' },
        h('h3', { id: headingId, className: 'job-title' }, name),
        status,
      ),
      h('div', { className: 'progress-row' }, progress, percent),
      counts,
      note,
      downloads,
    );
    this.uploads.prepend(root);
    const upload: Upload = {
      name,
      batches: [],
      total,
      root,
      status,
      progress,
      percent,
      counts,
      note,
      downloads,
    };
    this.render(upload);
    return upload;
  }

  private render(upload: Upload): void {
    const jobs: { status: JobStatus; progress: number }[] = [];
    let unknown = 0;
    for (const track of upload.batches) {
      jobs.push(...track.jobs.values());
      unknown += Math.max(0, track.size - track.jobs.size);
    }
    // Accepted jobs whose batch snapshot has not arrived yet count as queued.
    for (let i = 0; i < unknown; i += 1) jobs.push({ status: 'queued', progress: 0 });
    const summary = summarize(jobs);
    const shownStatus = upload.batches.length === 0 ? 'sending' : summary.status;
    setText(upload.status, shownStatus.replace(/_/g, ' '));
    upload.status.className = `badge status-${shownStatus}`;
    upload.root.dataset.status = shownStatus;
    if (upload.progress.value !== summary.progress) upload.progress.value = summary.progress;
    setText(upload.percent, formatPercent(summary.progress));
    const c = summary.counts;
    setText(
      upload.counts,
      `${formatNumber(summary.total)} jobs in ${upload.batches.length} batch${upload.batches.length === 1 ? '' : 'es'}: ` +
        `${c.completed} completed · ${c.running} running · ${c.queued + c.retrying} waiting · ${c.failed} failed · ${c.cancelled} cancelled`,
    );
    // One result ZIP per batch, once some job of it completed.
    upload.batches.forEach((track, index) => {
      const ready = [...track.jobs.values()].some((job) => job.status === 'completed');
      let button = upload.downloads.querySelector<HTMLButtonElement>(
        `[data-batch-id="${track.id}"]`,
      );
      if (!ready) {
        button?.remove();
        return;
      }
      if (!button) {
        const label =
          upload.batches.length === 1
            ? 'Download results'
            : `Download batch ${index + 1} of ${upload.batches.length}`;
        button = h(
          'button',
          {
            type: 'button',
            className: 'secondary small',
            'data-batch-id': track.id,
            title: `batch ${shortId(track.id)}`,
          },
          label,
        );
        button.addEventListener('click', () => void this.download(upload, track, button!));
        upload.downloads.append(button);
      }
    });
  }

  private async download(
    upload: Upload,
    track: BatchTrack,
    button: HTMLButtonElement,
  ): Promise<void> {
    button.disabled = true;
    try {
      const { blob, name } = await this.options.api.download(
        `/api/v1/batches/${encodeURIComponent(track.id)}/result`,
        `batch-${track.id}.zip`,
      );
      saveBlob(blob, name);
    } catch (error) {
      setText(upload.note, `Download failed: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
    }
  }
}
