/**
 * Request-level cases: each malformed request and its exact answer (status and error code, in the API's body
 * `{"error":{"code","message","details"}}`, or API Gateway's own `{"message"}`). A request that is well formed
 * at request level (202) names what its job must then report.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { deepArrayText, deepObjectText, KiB, limits, type Counts } from '../cloud';

export interface RequestContext {
  /** The signed-in user's tenant (Cognito `sub`) and another tenant's. */
  sub: string;
  otherSub: string;
  /** A finished job of the user's that rejected at least one event, and another tenant's finished job. */
  jobId: string;
  otherJobId: string;
}

export interface RequestSpec {
  method: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Who sends it (default: the signed-in user). */
  as?: 'user' | 'anonymous' | 'junk-token';
}

export type RequestExpectation =
  /** The API's error body with this code; `parameter` is the one `details` must name. */
  | { status: number; code: string; message?: RegExp; parameter?: string }
  /** API Gateway's own answer (authorizer, no route): `{"message": ...}`. */
  | { status: number; gateway: string }
  /** Accepted; the job then ends SUCCEEDED with these counts and (in index order) these rejection reasons. */
  | { status: 202; job: { counts: Counts; reasons?: readonly string[]; everyReason?: string } }
  /** A success whose body contains `body`. */
  | { status: 200; body: Record<string, unknown> };

export interface RequestCase {
  name: string;
  request: (ctx: RequestContext) => RequestSpec;
  /** Where the contract allows more than one answer, each is listed. */
  expect: RequestExpectation | RequestExpectation[];
}

const cursor = (key: unknown): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
const json = (value: unknown) => JSON.stringify(value);
const event = (overrides: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'urn:sluice:hostile',
  type: 'com.example.hostile.request',
  data: { ok: true },
  ...overrides,
});
const postEvents = (body: string | Uint8Array, contentType?: string): RequestSpec => ({
  method: 'POST',
  path: '/events',
  body,
  headers: contentType === undefined ? {} : { 'content-type': contentType },
});
const postJson = (body: string) => postEvents(body, 'application/json');
const binary = (headers: Record<string, string>, body: string | Uint8Array = ''): RequestSpec => ({
  method: 'POST',
  path: '/events',
  body,
  headers: {
    'ce-specversion': '1.0',
    'ce-id': randomUUID(),
    'ce-source': 'urn:sluice:binary',
    'ce-type': 'com.example.binary',
    'content-type': 'application/json',
    ...headers,
  },
});
const get = (path: string, as?: RequestSpec['as']): RequestSpec => ({ method: 'GET', path, as });
const putSchema = (type: string, body: string): RequestSpec => ({
  method: 'PUT',
  path: `/schemas/${encodeURIComponent(type)}`,
  body,
  headers: { 'content-type': 'application/json' },
});
const postUpload = (body: string): RequestSpec => ({
  method: 'POST',
  path: '/uploads',
  body,
  headers: { 'content-type': 'application/json' },
});

const invalidJson = { status: 400, code: 'InvalidJson' } as const;
const tooDeep = { status: 400, code: 'InvalidJson', message: /nested deeper than 1000 levels/ } as const;
const invalidRequest = { status: 400, code: 'InvalidRequest' } as const;
const invalidCursor = { status: 400, code: 'InvalidCursor' } as const;
const unsupported = { status: 415, code: 'UnsupportedMediaType' } as const;
const notFound = { status: 404, code: 'NotFound' } as const;
const badParameter = (parameter: string) => ({ status: 400, code: 'InvalidRequest', parameter });
const oneAccepted = {
  status: 202,
  job: { counts: { received: 1, accepted: 1, rejected: 0, duplicates: 0 } },
} as const;
const oneRejected = (reason: string) =>
  ({
    status: 202,
    job: { counts: { received: 1, accepted: 0, rejected: 1, duplicates: 0 }, reasons: [reason] },
  }) as const;

const invalidUtf8 = (before: string, after: string) =>
  Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
const unknownJobId = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const deepDataEvent = (dataDepth: number) =>
  json(event({ data: 0 })).replace('"data":0', `"data":${deepArrayText(dataDepth)}`);

