import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { corsExposeHeaders } from '../../cdk/wiring';
import { createJwtAuthorizer } from '../../local/gateway/authorizer';
import type { HttpApiEvent } from '../../local/gateway/event';
import { startHttpApi, type HttpApi } from '../../local/gateway/http-api';
import { LambdaInvokeError } from '../../local/lambda/errors';
import { closeServer, listen } from '../../local/services/network';

type Fn = 'health' | 'jobs' | 'events';

const clientId = 'local-client-id';
let issuer: string;
let jwks: Server;
let api: HttpApi;
let poolKey: KeyObject;
let foreignKey: KeyObject;
const calls: { name: Fn; event: HttpApiEvent }[] = [];
let reply: (name: Fn, event: HttpApiEvent) => Promise<unknown> = async () => ({
  statusCode: 200,
  body: 'ok',
});

beforeAll(async () => {
  poolKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const publicJwk = { ...(await exportJWK(poolKey)), kid: 'pool', alg: 'RS256', use: 'sig' };
  for (const field of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) delete publicJwk[field];
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  const port = await listen(jwks, { port: 0, fixed: false });
  issuer = `http://127.0.0.1:${port}/local_pool`;
  api = await startHttpApi<Fn>({
    port: { port: 0, fixed: false },
    accountId: '000000000000',
    routes: [
      { method: 'GET', path: '/health', function: 'health', auth: false },
      { method: 'GET', path: '/jobs', function: 'jobs', auth: true },
      { method: 'GET', path: '/jobs/{jobId}', function: 'jobs', auth: true },
      { method: 'POST', path: '/events', function: 'events', auth: true },
    ],
    authorizer: createJwtAuthorizer({
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      audience: [clientId],
    }),
    invoke: async (name, event) => {
      calls.push({ name, event: event as HttpApiEvent });
      return reply(name, event as HttpApiEvent);
    },
  });
});

afterAll(async () => {
  await api?.stop();
  if (jwks) await closeServer(jwks);
});

beforeEach(() => {
  calls.length = 0;
  reply = async () => ({ statusCode: 200, body: 'ok' });
});

const now = () => Math.floor(Date.now() / 1000);

function token(
  claims: Record<string, unknown>,
  options: { key?: KeyObject; iss?: string; exp?: number; kid?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'pool' })
    .setIssuer(options.iss ?? issuer)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 3600)
    .sign(options.key ?? poolKey);
}

const idToken = (extra: Record<string, unknown> = {}, options = {}) =>
  token({ sub: 'user-1', token_use: 'id', aud: clientId, email_verified: true, ...extra }, options);
const accessToken = (extra: Record<string, unknown> = {}) =>
  token({
    sub: 'user-1',
    token_use: 'access',
    client_id: clientId,
    scope: 'aws.cognito.signin.user.admin',
    ...extra,
  });

const get = (path: string, authorization?: string) =>
  fetch(`${api.url}${path}`, { headers: authorization ? { authorization } : {} });

