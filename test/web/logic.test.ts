/**
 * The web app's browser-free modules (config, routes, formatting, Cognito and API clients, session, job
 * following), run in Node with fetch and storage stubbed. The browser suite is test/browser/web-app.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiErrorFrom, ApiError, createApi, queryString, type Job } from '../../web/src/api';
import { AuthError, createCognitoClient } from '../../web/src/cognito';
import { executionUrl, parseConfig, type AppConfig } from '../../web/src/config';
import { followJob } from '../../web/src/follow-job';
import { isoToLocalInput, localInputToIso, percent } from '../../web/src/format';
import { hrefFor, parseRoute } from '../../web/src/routes';
import { createAuth, readSession, type KeyValueStorage } from '../../web/src/session';

const jsonResponse = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
  removeItem = (key: string) => void this.items.delete(key);
}

describe('web app: config and links', () => {
  const config: AppConfig = {
    apiUrl: 'https://api.example.com',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_abc',
    userPoolClientId: 'client',
  };

  it('keeps the known fields of config.json and names the missing ones', () => {
    expect(
      parseConfig({ ...config, consoleUrl: 'http://127.0.0.1:4708', extra: 1, cognitoEndpoint: '' }),
    ).toEqual({
      ...config,
      consoleUrl: 'http://127.0.0.1:4708',
    });
    expect(() => parseConfig({ apiUrl: 'x', region: 'r' })).toThrow(
      'config.json lacks userPoolId, userPoolClientId',
    );
    expect(() => parseConfig([])).toThrow('config.json lacks apiUrl');
  });

  it('links an execution to the local console when there is one, else to the AWS console', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:sluice-ingest:01J0000000000000000000000A';
    expect(executionUrl({ ...config, consoleUrl: 'http://127.0.0.1:4708/' }, arn)).toBe(
      `http://127.0.0.1:4708/#/executions/${encodeURIComponent(arn)}`,
    );
    expect(executionUrl(config, arn)).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
    );
  });
});

describe('web app: hash routes', () => {
  it('parses every route and sends unknown paths to notFound', () => {
    expect(parseRoute('')).toEqual({ name: 'jobs' });
    expect(parseRoute('#/jobs/')).toEqual({ name: 'jobs' });
    expect(parseRoute('#/jobs/01ABC')).toEqual({ name: 'job', jobId: '01ABC' });
    expect(parseRoute('#/upload')).toEqual({ name: 'upload' });
    expect(parseRoute('#/events?type=a.b&since=2026-01-01T00:00:00.000Z')).toEqual({
      name: 'events',
      type: 'a.b',
      since: '2026-01-01T00:00:00.000Z',
      until: '',
    });
    expect(parseRoute('#/schemas/com.example%2Fx')).toEqual({ name: 'schemas', type: 'com.example/x' });
    expect(parseRoute('#/jobs/a/b')).toEqual({ name: 'notFound', path: '/jobs/a/b' });
    expect(parseRoute('#/jobs/%E0%A4%A')).toEqual({ name: 'notFound', path: '/jobs/%E0%A4%A' });
    expect(parseRoute('#/nowhere')).toEqual({ name: 'notFound', path: '/nowhere' });
  });

  it('builds hrefs that parse back to the same route', () => {
    const routes = [
      { name: 'jobs' },
      { name: 'job', jobId: '01ABC' },
      { name: 'upload' },
      { name: 'events', type: 'com.example/x y', since: '2026-01-01T00:00:00.000Z', until: '' },
      { name: 'schemas' },
      { name: 'schemas', type: 'a#b?c' },
    ] as const;
    for (const route of routes) expect(parseRoute(hrefFor(route))).toEqual(route);
    expect(hrefFor({ name: 'events', type: '', since: '', until: '' })).toBe('#/events');
  });
});

describe('web app: formatting', () => {
  it('reports whole percents and reaches 100 only with the last byte', () => {
    expect([percent(0, 200), percent(1, 200), percent(199, 200), percent(200, 200), percent(5, 0)]).toEqual([
      0, 0, 99, 100, 0,
    ]);
  });

  it('converts datetime-local values to UTC ISO and back', () => {
    const iso = localInputToIso('2026-03-04T05:06');
    expect(iso).toBe(new Date(2026, 2, 4, 5, 6).toISOString());
    expect(isoToLocalInput(iso)).toBe('2026-03-04T05:06');
    expect([localInputToIso(''), localInputToIso('garbage'), isoToLocalInput('garbage')]).toEqual([
      '',
      '',
      '',
    ]);
  });
});

describe('web app: Cognito client', () => {
  it('signs in with USER_PASSWORD_AUTH over the JSON protocol', async () => {
    const fetch = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) =>
      jsonResponse(200, {
        AuthenticationResult: {
          IdToken: 'id',
          AccessToken: 'access',
          RefreshToken: 'refresh',
          ExpiresIn: 3600,
        },
      }),
    );
    const cognito = createCognitoClient('http://cognito.test/', 'client-1', { fetch, now: () => 1_000 });
    expect(await cognito.signIn('a@example.com', 'pw')).toEqual({
      idToken: 'id',
      accessToken: 'access',
      refreshToken: 'refresh',
      expiresAt: 1_000 + 3_600_000,
    });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('http://cognito.test/');
    expect(init?.headers).toEqual({
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    });
    expect(JSON.parse(String(init?.body))).toEqual({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: 'client-1',
      AuthParameters: { USERNAME: 'a@example.com', PASSWORD: 'pw' },
    });
  });

  it('refreshes with REFRESH_TOKEN_AUTH and keeps the refresh token Cognito does not reissue', async () => {
    const fetch = vi.fn(async () =>
      jsonResponse(200, { AuthenticationResult: { IdToken: 'id2', AccessToken: 'a2', ExpiresIn: 60 } }),
    );
    const cognito = createCognitoClient('http://cognito.test/', 'c', { fetch, now: () => 0 });
    expect(await cognito.refresh('keep-me')).toMatchObject({
      idToken: 'id2',
      refreshToken: 'keep-me',
      expiresAt: 60_000,
    });
  });

  it('turns Cognito errors into readable messages', async () => {
    const failing = (body: unknown) =>
      createCognitoClient('http://cognito.test/', 'c', { fetch: async () => jsonResponse(400, body) });
    const wrongPassword = { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' };
    await expect(failing(wrongPassword).signIn('a', 'b')).rejects.toThrow('Incorrect email or password.');
    // cognito-local says InvalidPasswordException for a wrong password at sign-in; at sign-up it is the policy.
    const invalid = { __type: 'InvalidPasswordException', message: 'x' };
    await expect(failing(invalid).signIn('a', 'b')).rejects.toThrow('Incorrect email or password.');
    await expect(failing(invalid).signUp('a', 'b')).rejects.toThrow(/does not meet the policy/);
    const prefixed = { __type: 'com.amazonaws#UsernameExistsException', message: 'x' };
    await expect(failing(prefixed).signUp('a', 'b')).rejects.toMatchObject({
      code: 'UsernameExistsException',
    });
    await expect(
      failing({ __type: 'SomethingNew', message: 'Said by Cognito' }).confirmSignUp('a', '1'),
    ).rejects.toThrow('Said by Cognito');
    const offline = createCognitoClient('http://cognito.test/', 'c', {
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(offline.signIn('a', 'b')).rejects.toMatchObject({
      code: 'NetworkError',
      message: 'The sign-in service cannot be reached. Check your connection.',
    });
  });

  it('reports whether sign-up confirmed the user, and refuses a challenge it cannot answer', async () => {
    const answer = (body: unknown) =>
      createCognitoClient('http://cognito.test/', 'c', { fetch: async () => jsonResponse(200, body) });
    expect(await answer({ UserConfirmed: false, UserSub: 's' }).signUp('a@example.com', 'pw')).toEqual({
      confirmed: false,
    });
    expect(await answer({ UserConfirmed: true }).signUp('a@example.com', 'pw')).toEqual({ confirmed: true });
    await expect(
      answer({ ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's' }).signIn('a', 'b'),
    ).rejects.toMatchObject({
      code: 'NEW_PASSWORD_REQUIRED',
    });
  });
});

describe('web app: session', () => {
  const tokens = (n: number, expiresAt: number) => ({
    idToken: `id${n}`,
    accessToken: `access${n}`,
    refreshToken: 'refresh',
    expiresAt,
  });
  const fakeCognito = () => ({
    signIn: vi.fn(async () => tokens(1, Date.now() + 3_600_000)),
    refresh: vi.fn(async () => tokens(2, Date.now() + 3_600_000)),
    signUp: vi.fn(),
    confirmSignUp: vi.fn(),
    adminConfirmSignUp: vi.fn(),
    revoke: vi.fn(async () => undefined),
  });

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('stores the session, refreshes it a minute before it expires, and tells listeners about sign-out', async () => {
    const cognito = fakeCognito();
    const storage = new MemoryStorage();
    const auth = createAuth(cognito, storage);
    const changes: (string | undefined)[] = [];
    auth.onChange((session) => changes.push(session?.username));
    await auth.signIn('a@example.com', 'pw');
    expect(readSession(storage)).toMatchObject({ username: 'a@example.com', idToken: 'id1' });

    await vi.advanceTimersByTimeAsync(3_600_000 - 60_001);
    expect(cognito.refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(cognito.refresh).toHaveBeenCalledWith('refresh');
    expect(await auth.idToken()).toBe('id2');

    await auth.signOut();
    expect(cognito.revoke).toHaveBeenCalledWith('refresh');
    expect(storage.items.size).toBe(0);
    expect(await auth.idToken()).toBeUndefined();
    expect(changes).toEqual(['a@example.com', undefined]);
  });

  it('restores a stored session; a due one is refreshed before use, and concurrent callers share one refresh', async () => {
    const cognito = fakeCognito();
    const storage = new MemoryStorage();
    storage.setItem('sluice.session', JSON.stringify({ ...tokens(0, Date.now() + 30_000), username: 'u' }));
    const auth = createAuth(cognito, storage);
    expect(auth.session?.username).toBe('u');
    expect(await Promise.all([auth.idToken(), auth.idToken(), auth.forceRefresh()])).toEqual([
      'id2',
      'id2',
      'id2',
    ]);
    expect(cognito.refresh).toHaveBeenCalledTimes(1);
  });

  it('ends the session when Cognito refuses the refresh token, but not when it cannot be reached', async () => {
    const cognito = fakeCognito();
    const storage = new MemoryStorage();
    const auth = createAuth(cognito, storage);
    await auth.signIn('u', 'pw');
    cognito.refresh.mockRejectedValueOnce(new AuthError('NetworkError', 'offline'));
    expect(await auth.forceRefresh()).toBeUndefined();
    expect(auth.session?.idToken).toBe('id1');
    cognito.refresh.mockRejectedValueOnce(
      new AuthError('NotAuthorizedException', 'Refresh Token has been revoked'),
    );
    expect(await auth.forceRefresh()).toBeUndefined();
    expect(auth.session).toBeUndefined();
    expect(storage.items.size).toBe(0);
  });
});

describe('web app: API client', () => {
  it('refreshes the token once on a 401 and retries with the new one', async () => {
    const seen: (string | null)[] = [];
    const fetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get('authorization');
      seen.push(authorization);
      return authorization === 'Bearer fresh'
        ? jsonResponse(200, { items: [], nextCursor: null })
        : jsonResponse(401, { message: 'Unauthorized' });
    });
    const tokens = { idToken: async () => 'stale', forceRefresh: vi.fn(async () => 'fresh') };
    const api = createApi('https://api.test/', tokens, fetch);
    expect(await api.listJobs('abc')).toEqual({ items: [], nextCursor: null });
    expect(seen).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(fetch.mock.calls[1]![0]).toBe('https://api.test/jobs?limit=20&cursor=abc');
  });

  it('gives up after one refresh and says the session ended', async () => {
    const tokens = { idToken: async () => 'stale', forceRefresh: async () => undefined };
    const api = createApi('https://api.test', tokens, async () =>
      jsonResponse(401, { message: 'Unauthorized' }),
    );
    await expect(api.getJob('j')).rejects.toMatchObject({ status: 401, code: 'Unauthorized' });
  });

  it("reads both error shapes: the API's and API Gateway's own", () => {
    const invalid = apiErrorFrom(400, {
      error: { code: 'InvalidSchema', message: 'bad type', details: [{ a: 1 }] },
    });
    expect(invalid).toEqual(new ApiError(400, 'InvalidSchema', 'bad type', [{ a: 1 }]));
    expect(apiErrorFrom(413, { message: 'Request Entity Too Large' })).toMatchObject({
      code: 'HTTP413',
      message: 'Request Entity Too Large',
    });
    expect(apiErrorFrom(502, 'gateway text').message).toBe('The request failed (HTTP 502).');
  });

  it('sends the schema text as typed and encodes path and query parts', async () => {
    const fetch = vi.fn(async () => jsonResponse(200, {}));
    const api = createApi(
      'https://api.test',
      { idToken: async () => 't', forceRefresh: async () => 't' },
      fetch,
    );
    await api.putSchema('a/b c', '{"type":"object"}');
    expect(fetch).toHaveBeenCalledWith('https://api.test/schemas/a%2Fb%20c', {
      method: 'PUT',
      headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
      body: '{"type":"object"}',
    });
    expect(queryString({ type: 'x&y', since: '', until: undefined, limit: 5 })).toBe('?type=x%26y&limit=5');
    expect(queryString({ cursor: undefined })).toBe('');
  });

  it('follows schema cursors to the last page', async () => {
    const pages: Record<string, unknown> = {
      '': { items: [{ type: 'a', updatedAt: 't' }], nextCursor: 'c2' },
      c2: { items: [{ type: 'b', updatedAt: 't' }], nextCursor: null },
    };
    const fetch = vi.fn(async (url: string | URL | Request) =>
      jsonResponse(200, pages[new URL(String(url)).searchParams.get('cursor') ?? '']),
    );
    const api = createApi(
      'https://api.test',
      { idToken: async () => 't', forceRefresh: async () => 't' },
      fetch,
    );
    expect((await api.listAllSchemas()).map((item) => item.type)).toEqual(['a', 'b']);
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});

describe('web app: following a job', () => {
  const job = (status: Job['status']) => ({ jobId: 'j', status }) as Job;
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls until the job ends, reporting changes only and riding out a failed poll', async () => {
    const answers = [
      job('PENDING_UPLOAD'),
      new Error('blip'),
      job('RUNNING'),
      job('RUNNING'),
      job('SUCCEEDED'),
    ];
    const getJob = vi.fn(async () => {
      const next = answers.shift()!;
      if (next instanceof Error) throw next;
      return next;
    });
    const seen: string[] = [];
    const onError = vi.fn();
    followJob('j', { getJob, onUpdate: (j) => seen.push(j.status), onError, intervalMs: 500 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen).toEqual(['PENDING_UPLOAD', 'RUNNING', 'SUCCEEDED']);
    expect(getJob).toHaveBeenCalledTimes(5);
    expect(onError).not.toHaveBeenCalled();
  });

  it('stops at once on a 404, and when asked to', async () => {
    const onError = vi.fn();
    followJob('j', {
      getJob: async () => Promise.reject(new ApiError(404, 'NotFound', 'gone')),
      onUpdate: vi.fn(),
      onError,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'NotFound' }));

    const getJob = vi.fn(async () => job('RUNNING'));
    const stop = followJob('j', { getJob, onUpdate: vi.fn(), onError: vi.fn(), intervalMs: 100 });
    await vi.advanceTimersByTimeAsync(250);
    stop();
    const calls = getJob.mock.calls.length;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(getJob).toHaveBeenCalledTimes(calls);
  });
});
