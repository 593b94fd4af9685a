import type { Api } from './api.ts';
import { h, setText } from './dom.ts';
import { formatDuration, formatNumber, formatTime } from './format.ts';
import type { QueueStats } from './types.ts';

const POLL_MS = 4_000;

interface Tile {
  value: HTMLElement;
  detail: HTMLElement;
}

/** Queue stats (GET /api/v1/queue/stats), polled every few seconds while the page is visible. */
export class StatsPanel {
  readonly element: HTMLElement;
  private readonly tiles: Record<string, Tile> = {};
  private readonly workers: HTMLElement;
  private readonly totals: HTMLElement;
  private readonly updated: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'visible' && !this.stopped) void this.poll();
  };

  constructor(private readonly api: Api) {
    const tile = (key: string, label: string): HTMLElement => {
      const value = h('dd', { className: 'tile-value' }, '–');
      const detail = h('dd', { className: 'tile-detail' });
      this.tiles[key] = { value, detail };
      return h('div', { className: 'tile', 'data-stat': key }, h('dt', {}, label), value, detail);
    };
    this.workers = h('p', { className: 'hint workers' });
    this.totals = h('p', { className: 'hint totals' });
    // Not a live region: a screen reader would read it out every few seconds.
    this.updated = h('p', { className: 'hint updated' });
    this.element = h(
      'section',
      { className: 'panel stats-panel', 'aria-labelledby': 'stats-heading' },
      h('h2', { id: 'stats-heading' }, 'Queue'),
      h(
        'dl',
        { className: 'tiles' },
        tile('pending', 'Pending'),
        tile('processing', 'Processing'),
        tile('throughput', 'Completed, last minute'),
        tile('oldest', 'Oldest wait'),
        tile('workers', 'Live workers'),
      ),
      this.workers,
      this.totals,
      this.updated,
    );
  }

  start(): void {
    this.stopped = false;
    document.addEventListener('visibilitychange', this.onVisibility);
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    document.removeEventListener('visibilitychange', this.onVisibility);
    if (this.timer) clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    try {
      this.render(await this.api.queueStats());
    } catch (error) {
      setText(this.updated, `Stats unavailable: ${(error as Error).message}`);
    }
    if (this.stopped) return;
    // Hidden tabs stop polling; becoming visible polls at once.
    if (document.visibilityState === 'visible') {
      this.timer = setTimeout(() => void this.poll(), POLL_MS);
    }
  }

  private set(key: string, value: string, detail = ''): void {
    const tile = this.tiles[key];
    if (!tile) return;
    setText(tile.value, value);
    setText(tile.detail, detail);
  }

  private render(stats: QueueStats): void {
    const p = stats.pending_by_priority;
    this.set(
      'pending',
      formatNumber(stats.pending),
      `HIGH ${formatNumber(p.HIGH)} · NORMAL ${formatNumber(p.NORMAL)} · LOW ${formatNumber(p.LOW)}` +
        (stats.delayed ? ` · ${formatNumber(stats.delayed)} delayed` : ''),
    );
    const capacity = stats.job_slots;
    // A client key sees its own totals; the admin key the fleet's.
    const totals =
      stats.own ??
      (stats.completed === undefined
        ? undefined
        : {
            completed: stats.completed,
            failed: stats.failed ?? 0,
            cancelled: stats.cancelled ?? 0,
          });
    this.set(
      'processing',
      formatNumber(stats.processing),
      capacity ? `of ${formatNumber(capacity)} slots busy` : '',
    );
    this.set(
      'throughput',
      formatNumber(stats.completed_last_minute),
      stats.average_processing_time_seconds !== null
        ? `avg ${formatDuration(stats.average_processing_time_seconds)} per job`
        : '',
    );
    this.set(
      'oldest',
      stats.oldest_pending_job_age_seconds === null
        ? '–'
        : formatDuration(stats.oldest_pending_job_age_seconds),
      stats.oldest_pending_job_age_seconds === null ? 'nothing waiting' : '',
    );
    this.set('workers', formatNumber(stats.live_workers), capacity ? `${capacity} job slots` : '');
    setText(
      this.totals,
      totals
        ? `${stats.own ? 'Your jobs' : 'Totals'}: ${formatNumber(totals.completed)} completed · ${formatNumber(totals.failed)} failed · ${formatNumber(totals.cancelled)} cancelled`
        : '',
    );
    setText(
      this.workers,
      (stats.workers ?? [])
        .map((w) => `${w.host}:${w.pid} ${w.running}/${w.concurrency} (${w.generators.join(', ')})`)
        .join(' · '),
    );
    setText(this.updated, `Updated ${formatTime(stats.timestamp)}`);
  }
}
