import { ApiError, type Api } from './api.ts';
import { h, saveBlob, setAttr, setText } from './dom.ts';
import { formatBytes, formatDuration, formatPercent, formatTime, shortId } from './format.ts';
import type { LiveConnection } from './live.ts';
import { isWorkingStage, pipelineSteps, PIPELINE } from './stages.ts';
import { TERMINAL, type JobEvent, type JobView, type Stage } from './types.ts';

const PAGE_SIZE = 20;
/** Waiting jobs whose position and ETA are refreshed (a new snapshot) every few seconds. */
const POSITION_REFRESH_LIMIT = 20;
const POSITION_REFRESH_MS = 5_000;
/** Jobs submitted elsewhere (the CLI, a script) appear within this while the tab is visible. */
const HEAD_REFRESH_MS = 15_000;

const CANCELLABLE = new Set(['queued', 'running', 'retrying']);

/** What the page knows of a job: the latest HTTP view, overlaid with live events. */
export interface JobState {
  view: JobView;
  /** seq of the latest event applied; -1 before any. */
  seq: number;
  /** Latest working stage seen, to show where a failed or cancelled job stopped. */
  lastWorking: Stage | null;
  /** A cancel was accepted while the job ran (the events still say `running`). */
  cancelRequested: boolean;
  /** When the page saw the job start, if the view has no started_at yet. */
  seenStartedAt: number | null;
}

/** Merges an HTTP view into the state; live fields only when no newer event is known. */
export function mergeView(state: JobState | undefined, view: JobView): JobState {
  if (!state) {
    return {
      view: { ...view, status: view.status === 'cancelling' ? 'running' : view.status },
      seq: -1,
      lastWorking: isWorkingStage(view.current_step) ? view.current_step : null,
      cancelRequested: view.status === 'cancelling',
      seenStartedAt: null,
    };
  }
  const authoritative = state.seq < 0 || TERMINAL.has(view.status);
  const live = state.view;
  const next: JobView = authoritative
    ? { ...view, status: view.status === 'cancelling' ? 'running' : view.status }
    : {
        ...view,
        status: live.status,
        current_step: live.current_step,
        progress: live.progress,
        message: live.message,
        attempts: live.attempts,
        error: live.error,
        position: view.position ?? live.position,
        eta_seconds: view.eta_seconds ?? live.eta_seconds,
      };
  return {
    ...state,
    view: next,
    lastWorking: isWorkingStage(next.current_step) ? next.current_step : state.lastWorking,
    cancelRequested:
      view.status === 'cancelling' || (state.cancelRequested && !TERMINAL.has(next.status)),
  };
}

/**
 * Applies a WebSocket event. Snapshots always apply (they carry the latest seq); other events
 * only when newer than what was applied, so a replayed or late event never moves a job back.
 * Returns null when the event was older.
 */
export function applyEvent(state: JobState, event: JobEvent): JobState | null {
  if (event.type !== 'snapshot' && event.seq <= state.seq) return null;
  const waiting = event.status === 'queued' || event.status === 'retrying';
  const view: JobView = {
    ...state.view,
    status: event.status,
    current_step: event.current_step,
    progress: event.progress,
    message: event.message,
    attempts: event.attempts,
    retry_count: Math.max(0, event.attempts - 1),
    error: event.error,
    position: waiting ? (event.position ?? state.view.position) : null,
    eta_seconds: waiting ? (event.eta_seconds ?? state.view.eta_seconds) : null,
  };
  const started = state.view.status !== 'running' && event.status === 'running';
  return {
    view,
    seq: event.seq,
    lastWorking: isWorkingStage(event.current_step) ? event.current_step : state.lastWorking,
    cancelRequested: state.cancelRequested && event.status === 'running',
    seenStartedAt: started && !view.started_at ? Date.now() : state.seenStartedAt,
  };
}

interface Card {
  state: JobState;
  root: HTMLLIElement;
  status: HTMLElement;
  steps: HTMLLIElement[];
  stepStates: HTMLElement[];
  stepLabels: HTMLElement[];
  progress: HTMLProgressElement;
  percent: HTMLElement;
  message: HTMLElement;
  meta: HTMLElement;
  error: HTMLElement;
  download: HTMLButtonElement;
  cancel: HTMLButtonElement;
  /** A GET for fields events do not carry (result, duration) is pending. */
  refreshTimer: ReturnType<typeof setTimeout> | null;
}

