import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { schemaStore } from '../../shared/aws/stores/schemas';
import { encodeCursor } from '../../shared/http/request';

const ddb = mockClient(DynamoDBDocumentClient);
/** The inputs of the commands of one kind sent so far. */
const sent = <C extends Parameters<typeof ddb.commandCalls>[0]>(command: C) =>
  ddb.commandCalls(command).map((call) => call.args[0].input);
const schemas = schemaStore(
  'sluice',
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
);
const key = { pk: 'TENANT#alice', sk: 'SCHEMA#com.example.order' };
const schema = { type: 'object', required: ['amount'] };

beforeEach(() => ddb.reset());

describe('schemaStore', () => {
  it('stores the schema as a JSON string and keeps the first createdAt on replace', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { createdAt: '2025-12-31T00:00:00.000Z' } });
    const saved = await schemas.put('alice', 'com.example.order', schema);

    expect(sent(UpdateCommand)[0]).toMatchObject({
      TableName: 'sluice',
      Key: key,
      UpdateExpression:
        'SET #type = :type, #schema = :schema, #updatedAt = :now, #createdAt = if_not_exists(#createdAt, :now)',
      ReturnValues: 'ALL_NEW',
    });
    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ExpressionAttributeValues).toEqual({
      ':type': 'com.example.order',
      ':schema': JSON.stringify(schema),
      ':now': saved.updatedAt,
    });
    expect(saved).toEqual({
      type: 'com.example.order',
      createdAt: '2025-12-31T00:00:00.000Z',
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
  });

  it('reads a schema back as JSON, or undefined', async () => {
    const item = {
      ...key,
      type: 'com.example.order',
      schema: JSON.stringify(schema),
      createdAt: 'c',
      updatedAt: 'u',
    };
    ddb.on(GetCommand).resolves({}).on(GetCommand, { Key: key }).resolves({ Item: item });
    expect(await schemas.get('alice', 'com.example.order')).toEqual({
      type: 'com.example.order',
      schema,
      createdAt: 'c',
      updatedAt: 'u',
    });
    expect(sent(GetCommand)[0]).toMatchObject({ Key: key, ConsistentRead: true });
    expect(await schemas.get('alice', 'com.example.other')).toBeUndefined();
  });

  it("lists a tenant's schemas with a cursor", async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ type: 'a', updatedAt: 'u1' }],
        LastEvaluatedKey: { pk: 'TENANT#alice', sk: 'SCHEMA#a' },
      })
      .resolves({ Items: [{ type: 'b', updatedAt: 'u2' }] });

    const first = await schemas.list('alice', { limit: 1 });
    expect(first.items).toEqual([{ type: 'a', updatedAt: 'u1' }]);
    expect(sent(QueryCommand)[0]).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TENANT#alice', ':prefix': 'SCHEMA#' },
      Limit: 1,
    });

    const second = await schemas.list('alice', { limit: 1, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [{ type: 'b', updatedAt: 'u2' }], nextCursor: null });
    expect(sent(QueryCommand)[1]).toMatchObject({
      ExclusiveStartKey: { pk: 'TENANT#alice', sk: 'SCHEMA#a' },
    });
  });

  it("refuses another tenant's cursor", async () => {
    const cursor = encodeCursor({ pk: 'TENANT#bob', sk: 'SCHEMA#a' });
    await expect(schemas.list('alice', { limit: 1, cursor })).rejects.toMatchObject({
      code: 'InvalidCursor',
    });
    expect(sent(QueryCommand)).toEqual([]);
  });
});
