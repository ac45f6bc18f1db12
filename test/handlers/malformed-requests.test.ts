/**
 * Every malformed request is a 4xx with the error body saying what and where, and none reaches AWS: hostile
 * bodies, headers, parameters and cursors against the API handlers (the SDK clients are mocked).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { handler as submitEvents } from '../../functions/submit-events/handler';
import { handler as manageSchemas } from '../../functions/manage-schemas/handler';
import { handler as queryEvents } from '../../functions/query-events/handler';
import { handler as readJobs } from '../../functions/read-jobs/handler';
import { encodeCursor } from '../../shared/http/request';
import { apiEvent, lambdaContext, parsed, type ApiEventOptions } from './api-event';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'sluice-bucket',
    QUEUE_URL: 'https://sqs.example/ingest',
    MAX_REQUEST_BYTES: '1000000',
    MAX_EVENTS_PER_REQUEST: '100',
    MAX_INLINE_BYTES: '61440',
  });
});

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);

type Handler = (event: ReturnType<typeof apiEvent>, context: typeof lambdaContext) => Promise<unknown>;
const handlers: Record<string, Handler> = {
  'POST /events': submitEvents as Handler,
  'GET /events': queryEvents as Handler,
  'GET /events/{id}': queryEvents as Handler,
  'GET /jobs': readJobs as Handler,
  'GET /jobs/{jobId}': readJobs as Handler,
  'GET /jobs/{jobId}/errors': readJobs as Handler,
  'GET /schemas': manageSchemas as Handler,
  'GET /schemas/{type}': manageSchemas as Handler,
  'PUT /schemas/{type}': manageSchemas as Handler,
};
const call = async (routeKey: string, options: ApiEventOptions = {}) =>
  parsed((await handlers[routeKey]!(apiEvent(routeKey, options), lambdaContext)) as never);

const jobId = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const jobKey = { pk: 'TENANT#alice', sk: `JOB#${jobId}` };
const job = {
  ...jobKey,
  jobId,
  tenant: 'alice',
  source: 'api',
  status: 'RUNNING',
  counts: { received: 0, accepted: 0, rejected: 0, duplicates: 0 },
  errors: [{ index: 0, id: 'a', reason: 'id: required' }],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

beforeEach(() => {
  for (const mock of [s3, sqs, ddb]) mock.reset();
  s3.on(PutObjectCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({ Attributes: { createdAt: '2026-01-01T00:00:00.000Z' } });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(GetCommand).resolves({}).on(GetCommand, { Key: jobKey }).resolves({ Item: job });
});

const untouched = () => {
  expect(s3.calls()).toHaveLength(0);
  expect(sqs.calls()).toHaveLength(0);
  expect(ddb.calls()).toHaveLength(0);
};

/** `[[[…]]]` or `{"a":{"a":…}}` nested `levels` deep. */
const nestedArray = (levels: number, inner = '') => '['.repeat(levels) + inner + ']'.repeat(levels);
const nestedObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const event = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source: 'urn:test',
  type: 'com.example.test',
  ...extra,
});
const withData = (id: string, dataJson: string) =>
  JSON.stringify(event(id)).replace(/}$/, `,"data":${dataJson}}`);

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  call('POST /events', { body, headers });
/** The submission's candidates as queued: inline in the message, or stored in S3 when larger. */
const storedSubmission = (): string => {
  const [put] = s3.commandCalls(PutObjectCommand);
  if (put) return put.args[0].input.Body as string;
  const message = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!) as {
    events: unknown[];
  };
  return JSON.stringify(message.events);
};