const body: RequestCase[] = [
  {
    name: 'POST /events: body is not JSON',
    request: () => postJson('this is not json'),
    expect: invalidJson,
  },
  { name: 'POST /events: truncated JSON', request: () => postJson('{"specversion":'), expect: invalidJson },
  { name: 'POST /events: empty body', request: () => postJson(''), expect: invalidJson },
  { name: 'POST /events: body is null', request: () => postJson('null'), expect: invalidRequest },
  { name: 'POST /events: body is a string', request: () => postJson('"str"'), expect: invalidRequest },
  { name: 'POST /events: body is a number', request: () => postJson('42'), expect: invalidRequest },
  { name: 'POST /events: body is true', request: () => postJson('true'), expect: invalidRequest },
  {
    name: 'POST /events: empty array',
    request: () => postJson('[]'),
    expect: { status: 400, code: 'EmptyBatch' },
  },
  {
    name: 'POST /events: empty batch-mode array',
    request: () => postEvents('[]', 'application/cloudevents-batch+json'),
    expect: { status: 400, code: 'EmptyBatch' },
  },
  {
    name: 'POST /events: structured mode with an array',
    request: () => postEvents(json([event()]), 'application/cloudevents+json'),
    expect: invalidRequest,
  },
  {
    name: 'POST /events: batch mode with an object',
    request: () => postEvents(json(event()), 'application/cloudevents-batch+json'),
    expect: invalidRequest,
  },
  {
    name: 'POST /events: array nested 20,000 levels',
    request: () => postJson(deepArrayText(20_000)),
    expect: tooDeep,
  },
  {
    name: 'POST /events: object nested 20,000 levels',
    request: () => postJson(deepObjectText(20_000)),
    expect: tooDeep,
  },
  {
    name: 'POST /events: event whose data nests 20,000 levels',
    request: () => postJson(`[${deepDataEvent(20_000)}]`),
    expect: tooDeep,
  },
  {
    name: 'POST /events: body nested 1,001 levels',
    request: () => postJson(deepArrayText(1_001)),
    expect: tooDeep,
  },
  {
    name: 'POST /events: body nested exactly 1,000 levels is accepted, its deep data rejected in the job',
    request: () => postJson(`[${deepDataEvent(998)}]`),
    expect: oneRejected('data: nested deeper than 64 levels'),
  },
  {
    name: 'POST /events: event with data 100 levels deep is accepted, rejected in the job',
    request: () => postJson(`[${deepDataEvent(100)}]`),
    expect: oneRejected('data: nested deeper than 64 levels'),
  },
  {
    name: 'POST /events: data holding 1e400 (past a double) is refused, not stored as null',
    request: () => postJson(json(event({ data: 0 })).replace('"data":0', '"data":{"n":1e400}')),
    expect: { status: 400, code: 'InvalidJson', message: /outside the range of a double/ },
  },
  {
    name: 'POST /events: a batch whose second event holds -1e999',
    request: () =>
      postEvents(
        `[${json(event())},${json(event({ data: 0 })).replace('"data":0', '"data":[-1e999]')}]`,
        'application/cloudevents-batch+json',
      ),
    expect: { status: 400, code: 'InvalidJson', message: /outside the range of a double/ },
  },
  {
    name: 'POST /events: 1.7976931348623157e308 (the largest double) is accepted',
    request: () => postJson(json(event({ data: 0 })).replace('"data":0', '"data":1.7976931348623157e308')),
    expect: oneAccepted,
  },
  {
    name: 'POST /events: a gzip body with Content-Encoding: gzip (not decoded by API Gateway)',
    request: () => ({
      ...postJson(''),
      body: gzipSync(json(event())),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    }),
    expect: { status: 415, code: 'UnsupportedMediaType', message: /Content-Encoding gzip/ },
  },
  {
    name: 'POST /events: Content-Encoding: identity is read as sent',
    request: () => ({
      ...postJson(json(event())),
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    }),
    expect: oneAccepted,
  },
  {
    name: 'POST /events: UTF-8 BOM before the JSON',
    request: () => postJson(`\uFEFF${json(event())}`),
    expect: oneAccepted,
  },
  {
    name: 'POST /events: invalid UTF-8 between JSON tokens',
    request: () => postEvents(invalidUtf8('[', `${json(event())}]`), 'application/json'),
    expect: invalidJson,
  },
  {
    name: 'POST /events: invalid UTF-8 inside a string, no content type',
    request: () => postEvents(invalidUtf8('{"specversion":"1.0","id":"', '","source":"urn:x","type":"t"}')),
    expect: invalidJson,
  },
  {
    name: 'POST /events: no content type is read as JSON',
    request: () => postEvents(new TextEncoder().encode(json(event()))),
    expect: oneAccepted,
  },
  {
    name: 'POST /events: upper-case APPLICATION/JSON',
    request: () => postEvents(json(event()), 'APPLICATION/JSON'),
    expect: oneAccepted,
  },
  {
    name: 'POST /events: text/plain',
    request: () => postEvents(json(event()), 'text/plain'),
    expect: unsupported,
  },
  { name: 'POST /events: text/xml', request: () => postEvents('<x/>', 'text/xml'), expect: unsupported },
  {
    name: 'POST /events: form-encoded',
    request: () => postEvents('a=1', 'application/x-www-form-urlencoded'),
    expect: unsupported,
  },
  {
    name: 'POST /events: multipart',
    request: () => postEvents('--x--', 'multipart/form-data; boundary=x'),
    expect: unsupported,
  },
  {
    name: 'POST /events: content type that is not a media type',
    request: () => postEvents(json(event()), 'not a media type'),
    expect: unsupported,
  },
  {
    name: 'POST /events: JSON in latin-1',
    request: () => postEvents(json(event()), 'application/json; charset=iso-8859-1'),
    expect: unsupported,
  },
  {
    name: `POST /events: body over maxRequestBytes (${limits.maxRequestBytes})`,
    request: () => postJson(json([event({ data: 'x'.repeat(limits.maxRequestBytes) })])),
    expect: { status: 413, code: 'PayloadTooLarge' },
  },
  {
    name: 'POST /events: 10,001 events',
    request: () =>
      postJson(
        `[${Array(limits.maxEventsPerRequest + 1)
          .fill('{}')
          .join(',')}]`,
      ),
    expect: { status: 413, code: 'TooManyEvents' },
  },
  {
    name: 'POST /events: exactly 10,000 empty objects are accepted and each rejected',
    request: () => postJson(`[${Array(limits.maxEventsPerRequest).fill('{}').join(',')}]`),
    expect: {
      status: 202,
      job: {
        counts: { received: 10_000, accepted: 0, rejected: 10_000, duplicates: 0 },
        everyReason: 'specversion: required',
      },
    },
  },
];

