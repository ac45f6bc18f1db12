/**
 * The Sluice HTTP API (README "API"): every call carries the ID token; a 401 refreshes the tokens once and
 * retries. Errors come back as ApiError with the API's code and message.
 */
// The contract's types and error class come from the API's own code (type-only imports, erased from the bundle;
// the error class is plain TypeScript).
import { ApiError } from '../../shared/http/errors';
import { sendHonouringRetryAfter, type RetryAfterPolicy } from '../../shared/http/retry-after';
import type { JobStatus, JobView as Job } from '../../shared/jobs/model';
import type { Rejection } from '../../shared/cloudevents/types';

export { ApiError };
export type { Job, JobStatus, Rejection };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface StoredEvent {
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  data?: unknown;
  [attribute: string]: unknown;
}

export interface SchemaSummary {
  type: string;
  updatedAt: string;
}

export interface Upload {
  jobId: string;
  uploadUrl: string;
  method: string;
  expiresAt: string;
}

export interface EventQuery {
  type: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

/** `{"error":{"code","message","details"}}`, or API Gateway's own `{"message"}` (401, 404, 413, 500). */
export function apiErrorFrom(status: number, body: unknown): ApiError {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const error = record.error;
  if (typeof error === 'object' && error !== null) {
    const { code, message, details } = error as Record<string, unknown>;
    return new ApiError(
      status,
      String(code ?? `HTTP${status}`),
      String(message ?? 'The request failed.'),
      Array.isArray(details) ? details : [],
    );
  }
  if (status === 401) return new ApiError(401, 'Unauthorized', 'Your session has ended: sign in again.');
  const message =
    typeof record.message === 'string' ? record.message : `The request failed (HTTP ${status}).`;
  return new ApiError(status, `HTTP${status}`, message);
}

/** A query string of the parameters that have a value. */
export function queryString(parameters: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface TokenSource {
  idToken(): Promise<string | undefined>;
  forceRefresh(): Promise<string | undefined>;
}

/** How the app honours 429 (shared/http/retry-after.ts); main.ts announces each wait through `onRetry`. */
export type RetryOptions = Partial<RetryAfterPolicy>;

export function createApi(
  apiUrl: string,
  tokens: TokenSource,
  fetchImpl: typeof fetch = (i, o) => fetch(i, o),
  retry: RetryOptions = {},
) {
  const base = apiUrl.replace(/\/+$/, '');
  const policy: RetryAfterPolicy = { maxRetries: 3, maxDelaySeconds: 10, maxWaitSeconds: 20, ...retry };

  async function send(method: string, path: string, token: string | undefined, body?: string) {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetchImpl(`${base}${path}`, { method, headers, body });
    } catch {
      throw new ApiError(0, 'NetworkError', 'The Sluice API cannot be reached. Check your connection.');
    }
  }

  async function sendAuthorized(method: string, path: string, body?: string) {
    let response = await send(method, path, await tokens.idToken(), body);
    if (response.status === 401) {
      const renewed = await tokens.forceRefresh();
      if (renewed) response = await send(method, path, renewed, body);
    }
    return response;
  }

  async function request<T>(method: string, path: string, body?: string): Promise<T> {
    const response = await sendHonouringRetryAfter(() => sendAuthorized(method, path, body), policy);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!response.ok) throw apiErrorFrom(response.status, parsed);
    return parsed as T;
  }

  const enc = encodeURIComponent;
  const listSchemas = (cursor?: string) =>
    request<Page<SchemaSummary>>('GET', `/schemas${queryString({ limit: 100, cursor })}`);
  return {
    listJobs: (cursor?: string, limit = 20) =>
      request<Page<Job>>('GET', `/jobs${queryString({ limit, cursor })}`),
    getJob: (jobId: string) => request<Job>('GET', `/jobs/${enc(jobId)}`),
    getJobErrors: (jobId: string) =>
      request<{ jobId: string; items: Rejection[] }>('GET', `/jobs/${enc(jobId)}/errors`),
    createUpload: (filename: string, contentType?: string) =>
      request<Upload>('POST', '/uploads', JSON.stringify({ filename, contentType })),
    listEvents: (query: EventQuery) =>
      request<Page<StoredEvent>>('GET', `/events${queryString({ ...query })}`),
    listSchemas,
    /** Every schema summary, following cursors (a tenant has a handful of types, not thousands). */
    async listAllSchemas(maxPages = 10): Promise<SchemaSummary[]> {
      const items: SchemaSummary[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < maxPages; page += 1) {
        const next = await listSchemas(cursor);
        items.push(...next.items);
        if (!next.nextCursor) break;
        cursor = next.nextCursor;
      }
      return items;
    },
    getSchema: (type: string) =>
      request<{ type: string; schema: unknown; createdAt: string; updatedAt: string }>(
        'GET',
        `/schemas/${enc(type)}`,
      ),
    /** The schema as the user typed it: the API reports JSON and compiler errors itself. */
    putSchema: (type: string, schemaText: string) =>
      request<{ type: string; createdAt: string; updatedAt: string }>(
        'PUT',
        `/schemas/${enc(type)}`,
        schemaText,
      ),
  };
}

export type SluiceApi = ReturnType<typeof createApi>;
