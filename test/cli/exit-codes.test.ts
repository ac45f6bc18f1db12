import { describe, expect, it, vi } from 'vitest';
import { uploadContentType } from '../../cli/commands/upload';
import { ApiError, CliError, exitCodeFor, NotSignedInError, UsageError } from '../../cli/errors';
import { ApiClient, errorFromResponse } from '../../cli/http/api';
import { exitCodeForJob, formatJobLine, type Job } from '../../cli/jobs/job';
import { watchJob } from '../../cli/jobs/watch';
import { intervalSeconds, positiveInt, timeArgument } from '../../cli/options';

describe('exit codes', () => {
  it('maps errors: usage 2, everything else 1', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new CliError('x'))).toBe(1);
    expect(exitCodeFor(new NotSignedInError())).toBe(1);
    expect(exitCodeFor(new ApiError(500, 'InternalError', 'x'))).toBe(1);
    expect(exitCodeFor(new TypeError('x'))).toBe(1);
  });

  it('is 0 only for a SUCCEEDED job', () => {
    expect(exitCodeForJob({ status: 'SUCCEEDED' })).toBe(0);
    expect(exitCodeForJob({ status: 'FAILED' })).toBe(1);
  });
});

describe('watchJob', () => {
  const job = (status: Job['status'], accepted = 0): Job => ({
    jobId: 'j',
    status,
    counts: { received: 2, accepted, rejected: 0, duplicates: 0 },
  });

  it('polls until the job ends, reporting only changes', async () => {
    const views = [job('QUEUED'), job('QUEUED'), job('RUNNING'), job('RUNNING', 1), job('SUCCEEDED', 2)];
    const fetchJob = vi.fn(async () => views.shift()!);
    const sleep = vi.fn(async () => {});
    const seen: string[] = [];
    const final = await watchJob(fetchJob, {
      intervalMs: 250,
      sleep,
      onChange: (j) => seen.push(`${j.status}:${j.counts?.accepted}`),
    });
    expect(final.status).toBe('SUCCEEDED');
    expect(seen).toEqual(['QUEUED:0', 'RUNNING:0', 'RUNNING:1', 'SUCCEEDED:2']);
    expect(fetchJob).toHaveBeenCalledTimes(5);
    expect(sleep).toHaveBeenCalledTimes(4);
    expect(sleep).toHaveBeenCalledWith(250);
  });

  it('stops at FAILED without sleeping again', async () => {
    const sleep = vi.fn(async () => {});
    const final = await watchJob(async () => job('FAILED'), { intervalMs: 1, sleep, onChange: () => {} });
    expect(final.status).toBe('FAILED');
    expect(sleep).not.toHaveBeenCalled();
  });

  it('waits the interval between polls with real timers', async () => {
    vi.useFakeTimers();
    try {
      const views = [job('RUNNING'), job('SUCCEEDED')];
      const done = watchJob(async () => views.shift()!, { intervalMs: 1000, onChange: () => {} });
      await vi.advanceTimersByTimeAsync(999);
      expect(views).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect((await done).status).toBe('SUCCEEDED');
    } finally {
      vi.useRealTimers();
    }
  });

  it('prints a job as one line with its counts and failure', () => {
    const failed: Job = { ...job('FAILED'), failure: { error: 'UploadTooLarge', cause: 'over 512 MiB' } };
    expect(formatJobLine(failed)).toBe(
      'j  FAILED  received 2  accepted 0  rejected 0  duplicates 0  (UploadTooLarge: over 512 MiB)',
    );
  });
});

