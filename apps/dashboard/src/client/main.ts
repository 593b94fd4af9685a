import './styles.css';
import icon from './favicon.svg';
import { Api, ApiError } from './api.ts';
import { BatchPanel } from './batch.ts';
import { h, setText } from './dom.ts';
import { JobsPanel } from './jobs.ts';
import { LiveConnection, type ConnectionState } from './live.ts';
import { StatsPanel } from './stats.ts';
import { SubmitPanel } from './submit.ts';
import type { ServerMessage } from './types.ts';

// The key stays in this browser: sessionStorage (this tab) or, with "remember", localStorage.
const STORAGE_KEY = 'genq.apiKey';

function storedKey(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function storeKey(key: string | null, remember = false): void {
  try {
    localStorage.removeItem(STORAGE_KEY);
    sessionStorage.removeItem(STORAGE_KEY);
    if (key) (remember ? localStorage : sessionStorage).setItem(STORAGE_KEY, key);
  } catch {
    // storage disabled: the key lives as long as the page
  }
}

const root = document.getElementById('app')!;
const announcer = h('div', {
  className: 'visually-hidden',
  'aria-live': 'polite',
  'aria-atomic': 'true',
});
document.body.append(announcer);

/** Reads `text` out to screen readers (polite). */
function announce(text: string): void {
  announcer.textContent = '';
  setTimeout(() => (announcer.textContent = text), 50);
}

function header(...right: Node[]): HTMLElement {
  return h(
    'header',
    { className: 'top' },
    h(
      'a',
      { className: 'brand', href: '/' },
      h('img', { src: icon, alt: '', width: 28, height: 28 }),
      'genq',
    ),
    h('div', { className: 'top-right' }, right),
  );
}

function why(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401)
      return 'This key was refused: check it, or ask an operator for a new one.';
    if (error.status === 403) {
      return 'This is the admin key: sign in with a client key. Operators find the queues at /admin/queues.';
    }
    return error.message;
  }
  return String(error);
}

function showSignIn(message?: string): void {
  const keyInput = h('input', {
    id: 'api-key',
    name: 'api-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'api-key-hint sign-in-error',
  });
  const remember = h('input', { id: 'remember', type: 'checkbox' });
  const error = h(
    'p',
    { id: 'sign-in-error', className: 'form-error', role: 'alert', hidden: !message },
    message ?? '',
  );
  const button = h('button', { type: 'submit', className: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { className: 'panel sign-in', noValidate: true, 'aria-labelledby': 'sign-in-heading' },
    h('h1', { id: 'sign-in-heading' }, 'Sign in to genq'),
    h(
      'div',
      { className: 'field' },
      h('label', { for: 'api-key' }, 'API key'),
      keyInput,
      h(
        'p',
        { className: 'hint', id: 'api-key-hint' },
        'A client key (genq_…). It stays in this browser and is sent only to this genq server.',
      ),
    ),
    h(
      'div',
      { className: 'field field-inline' },
      remember,
      h('label', { for: 'remember' }, 'Remember me on this device'),
    ),
    error,
    h('div', { className: 'actions' }, button),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) {
      error.textContent = 'Enter your API key.';
      error.hidden = false;
      keyInput.focus();
      return;
    }
    button.disabled = true;
    new Api(key).verify().then(
      () => {
        storeKey(key, remember.checked);
        showDashboard(key, true);
      },
      (failure: unknown) => {
        button.disabled = false;
        error.textContent = why(failure);
        error.hidden = false;
        keyInput.focus();
      },
    );
  });
  root.replaceChildren(header(), h('main', { id: 'main', className: 'sign-in-main' }, form));
  document.title = 'Sign in · genq';
  keyInput.focus();
}

function connectionText(state: ConnectionState): string {
  switch (state.kind) {
    case 'open':
      return 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'waiting':
      return state.attempt > 1 ? `Reconnecting (attempt ${state.attempt})…` : 'Reconnecting…';
    case 'closed':
      return `Offline: ${state.reason}`;
  }
}

const isRefused = (error: unknown): boolean =>
  error instanceof ApiError && (error.status === 401 || error.status === 403);

function showDashboard(key: string, verified: boolean): void {
  const api = new Api(key);
  const connection = h(
    'span',
    { className: 'connection', 'data-state': 'connecting', role: 'status' },
    'Connecting…',
  );
  const signOutButton = h('button', { type: 'button', className: 'secondary small' }, 'Sign out');

  const live = new LiveConnection({
    key,
    onMessage: (message) => route(message),
    onState(state) {
      connection.dataset.state = state.kind;
      setText(connection, connectionText(state));
    },
    onReconnected: () => void jobs.loadFirstPage(),
    checkKeyRefused: () =>
      api.verify().then(
        () => false,
        (error: unknown) => {
          const refused = isRefused(error);
          if (refused) setTimeout(() => signOut(why(error)));
          return refused;
        },
      ),
    onKeyRevoked: () => signOut('Your API key was revoked: sign in with another key.'),
  });
  const jobs = new JobsPanel({ api, live, announce });
  const batch = new BatchPanel({
    api,
    live,
    announce,
    onSubmitted: () => void jobs.loadFirstPage(),
  });
  // One socket carries everything: job events go to the list and to the batch summaries.
  function route(message: ServerMessage): void {
    if (message.type === 'batch_snapshot') batch.handleSnapshot(message);
    else if (message.type === 'error') {
      if (message.job_id) jobs.handleSocketError(message.job_id, message.error.code);
      if (message.batch_id) batch.handleSocketError(message.batch_id, message.error.code);
    } else {
      jobs.handleEvent(message);
      batch.handleEvent(message);
    }
  }
  const submit = new SubmitPanel({ api, announce, onSubmitted: (job) => jobs.addSubmitted(job) });
  const stats = new StatsPanel(api);

  const online = (): void => live.reconnectNow();
  const visible = (): void => {
    if (document.visibilityState === 'visible') live.reconnectNow();
  };
  function signOut(message?: string): void {
    live.stop();
    jobs.stop();
    stats.stop();
    window.removeEventListener('online', online);
    document.removeEventListener('visibilitychange', visible);
    storeKey(null);
    showSignIn(message);
  }
  signOutButton.addEventListener('click', () => signOut());
  window.addEventListener('online', online);
  document.addEventListener('visibilitychange', visible);

  root.replaceChildren(
    h('a', { className: 'skip-link', href: '#jobs-heading' }, 'Skip to jobs'),
    header(connection, signOutButton),
    h(
      'main',
      { id: 'main', className: 'layout' },
      h('h1', { className: 'visually-hidden' }, 'genq dashboard'),
      h('div', { className: 'column side' }, submit.element, batch.element),
      h('div', { className: 'column wide' }, stats.element, jobs.element),
    ),
  );
  document.title = 'genq dashboard';
  live.start();
  jobs.start();
  stats.start();
  void submit.load();
  // A remembered key may have been revoked since.
  if (!verified) {
    api.verify().catch((error: unknown) => {
      if (isRefused(error)) signOut(why(error));
    });
  }
}

const key = storedKey();
if (key) showDashboard(key, false);
else showSignIn();