const binaryMode: RequestCase[] = [
  { name: 'binary mode: a good event', request: () => binary({}, '{"n":1}'), expect: oneAccepted },
  {
    name: 'binary mode: body that is not JSON',
    request: () => binary({}, '{"n":'),
    expect: invalidJson,
  },
  {
    name: 'binary mode: JSON body nested 1,001 levels',
    request: () => binary({}, deepArrayText(1_001)),
    expect: tooDeep,
  },
  {
    name: 'binary mode: junk content type',
    request: () => binary({ 'content-type': 'junk' }, 'x'),
    expect: unsupported,
  },
  {
    name: 'binary mode: a JSON body of 1e400',
    request: () => binary({}, '1e400'),
    expect: { status: 400, code: 'InvalidJson', message: /outside the range of a double/ },
  },
  {
    name: 'binary mode: only ce-specversion',
    request: () => ({ method: 'POST', path: '/events', headers: { 'ce-specversion': '1.0' } }),
    expect: oneRejected('id: required'),
  },
  {
    name: 'binary mode: ce-specversion 0.3',
    request: () => binary({ 'ce-specversion': '0.3' }, '{}'),
    expect: oneRejected('specversion: must be "1.0"'),
  },
  {
    name: 'binary mode: extension header with an underscore',
    request: () => binary({ 'ce-weird_ext': 'x' }, '{}'),
    expect: oneRejected('weird_ext: extension attribute names must be lowercase a-z0-9'),
  },
  {
    name: 'binary mode: ce-id of 3 KB',
    request: () => binary({ 'ce-id': 'i'.repeat(3 * KiB) }, '{}'),
    expect: oneRejected('id: must be at most 1000 bytes of UTF-8'),
  },
  {
    name: 'binary mode: ce-data and ce-data_base64 headers are not attributes',
    request: () => binary({ 'ce-data': 'x', 'ce-data_base64': '!!' }, '{"n":1}'),
    expect: oneAccepted,
  },
  {
    name: 'binary mode: octet-stream body becomes data_base64',
    request: () => binary({ 'content-type': 'application/octet-stream' }, new Uint8Array([0, 255, 1, 254])),
    expect: oneAccepted,
  },
];

