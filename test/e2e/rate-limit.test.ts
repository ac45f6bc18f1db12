/**
 * The tenant request rate against the local cloud (issue #11): a tenant whose override item allows 5 requests
 * per second, sending bursts, gets 429 with Retry-After, RateLimit-Policy and RateLimit (exposed to browsers by
 * CORS), in the API's error shape as the OpenAPI document says; a second tenant is served in the same bursts;
 * once Retry-After has passed the first tenant is served again. Sandboxes of several functions share the budget
 * through the table's counter items only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import document from '../../shared/api/openapi.json';
import { tenantLimitsKey } from '../../shared/tenants/limits';
import {
  Api,
  event,
  localCredentials,
  signUpAndIn,
  startTestCloud,
  type TestCloud,
  type TestUser,
} from './harness';

let env: TestCloud;
let alice: TestUser;
let bob: TestUser;
let db: DynamoDBDocumentClient;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(document as object, 'openapi');
const tooManyRequestsSchema = (path: string, method: string) =>
  ajv.getSchema(
    `openapi#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/429/content/application~1json/schema`,
  )!;

beforeAll(async () => {
  env = await startTestCloud();
  [alice, bob] = await Promise.all([signUpAndIn(env.endpoints, 'alice'), signUpAndIn(env.endpoints, 'bob')]);
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: env.endpoints.region,
      credentials: localCredentials,
      endpoint: env.endpoints.dynamodbEndpoint,
    }),
  );
  // Alice's override, written before her first request (each sandbox caches it for a minute).
  await db.send(
    new PutCommand({
      TableName: env.endpoints.tableName,
      Item: { ...tenantLimitsKey(alice.sub), requestsPerSecond: 5 },
    }),
  );
}, 180_000);

afterAll(async () => {
  await env?.dispose();
});

const origin = { origin: 'http://127.0.0.1:1' };

describe('tenant request rate (local cloud)', () => {
  it('answers a tenant over its rate 429 with the headers, serves another tenant meanwhile, then serves it again', async () => {
    const aliceApi = new Api(env.endpoints.apiUrl, alice.idToken);
    const bobApi = new Api(env.endpoints.apiUrl, bob.idToken);
    // Warm the functions (local sandboxes start one at a time) so that bursts land within a second.
    expect((await bobApi.get('/jobs')).status).toBe(200);
    expect((await bobApi.postJson('/events', event())).status).toBe(202);

    let refused: Awaited<ReturnType<Api['get']>> | undefined;
    for (let burst = 0; burst < 10 && !refused; burst += 1) {
      const [aliceResults, bobResults] = await Promise.all([
        Promise.all([
          ...Array.from({ length: 12 }, () => aliceApi.request('GET', '/jobs', { headers: origin })),
          ...Array.from({ length: 4 }, () => aliceApi.postJson('/events', event())),
        ]),
        Promise.all([bobApi.get('/jobs'), bobApi.postJson('/events', event())]),
      ]);
      // Bob shares nothing with alice: every one of his requests in the burst is served.
      expect(bobResults.map((r) => r.status)).toEqual([200, 202]);
      for (const result of aliceResults) expect([200, 202, 429]).toContain(result.status);
      refused = aliceResults.find((r) => r.status === 429 && r.headers.get('access-control-expose-headers'));
    }
    expect(refused, 'alice was never refused').toBeDefined();
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).toBe(1);
    expect(refused!.headers.get('ratelimit-policy')).toBe('"tenant";q=5;w=1');
    expect(refused!.headers.get('ratelimit')).toMatch(/^"tenant";r=0;t=1$/);
    expect(refused!.headers.get('access-control-expose-headers')!.split(',')).toEqual(
      expect.arrayContaining(['retry-after', 'ratelimit-policy', 'ratelimit']),
    );
    expect((refused!.body as { error: { code: string } }).error.code).toBe('TooManyRequests');
    const validate = tooManyRequestsSchema('/jobs', 'get');
    expect(validate(refused!.body), ajv.errorsText(validate.errors)).toBe(true);

    // After Retry-After, alice is served again.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    const again = await aliceApi.get('/jobs');
    expect(again.status).toBe(200);
    expect(again.headers.get('ratelimit-policy')).toBe('"tenant";q=5;w=1');

    // The counters live under RATE#<tenant> only, each with its TTL a minute past its window.
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: env.endpoints.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `RATE#${alice.sub}` },
      }),
    );
    expect(Items.length).toBeGreaterThan(0);
    for (const item of Items) {
      const window = Number(String(item.sk).slice(2));
      expect(item).toMatchObject({ sk: `W#${window}`, ttl: window + 60 });
      expect(item.taken).toBeGreaterThanOrEqual(1);
    }
  }, 120_000);
});
