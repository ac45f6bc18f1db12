/**
 * The web app's fetch layer honours 429 and Retry-After (web/src/api.ts): it waits (capped), says so, sends the
 * same request again, and surfaces the 429 once its attempts or its total wait are spent; following a job
 * survives a 429. Fetch and the waits are stubbed (recorded, not slept).
 */
import { describe, expect, it } from 'vitest';
import { ApiError, createApi, type RetryOptions } from '../../web/src/api';
import { retryAfterSeconds } from '../../shared/http/retry-after';
import { followJob } from '../../web/src/follow-job';

const tooMany = (retryAfter = '1') =>
  new Response(
    JSON.stringify({
      error: { code: 'TooManyRequests', message: 'over 5 requests per second', details: [] },
    }),
    {
      status: 429,
      headers: {
        'content-type': 'application/json',
        'retry-after': retryAfter,
        'ratelimit-policy': '"tenant";q=5;w=1',
      },
    },
  );
const ok = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const tokens = { idToken: async () => 'id', forceRefresh: async () => undefined };

function stubbed(responses: Response[], options: RetryOptions = {}) {
  const requests: { url: string; method?: string; body?: unknown }[] = [];
  const waits: number[] = [];
  const told: number[] = [];
  const fetchImpl = (async (url: string, init?: RequestInit) => {
    requests.push({ url, method: init?.method, body: init?.body });
    return responses.shift() ?? ok({ items: [], nextCursor: null });
  }) as typeof fetch;
  const api = createApi('https://api.example.com', tokens, fetchImpl, {
    sleep: async (ms) => void waits.push(ms),
    onRetry: (seconds) => told.push(seconds),
    ...options,
  });
  return { api, requests, waits, told };
}

describe('web app: 429 and Retry-After', () => {
  it('waits Retry-After, tells the user and sends the same request again', async () => {
    const upload = { jobId: 'j', uploadUrl: 'https://cdn/u', method: 'PUT', expiresAt: 'x' };
    const { api, requests, waits, told } = stubbed([tooMany('2'), tooMany('1'), ok(upload, 201)]);
    expect(await api.createUpload('a.ndjson')).toEqual(upload);
    expect(waits).toEqual([2000, 1000]);
    expect(told).toEqual([2, 1]);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => `${r.method} ${r.url} ${String(r.body)}`)).size).toBe(1);
  });

  it('surfaces the 429 as an ApiError after its attempts, and caps the waits', async () => {
    const { api, requests, waits } = stubbed(
      Array.from({ length: 10 }, () => tooMany('3600')),
      {
        maxRetries: 3,
        maxDelaySeconds: 10,
        maxWaitSeconds: 20,
      },
    );
    const error = await api.listJobs().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'TooManyRequests' });
    expect(waits).toEqual([10_000, 10_000]);
    expect(requests).toHaveLength(3);
  });

  it('reads Retry-After as seconds or an HTTP-date', () => {
    expect(retryAfterSeconds('4')).toBe(4);
    expect(retryAfterSeconds(new Date(5_000).toUTCString(), 0)).toBe(5);
    expect(retryAfterSeconds(null)).toBe(1);
  });

  it('keeps following a job through a 429 (not a final error)', async () => {
    const job = { jobId: 'j', status: 'SUCCEEDED' } as never;
    let calls = 0;
    const updates: unknown[] = [];
    const errors: unknown[] = [];
    await new Promise<void>((resolve) => {
      followJob('j', {
        intervalMs: 1,
        getJob: async () => {
          calls += 1;
          if (calls === 1) throw new ApiError(429, 'TooManyRequests', 'over');
          return job;
        },
        onUpdate: (j) => {
          updates.push(j);
          resolve();
        },
        onError: (e) => {
          errors.push(e);
          resolve();
        },
      });
    });
    expect(errors).toEqual([]);
    expect(updates).toEqual([job]);
  });
});