const cursors: RequestCase[] = [
  { name: 'GET /jobs: junk cursor', request: () => get('/jobs?cursor=!!junk!!'), expect: invalidCursor },
  {
    name: 'GET /jobs: cursor that is base64 of non-JSON',
    request: () => get(`/jobs?cursor=${Buffer.from('not json').toString('base64url')}`),
    expect: invalidCursor,
  },
  {
    name: 'GET /jobs: cursor of a JSON array',
    request: () => get(`/jobs?cursor=${cursor(['pk', 'sk'])}`),
    expect: invalidCursor,
  },
  {
    name: 'GET /jobs: cursor of another item kind (SCHEMA#x)',
    request: (c) => get(`/jobs?cursor=${cursor({ pk: `TENANT#${c.sub}`, sk: 'SCHEMA#x' })}`),
    expect: invalidCursor,
  },
  {
    name: 'GET /jobs: cursor with a numeric sort key',
    request: (c) => get(`/jobs?cursor=${cursor({ pk: `TENANT#${c.sub}`, sk: 5 })}`),
    expect: invalidCursor,
  },
  {
    name: "GET /jobs: cursor of another tenant's partition",
    request: (c) => get(`/jobs?cursor=${cursor({ pk: `TENANT#${c.otherSub}`, sk: `JOB#${c.otherJobId}` })}`),
    expect: invalidCursor,
  },
  {
    name: 'GET /jobs: cursor with an extra key',
    request: (c) => get(`/jobs?cursor=${cursor({ pk: `TENANT#${c.sub}`, sk: `JOB#${c.jobId}`, x: 1 })}`),
    expect: invalidCursor,
  },
  {
    name: 'GET /jobs: huge cursor (sort key of 4,000 characters)',
    request: (c) => get(`/jobs?cursor=${cursor({ pk: `TENANT#${c.sub}`, sk: `JOB#${'Z'.repeat(4_000)}` })}`),
    expect: invalidCursor,
  },
  {
    name: 'GET /events: junk cursor',
    request: () => get('/events?type=com.example.x&cursor=%%%'),
    expect: invalidCursor,
  },
  {
    name: 'GET /events: cursor of a job key',
    request: (c) => get(`/events?type=t&cursor=${cursor({ pk: `TENANT#${c.sub}`, sk: `JOB#${c.jobId}` })}`),
    expect: invalidCursor,
  },
  {
    name: 'GET /events: index cursor whose table key is another item kind',
    request: (c) =>
      get(
        `/events?type=t&cursor=${cursor({ pk: `TENANT#${c.sub}`, sk: 'SCHEMA#t', gsi1pk: `TYPE#${c.sub}#t`, gsi1sk: '2024-01-01T00:00:00.000Z#s#i' })}`,
      ),
    expect: invalidCursor,
  },
  {
    name: 'GET /events: index cursor with a numeric sort key',
    request: (c) =>
      get(
        `/events?type=t&cursor=${cursor({ pk: `EVENT#${c.sub}#s#i`, sk: 'EVENT', gsi1pk: `TYPE#${c.sub}#t`, gsi1sk: 7 })}`,
      ),
    expect: invalidCursor,
  },
  {
    name: "GET /events: index cursor of another tenant's type",
    request: (c) =>
      get(
        `/events?type=t&cursor=${cursor({ pk: `EVENT#${c.otherSub}#s#i`, sk: 'EVENT', gsi1pk: `TYPE#${c.otherSub}#t`, gsi1sk: '2024-01-01T00:00:00.000Z#s#i' })}`,
      ),
    expect: invalidCursor,
  },
  {
    name: 'GET /jobs/{id}/errors: junk cursor',
    request: (c) => get(`/jobs/${c.jobId}/errors?cursor=junk!`),
    expect: invalidCursor,
  },
  {
    name: 'GET /jobs/{id}/errors: cursor of another job',
    request: (c) => get(`/jobs/${c.jobId}/errors?cursor=${cursor({ jobId: c.otherJobId, offset: 0 })}`),
    expect: invalidCursor,
  },
  {
    name: 'GET /jobs/{id}/errors: cursor with a negative offset',
    request: (c) => get(`/jobs/${c.jobId}/errors?cursor=${cursor({ jobId: c.jobId, offset: -1 })}`),
    expect: { ...invalidCursor, parameter: 'cursor' },
  },
  {
    name: 'GET /jobs/{id}/errors: cursor with a fractional offset names the cursor',
    request: (c) => get(`/jobs/${c.jobId}/errors?cursor=${cursor({ jobId: c.jobId, offset: 0.5 })}`),
    expect: { ...invalidCursor, parameter: 'cursor' },
  },
  {
    name: 'GET /jobs/{id}/errors: cursor past the end of the report names the cursor',
    request: (c) => get(`/jobs/${c.jobId}/errors?cursor=${cursor({ jobId: c.jobId, offset: 1_000_000 })}`),
    expect: { ...invalidCursor, parameter: 'cursor' },
  },
  {
    name: 'GET /jobs/{id}/errors: cursor of a table key',
    request: (c) =>
      get(`/jobs/${c.jobId}/errors?cursor=${cursor({ pk: `TENANT#${c.sub}`, sk: 'SCHEMA#x' })}`),
    expect: invalidCursor,
  },
  { name: 'GET /schemas: junk cursor', request: () => get('/schemas?cursor=@@'), expect: invalidCursor },
  {
    name: 'GET /schemas: cursor of a job key',
    request: (c) => get(`/schemas?cursor=${cursor({ pk: `TENANT#${c.sub}`, sk: `JOB#${c.jobId}` })}`),
    expect: invalidCursor,
  },
];

const parameters: RequestCase[] = [
  ...['0', '-1', '1e3', '101', 'abc', '1.5'].map((limit): RequestCase => ({
    name: `GET /jobs: limit=${limit}`,
    request: () => get(`/jobs?limit=${encodeURIComponent(limit)}`),
    expect: badParameter('limit'),
  })),
  {
    name: 'GET /events: limit=0',
    request: () => get('/events?type=t&limit=0'),
    expect: badParameter('limit'),
  },
  {
    name: 'GET /jobs/{id}/errors: limit=1001',
    request: (c) => get(`/jobs/${c.jobId}/errors?limit=1001`),
    expect: badParameter('limit'),
  },
  { name: 'GET /events: no type', request: () => get('/events'), expect: badParameter('type') },
  {
    name: 'GET /events: type of 3 KB',
    request: () => get(`/events?type=${'t'.repeat(3 * KiB)}`),
    expect: badParameter('type'),
  },
  {
    name: 'GET /events: since junk',
    request: () => get('/events?type=t&since=yesterday'),
    expect: badParameter('since'),
  },
  {
    name: 'GET /events: since after until',
    request: () => get('/events?type=t&since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z'),
    expect: invalidRequest,
  },
  { name: 'GET /events/{id}: no source', request: () => get('/events/abc'), expect: badParameter('source') },
  {
    name: 'GET /events/{id}: id of 3 KB',
    request: () => get(`/events/${'i'.repeat(3 * KiB)}?source=urn:x`),
    expect: badParameter('id'),
  },
  {
    name: 'GET /events/{id}: id of 1,000 CJK characters (3,000 bytes)',
    request: () => get(`/events/${encodeURIComponent('漢'.repeat(1_000))}?source=urn:x`),
    expect: badParameter('id'),
  },
  {
    name: 'GET /events/{id}: source of 3 KB',
    request: () => get(`/events/abc?source=urn:${'s'.repeat(3 * KiB)}`),
    expect: badParameter('source'),
  },
  {
    name: 'GET /events/{id}: id holding an encoded lone surrogate (%ED%A0%80)',
    request: () => get('/events/a%ED%A0%80b?source=urn:x'),
    expect: badParameter('id'),
  },
  {
    name: 'GET /events/{id}: source holding an encoded lone surrogate (%ED%A0%80)',
    request: () => get('/events/abc?source=urn:%ED%A0%80'),
    expect: badParameter('source'),
  },
  {
    name: 'GET /events/{id}: an event that does not exist',
    request: () => get(`/events/${randomUUID()}?source=urn:x`),
    expect: notFound,
  },
];

const schemas: RequestCase[] = [
  { name: 'PUT /schemas: body not JSON', request: () => putSchema('t.a', '{"type":'), expect: invalidJson },
  {
    // Arrays: 20,000 levels of `[`…`]` are 40 KB, inside the 64 KiB body limit, so depth is what refuses it.
    name: 'PUT /schemas: body nested 20,000 levels',
    request: () => putSchema('t.b', deepArrayText(20_000)),
    expect: tooDeep,
  },
  {
    name: 'PUT /schemas: body nested 20,000 levels and over 64 KiB (size is checked first)',
    request: () => putSchema('t.b2', deepObjectText(20_000, '{}')),
    expect: { status: 413, code: 'PayloadTooLarge' },
  },
  {
    name: 'PUT /schemas: body nested 1,001 levels',
    request: () => putSchema('t.c', deepArrayText(1_001)),
    expect: tooDeep,
  },
  {
    name: 'PUT /schemas: minLength 1e400 is refused (it would be stored as null and never compile)',
    request: () => putSchema('t.inf', '{"type":"string","minLength":1e400}'),
    expect: { status: 400, code: 'InvalidJson', message: /outside the range of a double/ },
  },
  {
    name: 'PUT /schemas: a gzip body with Content-Encoding: gzip',
    request: () => ({
      ...putSchema('t.gz', ''),
      body: gzipSync('{"type":"object"}'),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    }),
    expect: { status: 415, code: 'UnsupportedMediaType', message: /Content-Encoding gzip/ },
  },
  {
    name: 'PUT /schemas: schema over 64 KiB',
    request: () => putSchema('t.d', json({ type: 'object', description: 'd'.repeat(70 * KiB) })),
    expect: { status: 413, code: 'PayloadTooLarge' },
  },
  {
    name: 'PUT /schemas: schema of 60 KiB is stored',
    request: () => putSchema('t.e', json({ type: 'object', description: 'd'.repeat(60 * KiB) })),
    expect: { status: 200, body: { type: 't.e' } },
  },
  {
    name: 'PUT /schemas: pattern with a backreference',
    request: () => putSchema('t.f', json({ type: 'string', pattern: '(a)\\1' })),
    // The message quotes the pattern as JSON, as the schema document spells it.
    expect: { status: 400, code: 'InvalidSchema', message: /pattern "\(a\)\\\\1"/ },
  },
  {
    name: 'PUT /schemas: pattern with a lookahead',
    request: () => putSchema('t.g', json({ type: 'string', pattern: '^(?=a)a$' })),
    expect: { status: 400, code: 'InvalidSchema' },
  },
  {
    name: 'PUT /schemas: patternProperties key with a backreference',
    request: () =>
      putSchema('t.h', json({ type: 'object', patternProperties: { '(b)\\1': { type: 'string' } } })),
    expect: { status: 400, code: 'InvalidSchema' },
  },
  {
    name: 'PUT /schemas: the catastrophic pattern ^(a+)+$ is accepted (linear-time engine)',
    request: () => putSchema('t.i', json({ type: 'string', pattern: '^(a+)+$' })),
    expect: { status: 200, body: { type: 't.i' } },
  },
  {
    name: 'PUT /schemas: {"$ref":"#"} (recurses on every event without end)',
    request: () => putSchema('t.selfref', '{"$ref":"#"}'),
    expect: { status: 400, code: 'InvalidSchema', message: /overflows the stack/ },
  },
  {
    name: 'PUT /schemas: anyOf through a $def that refers back to itself',
    request: () =>
      putSchema('t.selfref2', json({ $defs: { a: { anyOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' })),
    expect: { status: 400, code: 'InvalidSchema', message: /overflows the stack/ },
  },
  {
    name: 'PUT /schemas: 2,000 patternProperties (seconds to compile, then too large to run) are refused',
    request: () =>
      putSchema(
        't.pp2000',
        json({
          patternProperties: Object.fromEntries(
            Array.from({ length: 2_000 }, (_, i) => [`^${i}$`, { type: 'string' }]),
          ),
        }),
      ),
    expect: {
      status: 400,
      code: 'InvalidSchema',
      message: /longer than 1000 ms to compile|overflows the stack/,
    },
  },
  {
    name: 'PUT /schemas: a property name with a lone surrogate says so',
    request: () => putSchema('t.lone', '{"type":"object","properties":{"\\ud800":{"type":"string"}}}'),
    expect: { status: 400, code: 'InvalidSchema', message: /not well-formed UTF-16 \(a lone surrogate\)/ },
  },
  {
    name: 'PUT /schemas: a recursive schema that goes into the data is stored',
    request: () =>
      putSchema(
        't.tree',
        json({ type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } } } }),
      ),
    expect: { status: 200, body: { type: 't.tree' } },
  },
  {
    name: 'PUT /schemas: schema that does not compile',
    request: () => putSchema('t.j', json({ type: 12 })),
    expect: { status: 400, code: 'InvalidSchema' },
  },
  {
    name: 'PUT /schemas: a JSON array is not a schema',
    request: () => putSchema('t.k', '[]'),
    expect: { status: 400, code: 'InvalidSchema' },
  },
  {
    name: 'PUT /schemas: remote $ref',
    request: () => putSchema('t.l', json({ $ref: 'https://example.com/schema.json' })),
    expect: { status: 400, code: 'InvalidSchema' },
  },
  {
    name: 'PUT /schemas: type of 3 KB',
    request: () => putSchema('t'.repeat(3 * KiB), '{}'),
    expect: badParameter('type'),
  },
];

const uploads: RequestCase[] = [
  { name: 'POST /uploads: body not JSON', request: () => postUpload('{'), expect: invalidJson },
  {
    name: 'POST /uploads: Content-Encoding: br',
    request: () => ({
      ...postUpload(json({ filename: 'a.ndjson' })),
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    }),
    expect: { status: 415, code: 'UnsupportedMediaType', message: /Content-Encoding br/ },
  },
  { name: 'POST /uploads: no filename', request: () => postUpload('{}'), expect: invalidRequest },
  { name: 'POST /uploads: array body', request: () => postUpload('[]'), expect: invalidRequest },
  {
    name: 'POST /uploads: filename of 201 characters',
    request: () => postUpload(json({ filename: `${'f'.repeat(194)}.ndjson` })),
    expect: invalidRequest,
  },
  {
    name: 'POST /uploads: numeric filename',
    request: () => postUpload('{"filename":7}'),
    expect: invalidRequest,
  },
  {
    name: 'POST /uploads: body nested 20,000 levels',
    request: () => postUpload(`{"filename":"a.ndjson","x":${deepArrayText(20_000)}}`),
    expect: tooDeep,
  },
];

const jobsAndAuth: RequestCase[] = [
  { name: 'GET /jobs/{id}: unknown job', request: () => get(`/jobs/${unknownJobId}`), expect: notFound },
  {
    name: "GET /jobs/{id}: another tenant's job",
    request: (c) => get(`/jobs/${c.otherJobId}`),
    expect: notFound,
  },
  {
    name: "GET /jobs/{id}/errors: another tenant's job",
    request: (c) => get(`/jobs/${c.otherJobId}/errors`),
    expect: notFound,
  },
  {
    name: 'GET /jobs/{id}/errors: unknown job',
    request: () => get(`/jobs/${unknownJobId}/errors`),
    expect: notFound,
  },
  {
    name: 'GET /jobs/{id}: job id of 3 KB',
    request: () => get(`/jobs/${'J'.repeat(3 * KiB)}`),
    expect: [badParameter('jobId'), notFound],
  },
  {
    name: 'GET /jobs: no token',
    request: () => get('/jobs', 'anonymous'),
    expect: { status: 401, gateway: 'Unauthorized' },
  },
  {
    name: 'GET /jobs: junk token',
    request: () => get('/jobs', 'junk-token'),
    expect: { status: 401, gateway: 'Unauthorized' },
  },
  {
    name: 'POST /events: no token',
    request: () => ({ ...postJson(json(event())), as: 'anonymous' }),
    expect: { status: 401, gateway: 'Unauthorized' },
  },
  {
    name: 'GET /nowhere: no such route',
    request: () => get('/nowhere'),
    expect: { status: 404, gateway: 'Not Found' },
  },
  {
    name: 'GET /health without a token',
    request: () => get('/health', 'anonymous'),
    expect: { status: 200, body: { status: 'ok' } },
  },
  {
    name: 'GET /openapi.json without a token',
    request: () => get('/openapi.json', 'anonymous'),
    expect: { status: 200, body: { openapi: expect.stringMatching(/^3\.1\./) } },
  },
];

export const requestCases: RequestCase[] = [
  ...body,
  ...binaryMode,
  ...cursors,
  ...parameters,
  ...schemas,
  ...uploads,
  ...jobsAndAuth,
];
