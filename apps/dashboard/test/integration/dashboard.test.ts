// The dashboard in a real browser: Debian's Chromium driven by playwright-core against a whole
// genq stack in this process. It signs in, submits jobs from the generated form, watches one
// advance live, cancels another, downloads a result, survives a dropped WebSocket, uploads a
// batch, and fails on any console error. It leaves test-output/dashboard.png behind
// (GENQ_UPDATE_DOCS_SCREENSHOT=1, i.e. `npm run docs:screenshot`, also refreshes docs/dashboard.png).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import playwright, {
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { readZip, startTestStack, type TestStack } from '@genq/test-utils';
import { buildDashboard } from '../../src/build.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const outputDir = path.join(root, 'test-output');
const CHROMIUM = process.env.GENQ_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

describe('dashboard in Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install chromium)`,
      );
    }
    // The tests drive what the source says now, not an older build.
    await buildDashboard();
    await mkdir(outputDir, { recursive: true });
    [stack, browser] = await Promise.all([
      startTestStack({ workers: 1, concurrency: 2 }),
      playwright.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
    context = await browser.newContext({
      viewport: { width: 1360, height: 900 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    // Keeps each WebSocket the page opens, so the test can drop the connection under it.
    await page.addInitScript(() => {
      const Native = window.WebSocket;
      const sockets: WebSocket[] = [];
      (window as unknown as { __sockets: WebSocket[] }).__sockets = sockets;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          sockets.push(this);
        }
      };
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.close();
  });

  const card = (id: string): Locator => page.locator(`li.job[data-job-id="${id}"]`);
  const statusOf = (id: string): Promise<string | null> => card(id).getAttribute('data-status');

  /** Fills the noop form and submits it; resolves with the new job's id. */
  async function submitNoop(input: { sleep_ms: number; steps: number; write_file?: boolean }) {
    await page.getByLabel('Generator').selectOption('noop');
    await page.getByLabel('sleep_ms', { exact: true }).fill(String(input.sleep_ms));
    await page.getByLabel('steps', { exact: true }).fill(String(input.steps));
    await page.getByLabel('write_file', { exact: true }).setChecked(input.write_file ?? false);
    const [response] = await Promise.all([
      page.waitForResponse(
        (r) => r.url().endsWith('/api/v1/jobs') && r.request().method() === 'POST',
      ),
      page.getByRole('button', { name: 'Submit job' }).click(),
    ]);
    expect(response.status()).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await card(id).waitFor();
    return id;
  }

  it('signs in, runs, follows, cancels and downloads jobs live, with no console error', async () => {
    const started = Date.now();
    await page.goto(stack.url);
    await page.getByLabel('API key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until(
      () => page.locator('.connection').getAttribute('data-state'),
      (s) => s === 'open',
      'socket',
    );
    // Set once: still there at the end means the page never reloaded.
    await page.evaluate(
      () => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true),
    );

    // 1. A job from the form, followed live: the bar fills and the steps advance.
    const first = await submitNoop({ sleep_ms: 4_000, steps: 8, write_file: true });
    const seen: { progress: number; active: string | null; status: string | null }[] = [];
    for (;;) {
      const sample = await card(first).evaluate((element) => ({
        progress: (element.querySelector('progress') as HTMLProgressElement).value,
        active:
          element.querySelector('.step[data-state="active"]')?.getAttribute('data-step') ?? null,
        status: element.getAttribute('data-status'),
      }));
      const last = seen.at(-1);
      if (
        !last ||
        last.progress !== sample.progress ||
        last.active !== sample.active ||
        last.status !== sample.status
      ) {
        seen.push(sample);
      }
      if (sample.status === 'completed' || sample.status === 'failed') break;
      if (Date.now() - started > 30_000)
        throw new Error(`job did not finish: ${JSON.stringify(seen)}`);
      await sleep(60);
    }
    expect(seen.at(-1)?.status).toBe('completed');
    const progress = seen.map((s) => s.progress);
    // Non-decreasing, with several values strictly between 0 and 100 seen on the way.
    progress
      .slice(1)
      .forEach((value, index) => expect(value).toBeGreaterThanOrEqual(progress[index]!));
    expect(new Set(progress.filter((p) => p > 0 && p < 100)).size).toBeGreaterThanOrEqual(3);
    expect(seen.some((s) => s.active === 'generating')).toBe(true);
    const finalSteps = await card(first)
      .locator('.step')
      .evaluateAll((steps) => steps.map((s) => s.getAttribute('data-state')));
    expect(finalSteps).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    await expect(card(first).getByRole('button', { name: 'Cancel' }).isHidden()).resolves.toBe(
      true,
    );
    // Run time and size come with the job's final view, fetched once it finished.
    await until(
      () => card(first).locator('.meta').textContent(),
      (text) => /took .* s · 1 file/.test(text ?? ''),
      'run time and result shown',
    );

    // 2. A long job, cancelled from its button while it runs.
    const second = await submitNoop({ sleep_ms: 60_000, steps: 60 });
    await until(
      () => statusOf(second),
      (s) => s === 'running',
      'second job running',
    );
    await card(second).getByRole('button', { name: 'Cancel' }).click();
    await until(
      () => statusOf(second),
      (s) => s === 'cancelled',
      'second job cancelled',
    );
    expect(await card(second).locator('.step[data-step="end"]').getAttribute('data-state')).toBe(
      'cancelled',
    );
    expect(await card(second).locator('.badge').textContent()).toBe('cancelled');

    // 3. The first job's ZIP through its download button (the page fetches it with the key).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card(first).getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    const saved = path.join(outputDir, 'dashboard-download.zip');
    await download.saveAs(saved);
    const zip = await readFile(saved);
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    expect([...(await readZip(zip)).keys()]).toContain('noop.txt');

    // 4. The connection drops: the page reconnects by itself, resubscribes and ends right.
    const third = await submitNoop({ sleep_ms: 2_000, steps: 4, write_file: true });
    const stateAfterDrop = await page.evaluate(async () => {
      const sockets = (window as unknown as { __sockets: WebSocket[] }).__sockets;
      const socket = sockets.at(-1)!;
      await new Promise<void>((resolve) => {
        socket.addEventListener('close', () => setTimeout(resolve, 0));
        socket.close();
      });
      return document.querySelector('.connection')?.getAttribute('data-state');
    });
    expect(stateAfterDrop).toBe('waiting');
    await until(
      () => page.locator('.connection').getAttribute('data-state'),
      (s) => s === 'open',
      'reconnected',
    );
    await until(
      () => statusOf(third),
      (s) => s === 'completed',
      'third job completed after the drop',
    );
    expect(
      await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.length),
    ).toBeGreaterThanOrEqual(2);
    expect(
      await card(third)
        .locator('progress')
        .evaluate((p) => (p as HTMLProgressElement).value),
    ).toBe(100);

    // 5. A batch from a JSON Lines file, with a live summary.
    const lines = [1, 2, 3].map((n) =>
      JSON.stringify({
        generator: 'noop',
        input: { sleep_ms: 300 * n, steps: 2, write_file: true },
      }),
    );
    await page.getByLabel('Jobs file').setInputFiles({
      name: 'jobs.jsonl',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(`${lines.join('\n')}\n`),
    });
    await page.getByRole('button', { name: 'Upload batch' }).click();
    const upload = page.locator('.upload').first();
    await until(
      () => upload.getAttribute('data-status'),
      (s) => s === 'completed',
      'batch completed',
    );
    expect(await upload.locator('.meta').textContent()).toMatch(/^3 jobs in 1 batch: 3 completed/);
    await upload.getByRole('button', { name: 'Download results' }).waitFor();

    // 6. Something running and something waiting, for the screenshot.
    const running1 = await submitNoop({ sleep_ms: 30_000, steps: 100 });
    const running2 = await submitNoop({ sleep_ms: 20_000, steps: 100 });
    const waiting = await submitNoop({ sleep_ms: 5_000, steps: 10 });
    await until(
      () =>
        page
          .locator('li.job[data-status="running"] progress')
          .evaluateAll((bars) => bars.map((b) => (b as HTMLProgressElement).value)),
      (values) => values.length === 2 && values.every((v) => v >= 8),
      'two jobs under way',
    );
    await until(
      () => card(waiting).locator('.meta').textContent(),
      (t) => /ETA/.test(t ?? ''),
      'ETA shown',
    );
    await until(
      () => page.locator('.tile[data-stat="processing"] .tile-value').textContent(),
      (t) => t === '2',
      'stats updated',
      10_000,
    );
    await page.setViewportSize({ width: 1360, height: 1180 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
    const screenshot = path.join(outputDir, 'dashboard.png');
    await page.screenshot({ path: screenshot });
    if (process.env.GENQ_UPDATE_DOCS_SCREENSHOT === '1') {
      await copyFile(screenshot, path.join(root, 'docs/dashboard.png'));
    }

    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    expect(consoleErrors).toEqual([]);
    // Nothing left running: the stack closes without waiting for these.
    await Promise.all(
      [running1, running2, waiting].map((id) => stack.http('DELETE', `/api/v1/jobs/${id}`)),
    );
  }, 60_000);

  it('shows the API validation errors next to the fields they name', async () => {
    const free = await stack.createClient('free');
    const other = await browser.newContext();
    const form = await other.newPage();
    form.setDefaultTimeout(8_000);
    const errors: string[] = [];
    form.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    form.on('pageerror', (error) => errors.push(error.message));
    await form.goto(stack.url);
    await form.getByLabel('API key').fill(free.apiKey);
    await form.getByRole('button', { name: 'Sign in' }).click();
    // A field's error: the element its control names in aria-describedby (`<id>-error`).
    const errorOf = async (control: Locator): Promise<Locator> =>
      form.locator(`#${await control.getAttribute('id')}-error`);

    // Out of range: 400, shown under the field, which is marked invalid.
    await form.getByLabel('Generator').selectOption('noop');
    const sleepMs = form.getByLabel('sleep_ms', { exact: true });
    await sleepMs.fill('700000');
    await form.getByRole('button', { name: 'Submit job' }).click();
    await (await errorOf(sleepMs)).filter({ hasText: /600000|600,000|<=/ }).waitFor();
    expect(await sleepMs.getAttribute('aria-invalid')).toBe('true');

    // Above the free tier's priority: 403 with the detail at `priority`.
    await sleepMs.fill('10');
    await form.getByLabel('Priority').selectOption('HIGH');
    await form.getByRole('button', { name: 'Submit job' }).click();
    await form.locator('#priority-error').filter({ hasText: /LOW/ }).waitFor();
    expect(await sleepMs.getAttribute('aria-invalid')).toBeNull();

    // Nested: an item of test-data's `fields` (oneOf by `type`) without its name.
    await form.getByLabel('Priority').selectOption('');
    await form.getByLabel('Generator').selectOption('test-data');
    await form.getByRole('button', { name: 'Add fields item' }).click();
    await form.getByRole('button', { name: 'Submit job' }).click();
    const item = form.locator('.array-item').first();
    const name = item.getByRole('textbox', { name: 'name', exact: true });
    await (await errorOf(name)).filter({ hasText: /expected string/ }).waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    // Filled in (a type from an option that stands for several), it goes through.
    await item.getByRole('combobox', { name: 'type', exact: true }).selectOption('email');
    await item.getByRole('textbox', { name: 'name', exact: true }).fill('contact');
    await form.getByLabel('rows', { exact: true }).fill('5');
    const [accepted] = await Promise.all([
      form.waitForResponse(
        (r) => r.url().endsWith('/api/v1/jobs') && r.request().method() === 'POST',
      ),
      form.getByRole('button', { name: 'Submit job' }).click(),
    ]);
    expect(accepted.status()).toBe(202);
    expect(JSON.parse(accepted.request().postData() ?? '{}')).toEqual({
      generator: 'test-data',
      input: { rows: 5, fields: [{ type: 'email', name: 'contact' }] },
    });
    await other.close();
    // The browser reports the refused requests themselves; nothing else may appear.
    expect(errors.filter((e) => !/status of 40[03]/.test(e))).toEqual([]);
  }, 30_000);

  it('serves the page revalidated and the hashed assets immutable and gzipped, under a strict CSP', async () => {
    const index = await fetch(stack.url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    const script = /src="(\/assets\/app-\w+\.js)"/.exec(await index.text())?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${stack.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${stack.url}/assets/app-MISSING.js`)).status).toBe(404);
  });

  it('serves the ops view (bull-board) at /admin/queues to the admin key only', async () => {
    const url = `${stack.url}/admin/queues`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="genq admin"/);
    const basic = (password: string) => ({
      authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`,
    });
    expect((await fetch(url, { headers: basic('wrong') })).status).toBe(401);
    expect((await fetch(url, { headers: basic(stack.apiKey) })).status).toBe(401);
    const admitted = await fetch(url, { headers: basic(stack.adminKey) });
    expect(admitted.status).toBe(200);
    expect(await admitted.text()).toContain('<div id="root">');
    const api = await fetch(`${url}/api/queues`, { headers: basic(stack.adminKey) });
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain('generation.noop');
    // Read-only: genq's rows, not BullMQ, decide what happens to a job.
    const pause = await fetch(`${url}/api/queues/generation.noop/pause`, {
      method: 'PUT',
      headers: basic(stack.adminKey),
    });
    expect(pause.status).toBe(405);

    // The UI itself renders under its CSP: scripts run, the queues show.
    const ops = await browser.newContext({
      httpCredentials: { username: 'ops', password: stack.adminKey },
    });
    const opsPage = await ops.newPage();
    const violations: string[] = [];
    opsPage.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    opsPage.on('pageerror', (error) => violations.push(error.message));
    await opsPage.goto(url);
    await opsPage.getByText('generation.noop').first().waitFor({ timeout: 15_000 });
    await ops.close();
    expect(violations).toEqual([]);
  }, 30_000);
});

describe('dashboard build', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'genq-dashboard-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes index.html pointing at hashed, gzipped assets, small enough to load fast', async () => {
    const built = await buildDashboard({ outdir: dir });
    const html = await readFile(path.join(dir, 'index.html'), 'utf8');
    expect(html).toContain(`/assets/${built.files.js}`);
    expect(html).toContain(`/assets/${built.files.css}`);
    expect(html).not.toMatch(/<script>|style=/);
    expect(built.sizes[built.files.js]!.gzip).toBeLessThan(40 * 1024);
    expect(existsSync(path.join(dir, 'assets', `${built.files.js}.gz`))).toBe(true);
  });
});
