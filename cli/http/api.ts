import { sendHonouringRetryAfter, type RetryAfterPolicy } from '../../shared/http/retry-after';
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

/** How the CLI honours 429 (shared/http/retry-after.ts); `onRetry` gets a sentence for stderr. */
export interface RetryPolicy extends Omit<RetryAfterPolicy, 'onRetry'> {
  onRetry?: (message: string) => void;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 5, maxDelaySeconds: 30, maxWaitSeconds: 60 };

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
    const { onRetry, ...policy } = this.retry;
    const response = await sendHonouringRetryAfter(() => this.sendAuthorized(method, url, options), {
      ...policy,
      onRetry: (seconds, attempt) =>
        onRetry?.(
          `${method} ${path}: over this tenant's request rate (HTTP 429); retrying in ${seconds} s (${attempt}/${policy.maxRetries})`,
        ),
    });
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