describe('POST /events: bodies', () => {
  it('refuses a body nested 20,000 levels deep with 400 InvalidJson and where, before serializing', async () => {
    const result = await post(nestedArray(20_000));
    expect(result.status).toBe(400);
    expect(result.body.error).toEqual({
      code: 'InvalidJson',
      message: 'Request body is nested deeper than 1000 levels',
      details: [{ limit: 1000, pointer: '/0'.repeat(1000) }],
    });
    untouched();
  });

  it('points at the event and attribute that nest too deep', async () => {
    const batch = `[${JSON.stringify(event('a'))},${JSON.stringify(event('b'))},${withData('c', nestedObject(5000))}]`;
    const result = await post(batch);
    expect(result).toMatchObject({ status: 400, body: { error: { code: 'InvalidJson' } } });
    expect(result.body.error.details[0].pointer).toBe('/2/data' + '/a'.repeat(998));
    untouched();
  });

  it('refuses binary-mode data and structured events nested too deep alike', async () => {
    const binary = await post(nestedObject(1500), {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'b',
      'ce-source': 'urn:test',
      'ce-type': 't',
    });
    expect(binary).toMatchObject({ status: 400, body: { error: { code: 'InvalidJson' } } });
    const structured = await post(withData('s', nestedArray(3000)), {
      'content-type': 'application/cloudevents+json',
    });
    expect(structured.body.error.details[0].pointer).toBe('/data' + '/0'.repeat(999));
    untouched();
  });

  it('accepts a body exactly 1,000 levels deep and leaves deep data to the per-event checks', async () => {
    expect((await post(nestedArray(1000))).status).toBe(202);
    expect((await post(nestedArray(1001))).status).toBe(400);
    s3.resetHistory();
    sqs.resetHistory();
    // 500 levels of data: over the per-event limit (64), so the job rejects that event, but the request stands.
    const result = await post(`[${withData('deep', nestedArray(500))},${JSON.stringify(event('ok'))}]`);
    expect(result.status).toBe(202);
    const stored = JSON.parse(storedSubmission()) as { id: string }[];
    expect(stored.map((e) => e.id)).toEqual(['deep', 'ok']);
  });

  it.each([
    ['empty', '', /^Request body is empty/],
    ['whitespace only', ' \r\n\t ', /^Request body is empty/],
    ['not JSON', '{"id":', /^Request body is not valid JSON/],
    ['two values', '{} {}', /^Request body is not valid JSON/],
  ])('answers a body that is %s with 400 InvalidJson', async (_label, body, message) => {
    const result = await post(body);
    expect(result).toMatchObject({ status: 400, body: { error: { code: 'InvalidJson' } } });
    expect(result.body.error.message).toMatch(message);
    untouched();
  });

  it('gives the position of a JSON syntax error', async () => {
    const result = await post('{"specversion":"1.0",,}');
    expect(result.body.error.details[0]).toMatchObject({ position: 21, line: 1 });
  });

  it.each([
    ['null', 'null', 'null'],
    ['a string', '"str"', 'a string'],
    ['a number', '42', 'a number'],
    ['a boolean', 'true', 'a boolean'],
  ])('answers a JSON body that is %s with 400 InvalidRequest at pointer ""', async (_label, body, got) => {
    const result = await post(body);
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({ code: 'InvalidRequest', details: [{ pointer: '', got }] });
    untouched();
  });

  it('answers each content mode given the wrong JSON type with 400 InvalidRequest', async () => {
    const structured = await post('[]', { 'content-type': 'application/cloudevents+json' });
    expect(structured.body.error).toMatchObject({ code: 'InvalidRequest', details: [{ got: 'an array' }] });
    const batch = await post('{}', { 'content-type': 'application/cloudevents-batch+json' });
    expect(batch.body.error).toMatchObject({ code: 'InvalidRequest', details: [{ got: 'a object' }] });
    untouched();
  });

  it('counts a huge array of nulls against the event limit; within it, each null is left to the job', async () => {
    const tooMany = await post(JSON.stringify(Array(10_000).fill(null)));
    expect(tooMany).toMatchObject({
      status: 413,
      body: { error: { code: 'TooManyEvents', details: [{ limit: 100, count: 10_000 }] } },
    });
    untouched();
    expect((await post(JSON.stringify(Array(100).fill(null)))).status).toBe(202);
    expect((await post('[]')).body.error.code).toBe('EmptyBatch');
  });

  it('keeps `__proto__` keys as the attributes they are (the envelope check rejects the name)', async () => {
    const body = '{"specversion":"1.0","id":"p","source":"urn:test","type":"t","__proto__":{"polluted":1}}';
    expect((await post(body)).status).toBe(202);
    expect(JSON.parse(storedSubmission())).toEqual([
      JSON.parse('{"specversion":"1.0","id":"p","source":"urn:test","type":"t","__proto__":{"polluted":1}}'),
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads base64 bodies; bytes that are not UTF-8 are 400 InvalidJson with their offset', async () => {
    const ok = Buffer.from(JSON.stringify(event('b64'))).toString('base64');
    const accepted = await call('POST /events', {
      body: ok,
      isBase64Encoded: true,
      headers: { 'content-type': 'application/json' },
    });
    expect(accepted.status).toBe(202);
    s3.resetHistory();
    sqs.resetHistory();
    ddb.resetHistory();
    const bad = Buffer.concat([Buffer.from('{"id":"\uFFFD'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const refused = await call('POST /events', {
      body: bad.toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({
      code: 'InvalidJson',
      message: 'Request body is not valid UTF-8',
      details: [{ position: 10 }],
    });
    untouched();
  });

  it('refuses a body over maxRequestBytes with 413 before reading it', async () => {
    const result = await post(' '.repeat(1_000_001));
    expect(result).toMatchObject({
      status: 413,
      body: { error: { code: 'PayloadTooLarge', details: [{ limit: 1_000_000, size: 1_000_001 }] } },
    });
    untouched();
  });
});

describe('POST /events: headers', () => {
  it.each([
    ['not a media type', 'json please'],
    ['a type without a subtype', 'application'],
    ['another media type', 'text/plain'],
    ['a charset JSON does not use', 'application/json; charset=latin1'],
    ['a repeated parameter', 'application/json; charset=utf-8; charset=latin1'],
    ['control characters', 'application/json\u0000'],
    ['8 KB of junk', `application/json; x=${'y'.repeat(8192)}"`],
  ])('answers a Content-Type that is %s with 415 naming the header', async (_label, contentType) => {
    const result = await post(JSON.stringify(event('h')), { 'content-type': contentType });
    expect(result.status).toBe(415);
    expect(result.body.error).toMatchObject({
      code: 'UnsupportedMediaType',
      details: [expect.objectContaining({ header: 'content-type' })],
    });
    expect(result.body.error.message.length).toBeLessThan(400);
    untouched();
  });

  it('reads the Content-Type whatever the case of its name, however many times it is sent', async () => {
    const result = await post('{}', { 'Content-Type': 'text/plain', 'content-type': 'application/json' });
    expect(result.status).toBe(415); // joined, as HTTP repeats a header: not one media type
  });

  it('leaves huge, non-UTF-8 and odd ce-* values to the per-event checks (the request stands)', async () => {
    const result = await post('{"amount":1}', {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'x'.repeat(10_000),
      'ce-source': 'urn:%FF%FE',
      'ce-type': '%E0%A4%A',
      'ce-__proto__': 'polluted',
      'ce-': 'nameless',
    });
    expect(result.status).toBe(202);
    const [stored] = JSON.parse(storedSubmission()) as Record<string, unknown>[];
    expect(stored).toMatchObject({ id: 'x'.repeat(10_000), source: 'urn:%FF%FE', type: '%E0%A4%A' });
    expect(Object.keys(stored!)).toContain('__proto__');
    expect(Object.keys(stored!)).not.toContain('');
  });

  it('answers binary mode with data that is not what its type says with 400 InvalidJson or 415', async () => {
    const headers = { 'ce-specversion': '1.0', 'ce-id': 'b', 'ce-source': 'urn:x', 'ce-type': 't' };
    const json = await post('nope', { ...headers, 'content-type': 'application/json' });
    expect(json.body.error.code).toBe('InvalidJson');
    const charset = await post('hello', { ...headers, 'content-type': 'text/plain; charset=klingon' });
    expect(charset).toMatchObject({ status: 415, body: { error: { code: 'UnsupportedMediaType' } } });
    untouched();
  });
});

describe('PUT /schemas/{type}', () => {
  const put = (body: string, type = 'com.example.t', extra: ApiEventOptions = {}) =>
    call('PUT /schemas/{type}', { body, pathParameters: { type }, ...extra });

  it('refuses a schema nested 20,000 levels deep with 400 InvalidJson, before serializing it', async () => {
    const result = await put(nestedArray(20_000));
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({
      code: 'InvalidJson',
      message: 'Request body is nested deeper than 1000 levels',
      details: [{ limit: 1000, pointer: '/0'.repeat(1000) }],
    });
    untouched();
  });

  it('names the keys on the way down to the too-deep part', async () => {
    const result = await put(`{"properties":${nestedObject(2000)}}`);
    expect(result.body.error.details).toEqual([{ limit: 1000, pointer: '/properties' + '/a'.repeat(999) }]);
    untouched();
  });

  it('refuses a body over 64 KiB with 413 PayloadTooLarge', async () => {
    const body = JSON.stringify({ type: 'object', description: 'x'.repeat(64 * 1024) });
    const result = await put(body);
    expect(result.status).toBe(413);
    expect(result.body.error).toEqual({
      code: 'PayloadTooLarge',
      message: 'Request body exceeds 65536 bytes',
      details: [{ limit: 65536, size: Buffer.byteLength(body) }],
    });
    untouched();
  });

  it.each([
    ['empty', '', 'InvalidJson'],
    ['not JSON', '{', 'InvalidJson'],
    ['null', 'null', 'InvalidSchema'],
    ['a string', '"str"', 'InvalidSchema'],
    ['an array', '[]', 'InvalidSchema'],
  ])('answers a body that is %s with 400 %s', async (_label, body, code) => {
    const result = await put(body);
    expect(result).toMatchObject({ status: 400, body: { error: { code } } });
    untouched();
  });

  it('refuses base64 bytes that are not UTF-8', async () => {
    const result = await put(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), 't', {
      isBase64Encoded: true,
    });
    expect(result.body.error).toMatchObject({ code: 'InvalidJson', details: [{ position: 1 }] });
  });

  it.each([
    ['3 KB', 'a'.repeat(3000), { parameter: 'type', limit: 1000, size: 3000 }],
    ['334 CJK characters (1,002 bytes)', '語'.repeat(334), { parameter: 'type', limit: 1000, size: 1002 }],
    ['a lone surrogate', 'com.\ud800', { parameter: 'type', reason: 'not well-formed UTF-16' }],
  ])('refuses a {type} of %s with 400 InvalidRequest naming it', async (_label, type, detail) => {
    for (const routeKey of ['PUT /schemas/{type}', 'GET /schemas/{type}']) {
      const result = await call(routeKey, { body: '{}', pathParameters: { type } });
      expect(result.status).toBe(400);
      expect(result.body.error).toMatchObject({ code: 'InvalidRequest', details: [detail] });
    }
    untouched();
  });

  it('accepts a {type} of exactly 1,000 bytes, so SCHEMA#<type> fits a sort key', async () => {
    const type = '語'.repeat(333) + 'a';
    expect((await put('{}', type)).status).toBe(200);
  });
});

describe('cursors', () => {
  const cursorError = (reason: RegExp) => ({
    status: 400,
    body: {
      error: {
        code: 'InvalidCursor',
        details: [{ parameter: 'cursor', reason: expect.stringMatching(reason) }],
      },
    },
  });

  it.each([
    ['a sort key of another item kind', { pk: 'TENANT#alice', sk: 'SCHEMA#x' }, /^sk: not a key/],
    ['a number for the sort key', { pk: 'TENANT#alice', sk: 12 }, /^sk: must be a string/],
    ['a number for the partition key', { pk: 7, sk: `JOB#${jobId}` }, /^pk: must be a string/],
    [
      'a sort key over 1,024 bytes',
      { pk: 'TENANT#alice', sk: `JOB#${'A'.repeat(1100)}` },
      /^sk: longer than/,
    ],
    ['a lone surrogate', { pk: 'TENANT#alice', sk: 'JOB#\ud800' }, /^sk: not well-formed/],
    ['another tenant', { pk: 'TENANT#bob', sk: `JOB#${jobId}` }, /^pk: belongs to another/],
    ['an extra key', { pk: 'TENANT#alice', sk: `JOB#${jobId}`, gsi1pk: 'x' }, /^must hold exactly/],
  ])('GET /jobs refuses a cursor with %s', async (_label, key, reason) => {
    const result = await call('GET /jobs', { queryStringParameters: { cursor: encodeCursor(key) } });
    expect(result).toMatchObject(cursorError(reason));
    untouched();
  });

  it.each([
    ['not base64url', 'abc+/=', /^not base64url$/],
    [
      'two cursors joined (a repeated parameter)',
      `${encodeCursor(jobKey)},${encodeCursor(jobKey)}`,
      /^not base64url$/,
    ],
    ['not JSON', Buffer.from('{pk:').toString('base64url'), /JSON/],
    ['a JSON string', Buffer.from('"pk"').toString('base64url'), /^not a key$/],
    ['9,000 characters', 'A'.repeat(9000), /^longer than 8192/],
  ])('GET /jobs refuses a cursor that is %s', async (_label, cursor, reason) => {
    const result = await call('GET /jobs', { queryStringParameters: { cursor } });
    expect(result).toMatchObject(cursorError(reason));
    untouched();
  });

  it('GET /jobs takes its own cursor', async () => {
    const result = await call('GET /jobs', { queryStringParameters: { cursor: encodeCursor(jobKey) } });
    expect(result.status).toBe(200);
    // Every shard resumes from the cursor's job; the last Query is the partition of jobs before sharding.
    const starts = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExclusiveStartKey);
    expect(starts[0]).toEqual({ pk: 'TENANT#alice#0', sk: jobKey.sk });
    expect(starts.at(-1)).toEqual(jobKey);
  });

  it('GET /schemas refuses a job cursor and a number', async () => {
    for (const key of [jobKey, { pk: 'TENANT#alice', sk: 5 }]) {
      const result = await call('GET /schemas', { queryStringParameters: { cursor: encodeCursor(key) } });
      expect(result.body.error.code).toBe('InvalidCursor');
    }
    untouched();
  });

  it('GET /events refuses cursors of another kind, type, index or shape', async () => {
    const good = {
      pk: 'EVENT#alice#urn%3Ax#a',
      sk: 'EVENT',
      gsi1pk: 'TYPE#alice#t',
      gsi1sk: '2026-01-01T00:00:00.000Z#urn%3Ax#a',
    };
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ gsi1pk: 'TYPE#alice#other' }, /^gsi1pk: belongs/],
      [{ gsi1sk: 'SCHEMA#x' }, /^gsi1sk: not a key/],
      [{ gsi1sk: 1 }, /^gsi1sk: must be a string/],
      [{ sk: 'JOB#x' }, /^sk: belongs/],
      [{ pk: 'TENANT#alice' }, /^pk: not a key/],
    ];
    for (const [change, reason] of bad) {
      const cursor = encodeCursor({ ...good, ...change });
      expect(await call('GET /events', { queryStringParameters: { type: 't', cursor } })).toMatchObject(
        cursorError(reason),
      );
    }
    const outside = await call('GET /events', {
      queryStringParameters: { type: 't', cursor: encodeCursor(good), since: '2026-02-01T00:00:00Z' },
    });
    expect(outside).toMatchObject(cursorError(/outside the since\/until range/));
    untouched();
    const ok = await call('GET /events', {
      queryStringParameters: { type: 't', cursor: encodeCursor(good) },
    });
    expect(ok.status).toBe(200);
  });

  it('GET /jobs/{jobId}/errors refuses offsets of the wrong type, sign or bounds and other jobs', async () => {
    const errors = (cursor: string) =>
      call('GET /jobs/{jobId}/errors', { pathParameters: { jobId }, queryStringParameters: { cursor } });
    for (const offset of ['5', -1, 1.5, 2 ** 60, 2]) {
      expect((await errors(encodeCursor({ jobId, offset }))).body.error.code).toBe('InvalidCursor');
    }
    const foreign = await errors(encodeCursor({ jobId: '01JZZZZZZZZZZZZZZZZZZZZZZZ', offset: 0 }));
    expect(foreign.body.error.code).toBe('InvalidCursor');
    expect(s3.calls()).toHaveLength(0);
    // The job holds one rejection: offset 1 is the (empty) end, offset 2 is past it.
    expect(await errors(encodeCursor({ jobId, offset: 1 }))).toMatchObject({
      status: 200,
      body: { items: [], nextCursor: null },
    });
  });
});

describe('parameters', () => {
  it.each([
    ['1e3', '1e3'],
    ['-0', '-0'],
    ['a repeated limit (joined with a comma)', '5,6'],
    ['0x10', '0x10'],
    ['a huge number', '9'.repeat(400)],
  ])('refuses limit=%s with 400 InvalidRequest naming limit', async (_label, limit) => {
    for (const routeKey of ['GET /jobs', 'GET /schemas']) {
      const result = await call(routeKey, { queryStringParameters: { limit } });
      expect(result.status).toBe(400);
      expect(result.body.error).toMatchObject({ code: 'InvalidRequest', details: [{ parameter: 'limit' }] });
      expect(result.body.error.details[0].value.length).toBeLessThanOrEqual(101);
    }
    untouched();
  });

  it.each([
    [
      'a 3 KB id',
      { id: 'i'.repeat(3000) },
      { source: 'urn:x' },
      { parameter: 'id', limit: 1000, size: 3000 },
    ],
    ['a 3 KB source', { id: 'e1' }, { source: 's'.repeat(3000) }, { parameter: 'source', size: 3000 }],
    ['a lone surrogate in the id', { id: '\udc00x' }, { source: 'urn:x' }, { parameter: 'id' }],
    ['a lone surrogate in the source', { id: 'e1' }, { source: 'urn:\ud800' }, { parameter: 'source' }],
    ['no source', { id: 'e1' }, {}, { parameter: 'source' }],
  ])('GET /events/{id} refuses %s with 400 InvalidRequest', async (_label, path, query, detail) => {
    const result = await call('GET /events/{id}', {
      pathParameters: path,
      queryStringParameters: query as Record<string, string>,
    });
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({ code: 'InvalidRequest', details: [detail] });
    untouched();
  });

  it('GET /events/{id} looks up an id that is percent-encoding junk as sent, and finds nothing', async () => {
    const result = await call('GET /events/{id}', {
      pathParameters: { id: '%E0%A4%A' },
      queryStringParameters: { source: 'urn:x' },
    });
    expect(result).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
  });

  it.each([
    ['a 3 KB type', { type: 't'.repeat(3000) }, 'type'],
    ['a lone surrogate in the type', { type: '\ud800' }, 'type'],
    ['a 5 KB since', { type: 't', since: '2'.repeat(5000) }, 'since'],
    ['a repeated until', { type: 't', until: '2026-01-01T00:00:00Z,2026-01-02T00:00:00Z' }, 'until'],
  ])('GET /events refuses %s with 400 InvalidRequest naming it', async (_label, query, parameter) => {
    const result = await call('GET /events', { queryStringParameters: query });
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({ code: 'InvalidRequest', details: [{ parameter }] });
    untouched();
  });

  it.each([
    ['3 KB long', 'J'.repeat(3000)],
    ['a lone surrogate', '\ud800'],
  ])('GET /jobs/{jobId} refuses a jobId that is %s with 400 InvalidRequest', async (_label, id) => {
    for (const routeKey of ['GET /jobs/{jobId}', 'GET /jobs/{jobId}/errors']) {
      const result = await call(routeKey, { pathParameters: { jobId: id } });
      expect(result.status).toBe(400);
      expect(result.body.error).toMatchObject({ code: 'InvalidRequest', details: [{ parameter: 'jobId' }] });
    }
    untouched();
  });
});
