import type {
  ApiErrorDetail,
  BatchAccepted,
  GeneratorInfo,
  JobList,
  JobView,
  QueueStats,
} from './types.ts';

/** An error answer of the API (`{"error": {code, message, details}}`), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ApiErrorDetail[] = [],
    /** Seconds, from Retry-After (429, 503). */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The API over fetch, same origin only. The key goes in the Authorization header of these
 * requests and nowhere else (never in a URL, never to another origin).
 */
export class Api {
  constructor(private readonly key: string) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Sends a request; any non-2xx answer becomes an ApiError. */
  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network_error', 'genq cannot be reached; check your connection');
    }
    if (response.ok) return response;
    let error: { code?: string; message?: string; details?: ApiErrorDetail[] } = {};
    try {
      error = ((await response.json()) as { error?: typeof error }).error ?? {};
    } catch {
      // not JSON (a proxy's error page): the status says enough
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      error.code ?? `http_${response.status}`,
      error.message ?? `${response.status} ${response.statusText}`,
      Array.isArray(error.details) ? error.details : [],
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    );
  }

  /** Checks the key: resolves for a client key, throws ApiError (401/403) otherwise. */
  async verify(): Promise<void> {
    await this.request('GET', '/api/v1/jobs?limit=1');
  }

  listJobs(limit: number, cursor?: string | null): Promise<JobList> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    return this.request('GET', `/api/v1/jobs?${query}`);
  }

  getJob(id: string): Promise<JobView> {
    return this.request('GET', `/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  submitJob(body: { generator: string; input: unknown; priority?: string }): Promise<JobView> {
    return this.request('POST', '/api/v1/jobs', body);
  }

  cancelJob(id: string): Promise<JobView> {
    return this.request('DELETE', `/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  submitBatch(requests: unknown[]): Promise<BatchAccepted> {
    return this.request('POST', '/api/v1/jobs/batch', { requests });
  }

  generators(): Promise<{ generators: GeneratorInfo[] }> {
    return this.request('GET', '/api/v1/generators');
  }

  queueStats(): Promise<QueueStats> {
    return this.request('GET', '/api/v1/queue/stats');
  }

  /** Downloads a result (which needs the Authorization header) as a Blob and its file name. */
  async download(path: string, fallbackName: string): Promise<{ blob: Blob; name: string }> {
    const response = await this.send('GET', path);
    const disposition = response.headers.get('content-disposition') ?? '';
    const name =
      /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ??
      /filename="?([^";]+)"?/i.exec(disposition)?.[1] ??
      fallbackName;
    return { blob: await response.blob(), name: safeFileName(name) };
  }
}

function safeFileName(encoded: string): string {
  let name = encoded;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    // not percent-encoded after all
  }
  return name.replace(/[/\\]/g, '_') || 'result.zip';
}
