import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/manage-schemas/handler';
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

// Arrives URL-encoded in rawPath, decoded in pathParameters.
const type = 'com.example/order v1';
const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['amount'],
  properties: { amount: { type: 'number' } },
};

const call = (routeKey: string, options: ApiEventOptions = {}) =>
  handler(apiEvent(routeKey, options), lambdaContext).then(parsed);
const put = (body: string, tenant: string | null = 'alice') =>
  call('PUT /schemas/{type}', {
    tenant,
    body,
    pathParameters: { type },
    headers: { 'content-type': 'application/json' },
  });

beforeEach(() => {
  ddb.reset();
  ddb.on(UpdateCommand).resolves({ Attributes: { createdAt: '2026-01-01T00:00:00.000Z' } });
});

describe('PUT /schemas/{type}', () => {
  it('stores a schema that compiles under the decoded type', async () => {
    const result = await put(JSON.stringify(schema));
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      type,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: expect.any(String),
    });
    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.Key).toEqual({ pk: 'TENANT#alice', sk: `SCHEMA#${type}` });
    expect(JSON.parse(input.ExpressionAttributeValues![':schema'])).toEqual(schema);
  });

  it('accepts a base64-encoded body', async () => {
    const body = Buffer.from(JSON.stringify(schema)).toString('base64');
    const result = await call('PUT /schemas/{type}', {
      body,
      isBase64Encoded: true,
      pathParameters: { type },
    });
    expect(result.status).toBe(200);
  });

  it('refuses a body that is not JSON with 400 InvalidJson', async () => {
    const result = await put('{"type":');
    expect(result).toMatchObject({ status: 400, body: { error: { code: 'InvalidJson' } } });
    expect(ddb.calls()).toHaveLength(0);
  });

  it("refuses a schema that does not compile with 400 InvalidSchema and the compiler's message", async () => {
    const result = await put(JSON.stringify({ type: 'object', properties: { a: { type: 12 } } }));
    expect(result.status).toBe(400);
    const { code, message, details } = result.body.error;
    expect(code).toBe('InvalidSchema');
    expect(message).toMatch(/type/);
    expect(details).toEqual([{ message }]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each(['(a)\\1', '^(?=x)', '(?<!a)b'])(
    'refuses a pattern RE2 cannot run (%s) with 400 InvalidSchema naming it',
    async (pattern) => {
      const result = await put(JSON.stringify({ type: 'string', pattern }));
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('InvalidSchema');
      expect(result.body.error.message).toContain(`pattern ${JSON.stringify(pattern)} is not supported`);
      expect(ddb.calls()).toHaveLength(0);
    },
  );

  it('refuses an oversized schema with 413 and an anonymous caller with 401', async () => {
    const huge = { type: 'object', description: 'x'.repeat(310 * 1024) };
    expect((await put(JSON.stringify(huge))).body.error.code).toBe('PayloadTooLarge');
    expect((await put(JSON.stringify(schema), null)).status).toBe(401);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('GET /schemas/{type}', () => {
  it("returns the caller's schema, or 404", async () => {
    const item = { type, schema: JSON.stringify(schema), createdAt: 'c', updatedAt: 'u' };
    ddb
      .on(GetCommand)
      .resolves({})
      .on(GetCommand, { Key: { pk: 'TENANT#alice', sk: `SCHEMA#${type}` } })
      .resolves({ Item: item });

    const mine = await call('GET /schemas/{type}', { pathParameters: { type } });
    expect(mine).toMatchObject({ status: 200, body: { type, schema, createdAt: 'c', updatedAt: 'u' } });
    const bobs = await call('GET /schemas/{type}', { tenant: 'bob', pathParameters: { type } });
    expect(bobs).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
  });
});

describe('GET /schemas', () => {
  it("lists the caller's schemas with the limit asked for", async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ type: 'a', updatedAt: 'u' }] });
    const result = await call('GET /schemas', { queryStringParameters: { limit: '2' } });
    expect(result).toMatchObject({
      status: 200,
      body: { items: [{ type: 'a', updatedAt: 'u' }], nextCursor: null },
    });
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      Limit: 2,
      ExpressionAttributeValues: { ':pk': 'TENANT#alice', ':prefix': 'SCHEMA#' },
    });
  });

  it('refuses a bad limit or cursor with 400', async () => {
    expect((await call('GET /schemas', { queryStringParameters: { limit: '500' } })).body.error.code).toBe(
      'InvalidRequest',
    );
    expect((await call('GET /schemas', { queryStringParameters: { cursor: 'bad!' } })).body.error.code).toBe(
      'InvalidCursor',
    );
  });
});