describe('JWT authorizer', () => {
  it('accepts a valid ID token and a valid access token', async () => {
    expect((await get('/jobs', `Bearer ${await idToken()}`)).status).toBe(200);
    expect((await get('/jobs', `Bearer ${await accessToken()}`)).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it.each([
    ['missing', async () => undefined],
    ['malformed', async () => 'Bearer not.a.jwt'],
    ['not a bearer token', async () => `Basic ${await idToken()}`],
    ['expired', async () => `Bearer ${await idToken({}, { exp: now() - 60 })}`],
    ['for another app client (aud)', async () => `Bearer ${await idToken({ aud: 'someone-else' })}`],
    [
      'an access token for another client',
      async () => `Bearer ${await accessToken({ client_id: 'someone-else' })}`,
    ],
    [
      'from a foreign issuer',
      async () => `Bearer ${await idToken({}, { iss: 'http://127.0.0.1:1/other_pool' })}`,
    ],
    ['signed by another key', async () => `Bearer ${await idToken({}, { key: foreignKey })}`],
    ['of another token_use', async () => `Bearer ${await idToken({ token_use: 'refresh' })}`],
  ])('refuses a token that is %s with 401 {"message":"Unauthorized"}', async (_case, authorization) => {
    const response = await get('/jobs', await authorization());
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(calls).toHaveLength(0);
  });

  it('leaves open routes open', async () => {
    expect((await get('/health')).status).toBe(200);
    expect(calls[0]!.event.requestContext.authorizer).toBeUndefined();
  });
});

describe('payload format 2.0', () => {
  it('builds the event as API Gateway does', async () => {
    const authorization = `Bearer ${await idToken({ 'cognito:groups': ['a', 'b'] })}`;
    const response = await fetch(`${api.url}/jobs/01J%20X?limit=5&tag=a&tag=b`, {
      headers: { authorization, cookie: 'c1=v1; c2=v2', 'x-multi': 'one', 'user-agent': 'test-agent' },
    });
    expect(response.status).toBe(200);
    const { event } = calls[0]!;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /jobs/{jobId}',
      rawPath: '/jobs/01J%20X',
      rawQueryString: 'limit=5&tag=a&tag=b',
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { limit: '5', tag: 'a,b' },
      pathParameters: { jobId: '01J X' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'sluicelocal',
        domainName: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        http: {
          method: 'GET',
          path: '/jobs/01J%20X',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'test-agent',
        },
        requestId: expect.any(String),
        routeKey: 'GET /jobs/{jobId}',
        stage: '$default',
        time: expect.stringMatching(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/),
        timeEpoch: expect.any(Number),
        authorizer: {
          jwt: {
            claims: expect.objectContaining({
              sub: 'user-1',
              aud: clientId,
              iss: issuer,
              token_use: 'id',
              email_verified: 'true',
              'cognito:groups': '[a b]',
              exp: expect.stringMatching(/^\d+$/),
            }),
            scopes: null,
          },
        },
      },
    });
    expect(event.headers).toMatchObject({
      'x-multi': 'one',
      'user-agent': 'test-agent',
      'x-forwarded-proto': 'http',
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
  });

  it('passes JSON bodies as text and binary bodies base64-encoded', async () => {
    const authorization = `Bearer ${await accessToken()}`;
    await fetch(`${api.url}/events`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: '{"id":"1"}',
    });
    await fetch(`${api.url}/events`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/octet-stream', 'ce-id': 'x' },
      body: new Uint8Array([0, 1, 2, 255]),
    });
    expect(calls[0]!.event).toMatchObject({ body: '{"id":"1"}', isBase64Encoded: false });
    expect(calls[0]!.event.requestContext.authorizer?.jwt.scopes).toEqual(['aws.cognito.signin.user.admin']);
    expect(calls[1]!.event).toMatchObject({ body: 'AAEC/w==', isBase64Encoded: true });
    expect(calls[1]!.event.headers['ce-id']).toBe('x');
  });
});

describe('responses and API Gateway errors', () => {
  it('maps structured results, and plain values to 200 application/json', async () => {
    const authorization = `Bearer ${await idToken()}`;
    reply = async () => ({
      statusCode: 202,
      headers: { Location: '/jobs/1' },
      cookies: ['a=b'],
      body: '{"x":1}',
    });
    const structured = await get('/jobs', authorization);
    expect(structured.status).toBe(202);
    expect(structured.headers.get('location')).toBe('/jobs/1');
    expect(structured.headers.get('set-cookie')).toBe('a=b');
    expect(await structured.text()).toBe('{"x":1}');

    reply = async () => ({ items: [] });
    const plain = await get('/jobs', authorization);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({ items: [] });
  });

  it('answers unknown routes and methods with 404 {"message":"Not Found"}', async () => {
    for (const response of [await get('/nope'), await fetch(`${api.url}/health`, { method: 'DELETE' })]) {
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ message: 'Not Found' });
    }
  });

  it('turns a failed or timed-out function into 500 {"message":"Internal Server Error"}', async () => {
    reply = async () => {
      throw new LambdaInvokeError('Sandbox.Timedout', 'Task timed out after 5.00 seconds');
    };
    const response = await get('/health');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('refuses bodies over 10 MB with 413 without invoking the function', async () => {
    const response = await fetch(`${api.url}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idToken()}`, 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(calls).toHaveLength(0);
  });

  it('answers CORS preflights for the web app', async () => {
    const response = await fetch(`${api.url}/events`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:4701',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'Authorization, content-type,ce-specversion',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization,content-type,ce-specversion',
    );
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('exposes the job link and the rate-limit fields to the web app, as the stack does', async () => {
    const response = await fetch(`${api.url}/health`, { headers: { origin: 'http://127.0.0.1:4701' } });
    expect(response.headers.get('access-control-expose-headers')!.split(',')).toEqual(corsExposeHeaders);
    expect(corsExposeHeaders).toEqual(
      expect.arrayContaining(['retry-after', 'ratelimit-policy', 'ratelimit']),
    );
  });
});

describe('JWT authorizer: verified tokens remembered until they expire', () => {
  it('accepts a verified token again without the JWKS, and rejects it once expired', async () => {
    let clock = Date.now();
    let keyFetches = 0;
    const keys = createServer((_req, res) => {
      keyFetches++;
      jwks.emit('request', _req, res);
    });
    const port = await listen(keys, { port: 0, fixed: false });
    try {
      const authorize = createJwtAuthorizer(
        { issuer, jwksUri: `http://127.0.0.1:${port}/jwks.json`, audience: [clientId] },
        () => clock,
      );
      const bearer = `Bearer ${await idToken({}, { exp: now() + 60 })}`;
      const first = await authorize(bearer);
      expect(first?.claims.sub).toBe('user-1');
      await closeServer(keys);
      expect(await authorize(bearer)).toEqual(first);
      expect(keyFetches).toBe(1);
      clock += 61_000;
      expect(await authorize(bearer)).toBeUndefined();
      expect(await authorize(`Bearer ${await idToken({}, { key: foreignKey })}`)).toBeUndefined();
    } finally {
      if (keys.listening) await closeServer(keys);
    }
  });
});