describe('option parsers', () => {
  it('accepts whole numbers ≥ 1 only', () => {
    expect(positiveInt('25')).toBe(25);
    for (const bad of ['0', '-1', '1.5', 'x', '']) expect(() => positiveInt(bad)).toThrow(/whole number/);
  });

  it('reads intervals in seconds as milliseconds', () => {
    expect(intervalSeconds('0.5')).toBe(500);
    expect(() => intervalSeconds('0')).toThrow();
  });

  it('reads ISO times and spans back from now', () => {
    const now = Date.parse('2030-01-10T00:00:00.000Z');
    expect(timeArgument('2030-01-01', now)).toBe('2030-01-01T00:00:00.000Z');
    expect(timeArgument('2030-01-01T02:00:00+02:00', now)).toBe('2030-01-01T00:00:00.000Z');
    expect(timeArgument('90s', now)).toBe('2030-01-09T23:58:30.000Z');
    expect(timeArgument('2h', now)).toBe('2030-01-09T22:00:00.000Z');
    expect(timeArgument('7d', now)).toBe('2030-01-03T00:00:00.000Z');
    expect(() => timeArgument('soon', now)).toThrow(/ISO 8601/);
  });

  it('guesses the upload content type from the file name', () => {
    expect(uploadContentType('a.ndjson.gz')).toBe('application/gzip');
    expect(uploadContentType('a.JSONL')).toBe('application/x-ndjson');
    expect(uploadContentType('a.json')).toBe('application/json');
    expect(uploadContentType('a.txt')).toBe('application/octet-stream');
  });
});

describe('API errors', () => {
  it('reads the contract error shape', () => {
    const error = errorFromResponse(
      413,
      '{"error":{"code":"TooManyEvents","message":"over 10000","details":[{"limit":10000}]}}',
    );
    expect(error).toMatchObject({ status: 413, code: 'TooManyEvents', details: [{ limit: 10000 }] });
    expect(error.message).toBe('TooManyEvents (HTTP 413): over 10000');
  });

  it('reads API Gateway messages and plain text', () => {
    expect(errorFromResponse(403, '{"message":"Forbidden"}').message).toBe('HttpError (HTTP 403): Forbidden');
    expect(errorFromResponse(502, 'Bad Gateway\n').message).toBe('HttpError (HTTP 502): Bad Gateway');
  });

  const response = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('retries a 401 once with a refreshed token, then gives up with "not signed in"', async () => {
    const auth = { bearer: async () => 'old', bearerAfterRejection: vi.fn(async () => 'new') };
    const fetchImpl = vi.fn(async (_url: string | URL | Request, init?: RequestInit) =>
      (init?.headers as Record<string, string>).authorization === 'Bearer new'
        ? response(200, { items: [], nextCursor: null })
        : response(401, { message: 'Unauthorized' }),
    );
    const api = new ApiClient('http://api', auth, fetchImpl as typeof fetch);
    expect(await api.listJobs({ limit: 5 })).toEqual({ items: [], nextCursor: null });
    expect(fetchImpl.mock.calls.map(([url]) => url)).toEqual([
      'http://api/jobs?limit=5',
      'http://api/jobs?limit=5',
    ]);

    auth.bearerAfterRejection.mockResolvedValueOnce(undefined as unknown as string);
    await expect(api.listJobs({})).rejects.toThrow('not signed in, run sluice login');
  });

  it('encodes path parts and query values', async () => {
    const fetchImpl = vi.fn(async () => response(200, { id: 'a/b' }));
    const api = new ApiClient(
      'http://api',
      { bearer: async () => 't', bearerAfterRejection: async () => undefined },
      fetchImpl,
    );
    await api.getEvent('a/b', 'urn:x y');
    expect(fetchImpl).toHaveBeenCalledWith('http://api/events/a%2Fb?source=urn%3Ax+y', expect.anything());
  });

  it('explains an unreachable API', async () => {
    const fetchImpl = vi.fn(async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    });
    const api = new ApiClient(
      'http://api',
      { bearer: async () => 't', bearerAfterRejection: async () => undefined },
      fetchImpl,
    );
    await expect(api.getJob('j')).rejects.toThrow('cannot reach http://api: ECONNREFUSED');
  });
});
