/**
 * The OpenAPI document cannot drift: it lists exactly the wiring's routes, and every response a local cloud
 * gives to good and bad requests on every route has a status the document lists for that operation and a body
 * that validates against that response's schema (ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { routes } from '../../cdk/wiring';
import document from '../../shared/api/openapi.json';
import { encodeCursor } from '../../shared/http/request';
import { Api, event, signUpAndIn, startTestCloud, type TestCloud } from '../e2e/harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is walked generically
const doc = document as any;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const operations = (): { path: string; method: string; op: Record<string, unknown> }[] =>
  Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>).flatMap(
    ([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ path, method, op })),
  );

const pointerToken = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');
function resolvePointer(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, token) => (node as Record<string, unknown> | undefined)?.[token], doc);
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1-shaped', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    const ids = new Set<string>();
    for (const { path, method, op } of operations()) {
      expect(path).toMatch(/^\//);
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toEqual(expect.any(String));
      expect(ids.has(op.operationId as string), `${where}: operationId repeats`).toBe(false);
      ids.add(op.operationId as string);
      const responses = op.responses as Record<string, { description?: string }>;
      expect(Object.keys(responses).length, where).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(responses)) {
        expect(status, where).toMatch(/^[1-5]\d\d$/);
        expect(response.description, `${where} ${status}`).toEqual(expect.any(String));
      }
      // Every {param} of the path is declared once, in: path, required.
      const declared = ((op.parameters as { in: string; name: string; required?: boolean }[]) ?? []).filter(
        (p) => p.in === 'path',
      );
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(declared.map((p) => p.name).sort(), where).toEqual(templated.sort());
      expect(
        declared.every((p) => p.required === true),
        where,
      ).toBe(true);
    }
  });

  it('resolves every $ref and names only declared security schemes', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === 'object' && node !== null) {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else walk(value);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(resolvePointer(ref), ref).toBeDefined();
    const schemes = Object.keys(doc.components.securitySchemes);
    expect(doc.components.securitySchemes.cognitoJwt).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const requirement of [
      ...doc.security,
      ...operations().flatMap(({ op }) => (op.security as object[]) ?? []),
    ]) {
      for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
    }
  });

  it('describes exactly the wiring routes, open exactly where the wiring says', () => {
    const documented = operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routes) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      const open = Array.isArray(op.security) && op.security.length === 0;
      expect({ route: route.path, open }).toEqual({ route: route.path, open: !route.auth });
      if (route.auth) expect(Object.keys(op.responses)).toContain('401');
      // Every authenticated route counts against the tenant's request rate (shared/api/rate-limit.ts).
      if (route.auth) expect(Object.keys(op.responses)).toContain('429');
    }
  });

  it('lists every error code the API uses, and only those', () => {
    expect([...doc.components.schemas.ErrorCode.enum].sort()).toEqual(
      [
        'EmptyBatch',
        'InternalError',
        'InvalidCursor',
        'InvalidJson',
        'InvalidRequest',
        'InvalidSchema',
        'NotFound',
        'PayloadTooLarge',
        'TooManyEvents',
        'TooManyRequests',
        'Unauthorized',
        'UnsupportedMediaType',
      ].sort(),
    );
  });
});

describe('the response schemas', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document as object, 'openapi');
  const schemaOf = (path: string, method: string, status: string) =>
    ajv.getSchema(
      `openapi#/${['paths', path, method, 'responses', status, 'content', 'application/json', 'schema'].map(pointerToken).join('/')}`,
    )!;

  it('refuse what the API never answers (so the end-to-end checks are not vacuous)', () => {
    const badRequest = schemaOf('/events', 'post', '400');
    const error = (code: string) => ({ error: { code, message: 'm', details: [] } });
    expect(badRequest(error('InvalidJson'))).toBe(true);
    expect(badRequest(error('NotFound'))).toBe(false); // a code this status does not use
    expect(badRequest({ error: { code: 'InvalidJson', message: 'm' } })).toBe(false);
    const job = schemaOf('/jobs/{jobId}', 'get', '200');
    const view = {
      jobId: '01JABCDEFGHJKMNPQRSTVWXYZ0',
      source: 'api',
      status: 'SUCCEEDED',
      counts: { received: 1, accepted: 1, rejected: 0, duplicates: 0 },
      errors: [
        {
          index: 0,
          id: 'x'.repeat(256),
          idTruncated: true,
          reason: 'id: must be at most 1000 bytes of UTF-8',
        },
      ],
      executionArn: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: null,
    };
    expect(job(view)).toBe(true);
    expect(job({ ...view, status: 'DONE' })).toBe(false);
    expect(job({ ...view, errors: [{ index: 0, id: 'x'.repeat(257), reason: 'r' }] })).toBe(false);
    expect(job({ ...view, internal: 'reportKey' })).toBe(false);
  });
});

describe('end-to-end responses match the document', () => {
  let env: TestCloud;
  let api: Api;
  let anonymous: Api;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document as object, 'openapi');
  /** operation → the statuses it answered. */
  const seen = new Map<string, Set<number>>();

  beforeAll(async () => {
    env = await startTestCloud({ settings: { maxEventsPerRequest: '5' } });
    const user = await signUpAndIn(env.endpoints, 'openapi');
    api = new Api(env.endpoints.apiUrl, user.idToken);
    anonymous = new Api(env.endpoints.apiUrl);
  }, 180_000);

  afterAll(async () => {
    await env?.dispose();
  });

  /** Checks one response against `template`'s operation; returns its body. */
  function conforms(
    method: string,
    template: string,
    response: { status: number; headers: Headers; body: unknown },
  ) {
    const key = `${method} ${template}`;
    const op = doc.paths[template]?.[method.toLowerCase()];
    expect(op, `${key} is not in the document`).toBeDefined();
    const status = String(response.status);
    expect(
      Object.keys(op.responses),
      `${key} answered ${status}: ${JSON.stringify(response.body)}`,
    ).toContain(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const pointer = [
      'paths',
      template,
      method.toLowerCase(),
      'responses',
      status,
      'content',
      'application/json',
    ]
      .map(pointerToken)
      .join('/');
    const validate = ajv.getSchema(`openapi#/${pointer}/schema`);
    expect(validate, `${key} ${status} has no application/json schema`).toBeDefined();
    const valid = validate!(response.body);
    expect(
      valid,
      `${key} ${status}: ${ajv.errorsText(validate!.errors)} in ${JSON.stringify(response.body)}`,
    ).toBe(true);
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key)!.add(response.status);
    return response.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  const send = (
    client: Api,
    method: string,
    template: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ) => client.request(method, path, init).then((response) => conforms(method, template, response));

  it('every route, with good and bad inputs', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const json = { 'content-type': 'application/json' };
    const type = 'com.example.openapi';

    // Open routes.
    await send(anonymous, 'GET', '/health', '/health');
    expect(await send(anonymous, 'GET', '/openapi.json', '/openapi.json')).toEqual(document);

    // Schemas first, so the submission is checked against one.
    const schema = { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } };
    await send(api, 'PUT', '/schemas/{type}', `/schemas/${type}`, {
      body: JSON.stringify(schema),
      headers: json,
    });
    for (const body of [JSON.stringify({ type: 12 }), deep, JSON.stringify({ d: 'x'.repeat(70_000) }), '']) {
      await send(api, 'PUT', '/schemas/{type}', `/schemas/${type}`, { body, headers: json });
    }
    await send(api, 'PUT', '/schemas/{type}', `/schemas/${'t'.repeat(3000)}`, { body: '{}', headers: json });
    await send(anonymous, 'PUT', '/schemas/{type}', `/schemas/${type}`, { body: '{}', headers: json });
    await send(api, 'GET', '/schemas/{type}', `/schemas/${type}`);
    await send(api, 'GET', '/schemas/{type}', '/schemas/com.example.none');
    await send(api, 'GET', '/schemas/{type}', `/schemas/${'%E8%AA%9E'.repeat(400)}`);
    await send(api, 'GET', '/schemas', '/schemas?limit=1');
    await send(api, 'GET', '/schemas', `/schemas?cursor=${encodeCursor({ pk: 'TENANT#x', sk: 5 })}`);
    await send(api, 'GET', '/schemas', '/schemas?limit=-0');

    // Submissions: one good batch (one event failing its schema, one too deep), then every request-level 4xx.
    const good = event({ type, data: { amount: 1 } });
    const older = event({ type, data: { amount: 2 }, time: '2020-01-01T00:00:00Z' });
    const batch = [
      good,
      older,
      event({ type, data: { amount: 'no' } }),
      event({ type, data: JSON.parse(deep.slice(0, 200) + deep.slice(-200)) }),
    ];
    const accepted = await send(api, 'POST', '/events', '/events', {
      body: JSON.stringify(batch),
      headers: json,
    });
    const jobId = accepted.jobId as string;
    for (const [body, headers] of [
      [deep, json],
      ['"str"', json],
      ['[]', json],
      ['', json],
      [JSON.stringify(Array(6).fill(good)), json],
      ['{}', { 'content-type': 'text/plain' }],
      ['{}', { 'content-type': 'application/json; charset=utf-8; charset=latin1' }],
      [Buffer.from([0xff, 0xfe]).toString('latin1'), { 'content-type': 'application/octet-stream' }],
    ] as [string, Record<string, string>][]) {
      await send(api, 'POST', '/events', '/events', { body, headers });
    }
    await send(anonymous, 'POST', '/events', '/events', { body: JSON.stringify(good), headers: json });

    // Uploads.
    await send(api, 'POST', '/uploads', '/uploads', {
      body: JSON.stringify({ filename: 'a.ndjson' }),
      headers: json,
    });
    for (const body of ['{"filename":', '{}', deep]) {
      await send(api, 'POST', '/uploads', '/uploads', { body, headers: json });
    }

    // Jobs.
    const job = await api.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', counts: { received: 4, accepted: 2, rejected: 2 } });
    await send(api, 'GET', '/jobs/{jobId}', `/jobs/${jobId}`);
    await send(api, 'GET', '/jobs/{jobId}', '/jobs/01JZZZZZZZZZZZZZZZZZZZZZZZ');
    await send(api, 'GET', '/jobs/{jobId}', `/jobs/${'J'.repeat(3000)}`);
    await send(anonymous, 'GET', '/jobs/{jobId}', `/jobs/${jobId}`);
    const first = await send(api, 'GET', '/jobs/{jobId}/errors', `/jobs/${jobId}/errors?limit=1`);
    expect(first.items).toHaveLength(1);
    await send(api, 'GET', '/jobs/{jobId}/errors', `/jobs/${jobId}/errors?cursor=${first.nextCursor}`);
    await send(
      api,
      'GET',
      '/jobs/{jobId}/errors',
      `/jobs/${jobId}/errors?cursor=${encodeCursor({ jobId, offset: 99 })}`,
    );
    await send(api, 'GET', '/jobs/{jobId}/errors', `/jobs/${jobId}/errors?limit=1e3`);
    await send(api, 'GET', '/jobs/{jobId}/errors', '/jobs/01JZZZZZZZZZZZZZZZZZZZZZZZ/errors');
    const page = await send(api, 'GET', '/jobs', '/jobs?limit=1');
    await send(api, 'GET', '/jobs', `/jobs?cursor=${page.nextCursor}`);
    await send(api, 'GET', '/jobs', `/jobs?cursor=${encodeCursor({ pk: `TENANT#x`, sk: 'SCHEMA#x' })}`);
    await send(api, 'GET', '/jobs', '/jobs?limit=1e3');
    await send(anonymous, 'GET', '/jobs', '/jobs');

    // Events.
    const events = await send(api, 'GET', '/events', `/events?type=${type}&limit=1`);
    expect(events.items).toEqual([good]);
    const next = await send(api, 'GET', '/events', `/events?type=${type}&cursor=${events.nextCursor}`);
    expect(next).toEqual({ items: [older], nextCursor: null });
    const since = '2021-01-01T00:00:00Z';
    await send(api, 'GET', '/events', `/events?type=${type}&since=${since}&cursor=${events.nextCursor}`);
    await send(api, 'GET', '/events', `/events?type=${type}&since=yesterday`);
    await send(
      api,
      'GET',
      '/events',
      `/events?type=${type}&cursor=${encodeCursor({ pk: 'x', sk: 'EVENT', gsi1pk: 'y', gsi1sk: 1 })}`,
    );
    await send(api, 'GET', '/events', '/events');
    const source = encodeURIComponent(good.source as string);
    expect(await send(api, 'GET', '/events/{id}', `/events/${good.id}?source=${source}`)).toEqual(good);
    await send(api, 'GET', '/events/{id}', `/events/nope?source=${source}`);
    await send(api, 'GET', '/events/{id}', `/events/${'i'.repeat(3000)}?source=${source}`);
    await send(api, 'GET', '/events/{id}', `/events/${good.id}`);
    await send(anonymous, 'GET', '/events/{id}', `/events/${good.id}?source=${source}`);

    for (const path of ['/schemas', `/events?type=${type}`, `/jobs/${jobId}/errors`]) {
      await send(anonymous, 'GET', path.split('?')[0]!.replace(jobId, '{jobId}'), path);
    }
    await send(anonymous, 'POST', '/uploads', '/uploads', { body: '{"filename":"a"}', headers: json });

    // Every route was called, each answered a success and (unless open) a client error.
    for (const route of routes) {
      const statuses = [...(seen.get(`${route.method} ${route.path}`) ?? [])];
      expect(
        statuses.some((s) => s < 300),
        `${route.method} ${route.path}: ${statuses}`,
      ).toBe(true);
      if (route.auth) {
        const clientErrors = statuses.filter((s) => s >= 400 && s < 500);
        expect(clientErrors.length, `${route.method} ${route.path}: ${statuses}`).toBeGreaterThanOrEqual(2);
      }
    }
    expect(seen.get('POST /events')).toEqual(new Set([202, 400, 401, 413, 415]));
    expect(seen.get('PUT /schemas/{type}')).toEqual(new Set([200, 400, 401, 413]));
  }, 240_000);
});
