import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/query-events/handler';
import { encodeCursor } from '../../shared/http/request';
import { apiEvent, lambdaContext, parsed, type ApiEventOptions } from './api-event';

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'sluice',
  });
});

const ddb = mockClient(DynamoDBDocumentClient);
const call = (routeKey: string, options: ApiEventOptions) =>
  handler(apiEvent(routeKey, options), lambdaContext).then(parsed);
const list = (query: Record<string, string>, tenant: string | null = 'alice') =>
  call('GET /events', { tenant, queryStringParameters: query });

const stored = (id: string, time: string) => ({
  specversion: '1.0',
  id,
  source: 'urn:shop',
  type: 'com.example.order',
  time,
  data: { amount: 1.5, note: 'é' },
  myext: 'kept',
});

beforeEach(() => ddb.reset());

describe('GET /events', () => {
  it('lists the caller’s events of a type, newest first, with a cursor to the next page', async () => {
    const items = ['2026-01-03', '2026-01-02', '2026-01-01'].map((day, i) => {
      const e = stored(`e${3 - i}`, `${day}T00:00:00Z`);
      return {
        pk: `EVENT#alice#urn%3Ashop#${e.id}`,
        sk: 'EVENT',
        gsi1pk: 'TYPE#alice#com.example.order#5',
        gsi1sk: `${day}T00:00:00.000Z#urn%3Ashop#${e.id}`,
        event: JSON.stringify(e),
      };
    });
    // All three in one type shard (the others and the legacy partition empty).
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TYPE#alice#com.example.order#5' } })
      .resolves({ Items: items });
    const result = await list({ type: 'com.example.order', limit: '2' });

    expect(result.status).toBe(200);
    expect(result.body.items).toEqual([
      stored('e3', '2026-01-03T00:00:00Z'),
      stored('e2', '2026-01-02T00:00:00Z'),
    ]);
    expect(result.body.nextCursor).toEqual(expect.any(String));
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    for (const query of queries) {
      expect(query).toMatchObject({ IndexName: 'gsi1', ScanIndexForward: false, Limit: 3 });
    }
    expect(queries.map((query) => query.ExpressionAttributeValues![':pk'])).toEqual([
      ...Array.from({ length: 16 }, (_, k) => `TYPE#alice#com.example.order#${k}`),
      'TYPE#alice#com.example.order',
    ]);
  });

  it('defaults the page size to 20 and normalizes since/until to UTC', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const result = await list({
      type: 't',
      since: '2026-01-01T02:00:00+02:00',
      until: '2026-01-02T00:00:00Z',
    });
    expect(result.body).toEqual({ items: [], nextCursor: null });
    const query = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query.Limit).toBe(21);
    expect(query.ExpressionAttributeValues).toMatchObject({
      ':since': '2026-01-01T00:00:00.000Z',
      ':until': '2026-01-02T00:00:00.000Z$',
    });
  });

  it.each([
    [{}, /^type is required$/],
    [{ type: 't', since: 'yesterday' }, /^since must be an RFC 3339 timestamp/],
    [{ type: 't', until: '2026-13-01T00:00:00Z' }, /^until must be an RFC 3339 timestamp/],
    [
      { type: 't', since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' },
      /^since must not be later than until$/,
    ],
    [{ type: 't', limit: '0' }, /^limit must be an integer from 1 to 100/],
    [{ type: 't', limit: '101' }, /^limit must be an integer from 1 to 100/],
  ])('answers %j with 400 InvalidRequest', async (query, message) => {
    const result = await list(query as Record<string, string>);
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({
      code: 'InvalidRequest',
      message: expect.stringMatching(message),
    });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('refuses a cursor from another tenant’s or type’s listing with 400 InvalidCursor', async () => {
    const bobs = encodeCursor({ pk: 'p', sk: 'EVENT', gsi1pk: 'TYPE#bob#t', gsi1sk: 's' });
    const result = await list({ type: 't', cursor: bobs });
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('InvalidCursor');
  });

  it('answers 401 without an authenticated caller', async () => {
    expect((await list({ type: 't' }, null)).status).toBe(401);
  });
});

describe('GET /events/{id}', () => {
  const get = (id: string, query?: Record<string, string>, tenant = 'alice') =>
    call('GET /events/{id}', { tenant, pathParameters: { id }, queryStringParameters: query });

  it('returns the stored CloudEvent exactly as accepted', async () => {
    const event = stored('e/1', '2026-01-01T00:00:00Z');
    ddb.on(GetCommand).resolves({ Item: { event: JSON.stringify(event) } });
    const result = await get('e/1', { source: 'urn:shop' });
    expect(result.status).toBe(200);
    expect(result.body).toEqual(event);
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.Key).toEqual({
      pk: 'EVENT#alice#urn%3Ashop#e%2F1',
      sk: 'EVENT',
    });
  });

  it('looks only among the caller’s events: another tenant’s is not found', async () => {
    ddb.on(GetCommand).resolves({});
    const result = await get('e1', { source: 'urn:shop' }, 'bob');
    expect(result.status).toBe(404);
    expect(result.body.error.code).toBe('NotFound');
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.Key?.pk).toBe('EVENT#bob#urn%3Ashop#e1');
  });

  it('requires the source', async () => {
    const result = await get('e1');
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({ code: 'InvalidRequest', message: 'source is required' });
  });
});