export interface JobsPanelOptions {
  api: Api;
  live: LiveConnection;
  announce(text: string): void;
}

/** The client's jobs, newest first, live. */
export class JobsPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly cards = new Map<string, Card>();
  private cursor: string | null = null;
  private loadedOnce = false;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private lastPositionRefresh = 0;
  private lastHeadRefresh = Date.now();

  constructor(private readonly options: JobsPanelOptions) {
    this.list = h('ol', { className: 'jobs', 'aria-label': 'Jobs, newest first' });
    this.empty = h('p', { className: 'empty' }, 'No jobs yet: submit one with the form.');
    this.status = h('p', { className: 'list-status', role: 'status' });
    this.more = h('button', { type: 'button', className: 'secondary', hidden: true }, 'Load more');
    this.more.addEventListener('click', () => void this.loadMore());
    this.element = h(
      'section',
      { className: 'panel jobs-panel', 'aria-labelledby': 'jobs-heading' },
      h('h2', { id: 'jobs-heading' }, 'Jobs'),
      this.empty,
      this.list,
      this.status,
      this.more,
    );
  }

  start(): void {
    void this.loadFirstPage();
    this.ticker = setInterval(() => this.tick(), 1000);
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    for (const card of this.cards.values()) if (card.refreshTimer) clearTimeout(card.refreshTimer);
  }

  /** First page on start; afterwards the newest page again (after a reconnect, say). */
  async loadFirstPage(): Promise<void> {
    try {
      const page = await this.options.api.listJobs(PAGE_SIZE);
      for (const view of page.jobs) this.upsert(view);
      if (!this.loadedOnce) {
        this.cursor = page.next_cursor;
        this.loadedOnce = true;
      }
      setText(this.status, '');
    } catch (error) {
      setText(this.status, `Could not load jobs: ${(error as Error).message}`);
    }
    this.updateChrome();
  }

  private async loadMore(): Promise<void> {
    if (!this.cursor) return;
    this.more.disabled = true;
    try {
      const page = await this.options.api.listJobs(PAGE_SIZE, this.cursor);
      for (const view of page.jobs) this.upsert(view);
      this.cursor = page.next_cursor;
      setText(this.status, `${this.cards.size} jobs shown`);
    } catch (error) {
      setText(this.status, `Could not load more jobs: ${(error as Error).message}`);
    } finally {
      this.more.disabled = false;
      this.updateChrome();
    }
  }

  /** A job the page just submitted: shown at once and followed live. */
  addSubmitted(view: JobView): void {
    this.upsert(view);
    this.updateChrome();
  }

  handleEvent(event: JobEvent): void {
    const card = this.cards.get(event.job_id);
    if (!card) return;
    const before = card.state.view.status;
    const next = applyEvent(card.state, event);
    if (!next) return;
    card.state = next;
    this.render(card);
    const after = next.view.status;
    if (before === after) return;
    // What events do not carry (result, duration, time of the next attempt) comes by HTTP,
    // once per job at most of the time: rate limits count these requests.
    if (TERMINAL.has(after) || after === 'retrying') this.scheduleRefresh(card);
    if (TERMINAL.has(after)) {
      this.options.announce(`Job ${next.view.generator} ${shortId(next.view.id)} ${after}.`);
    }
  }

  /**
   * The server could not follow a job: gone (not_found) stops asking; a passing failure
   * (service_unavailable: PostgreSQL or Redis away a moment) asks again a little later.
   */
  handleSocketError(jobId: string, code: string): void {
    if (code === 'not_found') this.options.live.unfollowJob(jobId);
    else setTimeout(() => this.options.live.refreshJob(jobId), 3_000);
  }

  private upsert(view: JobView): void {
    const existing = this.cards.get(view.id);
    if (existing) {
      existing.state = mergeView(existing.state, view);
      this.render(existing);
    } else {
      const card = this.createCard(mergeView(undefined, view));
      this.cards.set(view.id, card);
      this.insertOrdered(card);
      this.render(card);
    }
    this.syncFollow(this.cards.get(view.id)!);
  }

  /** Unfinished jobs are followed live; finished ones need nothing more. */
  private syncFollow(card: Card): void {
    const { id, status } = card.state.view;
    if (TERMINAL.has(status)) this.options.live.unfollowJob(id);
    else this.options.live.followJob(id);
  }

  /** UUIDv7 ids sort by creation time: newest first is descending id order. */
  private insertOrdered(card: Card): void {
    const id = card.state.view.id;
    const after = Array.from(this.list.children).find(
      (child) => ((child as HTMLElement).dataset.jobId ?? '') < id,
    );
    this.list.insertBefore(card.root, after ?? null);
  }

  private scheduleRefresh(card: Card): void {
    if (card.refreshTimer) return;
    card.refreshTimer = setTimeout(() => {
      card.refreshTimer = null;
      this.options.api.getJob(card.state.view.id).then(
        (view) => {
          card.state = mergeView(card.state, view);
          this.render(card);
          this.syncFollow(card);
        },
        () => undefined,
      );
    }, 150);
  }

  private updateChrome(): void {
    this.empty.hidden = this.cards.size > 0 || !this.loadedOnce;
    this.more.hidden = !this.cursor;
  }

  private tick(): void {
    const now = Date.now();
    const waiting: Card[] = [];
    for (const card of this.cards.values()) {
      const status = card.state.view.status;
      if (status === 'running') this.renderMeta(card);
      if (status === 'queued' || status === 'retrying') waiting.push(card);
    }
    if (now - this.lastHeadRefresh >= HEAD_REFRESH_MS && document.visibilityState === 'visible') {
      this.lastHeadRefresh = now;
      void this.loadFirstPage();
    }
    if (now - this.lastPositionRefresh >= POSITION_REFRESH_MS && this.options.live.isOpen) {
      this.lastPositionRefresh = now;
      // Positions change as other jobs start, which sends no event: ask for fresh snapshots.
      for (const card of waiting.slice(0, POSITION_REFRESH_LIMIT)) {
        this.options.live.refreshJob(card.state.view.id);
      }
    }
  }

  private createCard(state: JobState): Card {
    const id = state.view.id;
    const headingId = `job-${id}-title`;
    const stepLabels: HTMLElement[] = [];
    const stepStates: HTMLElement[] = [];
    const steps = PIPELINE.map(() => {
      const label = h('span', { className: 'step-label' });
      const stateText = h('span', { className: 'visually-hidden' });
      stepLabels.push(label);
      stepStates.push(stateText);
      return h(
        'li',
        { className: 'step' },
        h('span', { className: 'dot', 'aria-hidden': 'true' }),
        label,
        stateText,
      );
    });
    const progress = h('progress', {
      max: 100,
      'aria-labelledby': headingId,
    }) as HTMLProgressElement;
    const download = h(
      'button',
      { type: 'button', className: 'primary small', 'aria-describedby': headingId },
      'Download',
    );
    const cancel = h(
      'button',
      { type: 'button', className: 'danger small', 'aria-describedby': headingId },
      'Cancel',
    );
    const status = h('span', { className: 'badge' });
    const percent = h('span', { className: 'percent' });
    const message = h('p', { className: 'message' });
    const meta = h('p', { className: 'meta' });
    const error = h('p', { className: 'job-error' });
    const root = h(
      'li',
      { className: 'job', 'data-job-id': id, 'aria-labelledby': headingId },
      h(
        'div',
        { className: 'job-head' },
        h(
          'h3',
          { id: headingId, className: 'job-title' },
          h('span', { className: 'generator' }, state.view.generator),
          ' ',
          h('span', { className: 'job-id', title: id }, shortId(id)),
        ),
        status,
        h('span', { className: 'priority', title: 'priority' }, state.view.priority),
        h(
          'time',
          { dateTime: state.view.created_at, className: 'created' },
          formatTime(state.view.created_at),
        ),
      ),
      h('ol', { className: 'steps', 'aria-label': 'Pipeline stages' }, steps),
      h('div', { className: 'progress-row' }, progress, percent),
      h(
        'div',
        { className: 'job-foot' },
        h('div', { className: 'job-text' }, message, meta, error),
        h('div', { className: 'actions' }, download, cancel),
      ),
    );
    const card: Card = {
      state,
      root,
      status,
      steps,
      stepStates,
      stepLabels,
      progress,
      percent,
      message,
      meta,
      error,
      download,
      cancel,
      refreshTimer: null,
    };
    download.addEventListener('click', () => void this.download(card));
    cancel.addEventListener('click', () => void this.cancel(card));
    return card;
  }

  private render(card: Card): void {
    const { view, cancelRequested, lastWorking } = card.state;
    const shown = cancelRequested && view.status === 'running' ? 'cancelling' : view.status;
    card.root.dataset.status = shown;
    card.root.dataset.step = view.current_step;
    setText(card.status, shown);
    card.status.className = `badge status-${shown}`;

    const steps = pipelineSteps(view.status, view.current_step, lastWorking);
    steps.forEach((step, index) => {
      const li = card.steps[index]!;
      if (li.dataset.state !== step.state) li.dataset.state = step.state;
      li.dataset.step = step.step;
      setAttr(li, 'aria-current', step.state === 'active' ? 'step' : null);
      setText(card.stepLabels[index]!, step.label);
      setText(card.stepStates[index]!, `: ${step.state}`);
    });

    const progress = view.status === 'completed' ? 100 : view.progress;
    if (card.progress.value !== progress) card.progress.value = progress;
    setText(card.percent, formatPercent(progress));

    setText(card.message, view.message ?? '');
    card.message.hidden = !view.message;
    this.renderMeta(card);
    const error = view.error ? `${view.error.message} (${view.error.code})` : '';
    if (error || !card.error.dataset.local) {
      setText(card.error, error);
      delete card.error.dataset.local;
    }
    card.error.hidden = card.error.textContent === '';

    card.download.hidden = view.status !== 'completed';
    card.cancel.hidden = !CANCELLABLE.has(view.status) || cancelRequested;
  }

  private renderMeta(card: Card): void {
    const { view, seenStartedAt } = card.state;
    const parts: string[] = [];
    if (view.status === 'queued' || view.status === 'retrying') {
      if (view.position !== null) {
        parts.push(view.position === 0 ? 'next in line' : `position ${view.position + 1}`);
      }
      if (view.eta_seconds !== null) parts.push(`ETA ~${formatDuration(view.eta_seconds)}`);
      if (view.status === 'retrying' && view.next_attempt_at) {
        parts.push(`next attempt ${formatTime(view.next_attempt_at)}`);
      }
    }
    if (view.attempts > 1 || view.status === 'retrying') {
      parts.push(`attempt ${view.attempts} of ${view.max_attempts}`);
    }
    if (view.status === 'running') {
      const started = view.started_at ? Date.parse(view.started_at) : seenStartedAt;
      if (started) parts.push(`running for ${formatDuration((Date.now() - started) / 1000)}`);
    }
    if (view.duration_seconds !== null && TERMINAL.has(view.status)) {
      parts.push(`took ${formatDuration(view.duration_seconds)}`);
    }
    if (view.result) {
      parts.push(
        `${view.result.files} file${view.result.files === 1 ? '' : 's'}, ${formatBytes(view.result.size_bytes)}`,
      );
    }
    setText(card.meta, parts.join(' · '));
    card.meta.hidden = parts.length === 0;
  }

  private showLocalError(card: Card, text: string): void {
    card.error.dataset.local = 'true';
    setText(card.error, text);
    card.error.hidden = false;
  }

  private async download(card: Card): Promise<void> {
    const { view } = card.state;
    card.download.disabled = true;
    setText(card.download, 'Downloading…');
    try {
      const { blob, name } = await this.options.api.download(
        view.result?.url ?? view.links.result,
        `${view.id}.zip`,
      );
      saveBlob(blob, name);
    } catch (error) {
      this.showLocalError(card, `Download failed: ${(error as Error).message}`);
    } finally {
      card.download.disabled = false;
      setText(card.download, 'Download');
    }
  }

  private async cancel(card: Card): Promise<void> {
    card.cancel.disabled = true;
    try {
      const view = await this.options.api.cancelJob(card.state.view.id);
      card.state = mergeView(card.state, view);
      this.render(card);
      this.syncFollow(card);
      this.options.announce(
        `Job ${shortId(view.id)} ${view.status === 'cancelling' ? 'is being cancelled' : 'cancelled'}.`,
      );
    } catch (error) {
      const message =
        error instanceof ApiError && error.code === 'conflict'
          ? `Not cancelled: ${error.message}`
          : `Cancel failed: ${(error as Error).message}`;
      this.showLocalError(card, message);
      this.scheduleRefresh(card);
    } finally {
      card.cancel.disabled = false;
    }
  }
}
