/**
 * The CLI's API client honours 429 and Retry-After (README "Tenant limits") against a stub API on 127.0.0.1:
 * it waits what Retry-After says (capped), tells the user, sends the same request again, and gives up after its
 * attempts or its total wait, surfacing the 429. The waits are recorded, not slept.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../cli/errors';
import { ApiClient, defaultRetryPolicy, type RetryPolicy } from '../../cli/http/api';
import { retryAfterSeconds } from '../../shared/http/retry-after';

interface Seen {
  method: string;
  url: string;
  body: string;
}
let server: http.Server;
let baseUrl: string;
let seen: Seen[];
/** How many of the next requests are refused, and with what Retry-After. */
let refusals: number;
let retryAfter: string | undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      if (refusals > 0) {
        refusals -= 1;
        res.writeHead(429, {
          'content-type': 'application/json',
          ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
          'ratelimit-policy': '"tenant";q=5;w=1',
          ratelimit: '"tenant";r=0;t=1',
        });
        res.end(
          JSON.stringify({
            error: { code: 'TooManyRequests', message: 'over 5 requests per second', details: [] },
          }),
        );
        return;
      }
      res.writeHead(req.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          req.method === 'POST' ? { jobId: 'j-1', status: 'QUEUED' } : { items: [], nextCursor: null },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen = [];
  refusals = 0;
  retryAfter = '1';
});

const bearer = { bearer: async () => 'token', bearerAfterRejection: async () => undefined };
function client(policy: Partial<RetryPolicy> = {}) {
  const waits: number[] = [];
  const notes: string[] = [];
  const api = new ApiClient(baseUrl, bearer, fetch, {
    ...defaultRetryPolicy,
    onRetry: (message) => notes.push(message),
    sleep: async (ms) => void waits.push(ms),
    ...policy,
  });
  return { api, waits, notes };
}

describe('CLI: 429 and Retry-After', () => {
  it('waits Retry-After, tells the user, and sends the same POST /events again until it is accepted', async () => {
    refusals = 2;
    retryAfter = '2';
    const { api, waits, notes } = client();
    const body = JSON.stringify([{ specversion: '1.0', id: 'a', source: 's', type: 't' }]);
    expect(await api.postEvents(body)).toEqual({ jobId: 'j-1', status: 'QUEUED' });
    expect(waits).toEqual([2000, 2000]);
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(Array(3).fill(`POST /events ${body}`));
    expect(notes).toEqual([
      "POST /events: over this tenant's request rate (HTTP 429); retrying in 2 s (1/5)",
      "POST /events: over this tenant's request rate (HTTP 429); retrying in 2 s (2/5)",
    ]);
  });

  it('gives up after its attempts with the API error', async () => {
    refusals = 100;
    const { api, waits } = client({ maxRetries: 3 });
    const error = await api.listJobs({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'TooManyRequests' });
    expect(waits).toEqual([1000, 1000, 1000]);
    expect(seen).toHaveLength(4);
  });

  it('caps each wait and the total wait, whatever Retry-After says', async () => {
    refusals = 100;
    retryAfter = '3600';
    const { api, waits } = client({ maxDelaySeconds: 30, maxWaitSeconds: 60 });
    await expect(api.listJobs({})).rejects.toMatchObject({ status: 429 });
    expect(waits).toEqual([30_000, 30_000]);
    expect(seen).toHaveLength(3);
  });

  it('reads Retry-After as delay-seconds or an HTTP-date, else waits a second', () => {
    expect(retryAfterSeconds('7')).toBe(7);
    expect(retryAfterSeconds('0')).toBe(1);
    expect(retryAfterSeconds(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(retryAfterSeconds(null)).toBe(1);
    expect(retryAfterSeconds('soon')).toBe(1);
  });
});
