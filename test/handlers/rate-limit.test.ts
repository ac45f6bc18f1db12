/**
 * The tenant request rate in the shared API handler layer (shared/api/router.ts): two functions (submit-events
 * and read-jobs, each its own sandbox with its own limiter) share one budget per tenant through the counter
 * items of one mocked table; over it, 429 TooManyRequests with Retry-After and the RateLimit fields.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { handler as submitEvents } from '../../functions/submit-events/handler';
import { handler as readJobs } from '../../functions/read-jobs/handler';
import { handler as health } from '../../functions/health/handler';
import { apiEvent, lambdaContext, parsed } from './api-event';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
    BUCKET_NAME: 'sluice-bucket',
    QUEUE_URL: 'https://sqs.example/ingest',
    MAX_REQUEST_BYTES: '100000',
    MAX_EVENTS_PER_REQUEST: '10',
    MAX_INLINE_BYTES: '60000',
    TENANT_REQUESTS_PER_SECOND: '1000',
  });
});

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
/** The counter items, as the table would hold them. */
const counters = new Map<string, number>();
let counterFails = false;

const event = { specversion: '1.0', id: 'e-1', source: 'urn:test', type: 'com.example.test' };
const post = (tenant: string) =>
  submitEvents(
    apiEvent('POST /events', {
      tenant,
      body: JSON.stringify(event),
      headers: { 'content-type': 'application/json' },
    }),
    lambdaContext,
  ).then(parsed);
const listJobs = (tenant: string) => readJobs(apiEvent('GET /jobs', { tenant }), lambdaContext).then(parsed);

const start = Date.UTC(2026, 11, 1, 12, 0, 0);

beforeAll(() => vi.useFakeTimers({ toFake: ['Date'] }));
afterAll(() => vi.useRealTimers());

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  counterFails = false;
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  ddb.on(PutCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  // Alice's override item allows 3 requests per second; bob has none (the default, 1,000).
  ddb
    .on(GetCommand)
    .callsFake(({ Key }) =>
      Key.pk === 'TENANT#alice' && Key.sk === 'LIMITS' ? { Item: { ...Key, requestsPerSecond: 3 } } : {},
    );
  ddb.on(UpdateCommand).callsFake(({ Key, ExpressionAttributeValues }) => {
    if (!String(Key.pk).startsWith('RATE#')) return {};
    if (counterFails) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    const id = `${Key.pk}|${Key.sk}`;
    counters.set(id, (counters.get(id) ?? 0) + (ExpressionAttributeValues[':n'] as number));
    return { Attributes: { taken: counters.get(id) } };
  });
});

describe('tenant request rate (every authenticated route, one budget per tenant)', () => {
  it('answers 429 with Retry-After and RateLimit once a tenant passes its override; another tenant is served', async () => {
    vi.setSystemTime(start + 100);
    const served = [await post('alice'), await post('alice'), await post('alice')];
    for (const result of served) {
      expect(result.status).toBe(202);
      expect(result.headers['ratelimit-policy']).toBe('"tenant";q=3;w=1');
      expect(result.headers['retry-after']).toBeUndefined();
    }
    vi.setSystemTime(start + 400);
    const refused = await post('alice');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: {
        code: 'TooManyRequests',
        message: 'This tenant is over its 3 requests per second: retry after 1 s',
        details: [{ limit: 3, retryAfterSeconds: 1 }],
      },
    });
    expect(refused.headers).toMatchObject({
      'content-type': 'application/json',
      'retry-after': '1',
      'ratelimit-policy': '"tenant";q=3;w=1',
      ratelimit: '"tenant";r=0;t=1',
    });
    // Nothing was accepted: no job written, nothing queued for the refused request.
    expect(ddb.commandCalls(PutCommand)).toHaveLength(3);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(3);

    // The same budget in another function (its own sandbox): alice's GET /jobs is refused too.
    expect((await listJobs('alice')).status).toBe(429);

    // Bob is served meanwhile, under the default, with no counter write (1% of 1,000 is free per sandbox).
    const writesBefore = ddb.commandCalls(UpdateCommand).length;
    const bob = await post('bob');
    expect(bob.status).toBe(202);
    expect(bob.headers['ratelimit-policy']).toBe('"tenant";q=1000;w=1');
    expect((await listJobs('bob')).status).toBe(200);
    expect(ddb.commandCalls(UpdateCommand).length).toBe(writesBefore);

    // The next second, alice is served again.
    vi.setSystemTime(start + 1000);
    expect((await post('alice')).status).toBe(202);
  });

  it('counts on RATE#<tenant> / W#<window> items that carry a TTL a minute past their window', async () => {
    vi.setSystemTime(start + 5000 + 10);
    await post('alice');
    const [call] = ddb
      .commandCalls(UpdateCommand)
      .filter((c) => String(c.args[0].input.Key?.pk).startsWith('RATE#'));
    const window = (start + 5000) / 1000;
    expect(call!.args[0].input).toMatchObject({
      TableName: 'sluice',
      Key: { pk: 'RATE#alice', sk: `W#${window}` },
      UpdateExpression: 'ADD #taken :n SET #ttl = :ttl',
      ExpressionAttributeNames: { '#taken': 'taken', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':ttl': window + 60 },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('serves (fail open, one block per sandbox and second) when the counter write fails, never a 500', async () => {
    vi.setSystemTime(start + 10_000);
    counterFails = true;
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push((await post('alice')).status);
    // No history this second: the block is one request; the rest of the second is refused.
    expect(results).toEqual([202, 429, 429, 429, 429]);
    expect(results).not.toContain(500);
  });

  it('does not count unauthenticated routes', async () => {
    const result = parsed(await health(apiEvent('GET /health', { tenant: null }), lambdaContext));
    expect(result.status).toBe(200);
    expect(result.headers['ratelimit-policy']).toBeUndefined();
    expect(ddb.calls()).toHaveLength(0);
  });
});
