import { ApiError, CliError, NotSignedInError } from '../errors';
import type { Job, Rejection } from '../jobs/job';

export interface BearerSource {
  bearer(): Promise<string>;
  bearerAfterRejection(): Promise<string | undefined>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * How the client honours 429 Too Many Requests (README "Tenant limits"): every Sluice route refuses a request
 * over the tenant's rate before doing anything, so each one (POST /events included) is safe to send again. The
 * client waits `Retry-After` seconds (capped per wait), tells the user, and gives up after `maxRetries` or once
 * the waits would pass `maxWaitSeconds` in total, surfacing the 429.
 */
export interface RetryPolicy {
  maxRetries: number;
  /** Longest single wait, whatever Retry-After says. */
  maxDelaySeconds: number;
  /** Most seconds spent waiting for one request. */
  maxWaitSeconds: number;
  /** Told before each wait (the CLI writes it to stderr). */
  onRetry?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 5, maxDelaySeconds: 30, maxWaitSeconds: 60 };

/** Retry-After as delay-seconds (what Sluice sends) or an HTTP-date; 1 s when absent or unreadable. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number {
  if (value && /^\d+$/.test(value.trim())) return Math.max(1, Number(value.trim()));
  const date = value ? Date.parse(value) : NaN;
  if (Number.isFinite(date)) return Math.max(1, Math.ceil((date - now) / 1000));
  return 1;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: string;
  contentType?: string;
}

/** The Sluice HTTP API, with the signed-in user's ID token as the bearer. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly auth: BearerSource,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly retry: RetryPolicy = defaultRetryPolicy,
  ) {}

  postEvents(batchBody: string): Promise<{ jobId: string; status: string }> {
    return this.request('POST', '/events', {
      body: batchBody,
      contentType: 'application/cloudevents-batch+json',
    });
  }

  createUpload(
    filename: string,
    contentType: string,
  ): Promise<{ jobId: string; uploadUrl: string; method: string; expiresAt: string }> {
    return this.request('POST', '/uploads', {
      body: JSON.stringify({ filename, contentType }),
      contentType: 'application/json',
    });
  }

  getJob(jobId: string): Promise<Job> {
    return this.request('GET', `/jobs/${encodeURIComponent(jobId)}`);
  }

  listJobs(query: { limit?: number; cursor?: string }): Promise<Page<Job>> {
    return this.request('GET', '/jobs', { query });
  }

  /** The whole rejection report, following the API's pages. */
  async jobErrors(jobId: string): Promise<{ jobId: string; items: Rejection[] }> {
    const items: Rejection[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<Page<Rejection>>('GET', `/jobs/${encodeURIComponent(jobId)}/errors`, {
        query: { cursor },
      });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { jobId, items };
  }

  listEvents(query: {
    type: string;
    since?: string;
    until?: string;
    limit?: number;
    cursor?: string;
  }): Promise<Page<Record<string, unknown>>> {
    return this.request('GET', '/events', { query });
  }

  getEvent(id: string, source: string): Promise<Record<string, unknown>> {
    return this.request('GET', `/events/${encodeURIComponent(id)}`, { query: { source } });
  }

  putSchema(type: string, schemaJson: string): Promise<unknown> {
    return this.request('PUT', `/schemas/${encodeURIComponent(type)}`, {
      body: schemaJson,
      contentType: 'application/json',
    });
  }

  getSchema(type: string): Promise<unknown> {
    return this.request('GET', `/schemas/${encodeURIComponent(type)}`);
  }

  listSchemas(query: {
    limit?: number;
    cursor?: string;
  }): Promise<Page<{ type: string; updatedAt?: string }>> {
    return this.request('GET', '/schemas', { query });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(path, options.query);
    let response = await this.sendAuthorized(method, url, options);
    let waited = 0;
    for (let attempt = 1; response.status === 429 && attempt <= this.retry.maxRetries; attempt += 1) {
      const delay = Math.min(
        retryAfterSeconds(response.headers.get('retry-after')),
        this.retry.maxDelaySeconds,
      );
      if (waited + delay > this.retry.maxWaitSeconds) break;
      await response.body?.cancel();
      this.retry.onRetry?.(
        `${method} ${path}: over this tenant's request rate (HTTP 429); retrying in ${delay} s (${attempt}/${this.retry.maxRetries})`,
      );
      await (this.retry.sleep ?? sleep)(delay * 1000);
      waited += delay;
      response = await this.sendAuthorized(method, url, options);
    }
    const text = await response.text();
    if (!response.ok) throw errorFromResponse(response.status, text);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `${method} ${path}: the API answered HTTP ${response.status} with a body that is not JSON`,
      );
    }
  }

  private async sendAuthorized(method: string, url: string, options: RequestOptions): Promise<Response> {
    let response = await this.send(method, url, options, await this.auth.bearer());
    if (response.status === 401) {
      const renewed = await this.auth.bearerAfterRejection();
      if (renewed) response = await this.send(method, url, options, renewed);
      if (response.status === 401) throw new NotSignedInError();
    }
    return response;
  }

  private url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private async send(method: string, url: string, options: RequestOptions, token: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (options.contentType) headers['content-type'] = options.contentType;
    try {
      return await this.fetchImpl(url, { method, headers, body: options.body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Maps `{"error":{"code","message","details"}}` (or API Gateway's `{"message"}`) onto an ApiError. */
export function errorFromResponse(status: number, text: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new ApiError(status, 'HttpError', text.trim().slice(0, 300) || 'no body');
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } })?.error;
  if (error && typeof error === 'object') {
    return new ApiError(
      status,
      typeof error.code === 'string' ? error.code : 'HttpError',
      typeof error.message === 'string' ? error.message : 'no message',
      Array.isArray(error.details) ? error.details : [],
    );
  }
  const message = (body as { message?: unknown })?.message;
  return new ApiError(status, 'HttpError', typeof message === 'string' ? message : text.slice(0, 300));
}
