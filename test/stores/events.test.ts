import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { eventStore } from '../../shared/aws/stores/events';
import { encodeCursor } from '../../shared/http/request';
import type { CloudEvent } from '../../shared/cloudevents/types';

const ddb = mockClient(DynamoDBDocumentClient);
const sent = <C extends Parameters<typeof ddb.commandCalls>[0]>(command: C) =>
  ddb.commandCalls(command).map((call) => call.args[0].input);
const events = eventStore('sluice', DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })));

const cloudEvent: CloudEvent = {
  specversion: '1.0',
  id: 'id#1/2',
  source: 'urn:shop#eu',
  type: 'com.example.order placed',
  time: '2026-01-02T03:04:05+02:00',
  data: { n: 1 },
};
const serialized = JSON.stringify(cloudEvent);
const put = (event = cloudEvent) =>
  events.putIfAbsent({
    tenant: 'alice',
    event,
    serialized: JSON.stringify(event),
    jobId: 'J1',
    idx: 7,
    ingestedAt: '2026-02-01T00:00:00.000Z',
  });

const item = (time: string, id: string) => {
  const e = { ...cloudEvent, id, time };
  return {
    pk: `EVENT#alice#urn%3Ashop%23eu#${id}`,
    sk: 'EVENT',
    gsi1pk: 'TYPE#alice#com.example.order%20placed',
    gsi1sk: `${time}#urn%3Ashop%23eu#${id}`,
    event: JSON.stringify(e),
  };
};

beforeEach(() => ddb.reset());

describe('eventStore.putIfAbsent', () => {
  it('writes the event under its identity and type index, first write wins', async () => {
    ddb.on(PutCommand).resolves({});
    expect(await put()).toBe('stored');
    expect(sent(PutCommand)).toEqual([
      {
        TableName: 'sluice',
        Item: {
          pk: 'EVENT#alice#urn%3Ashop%23eu#id%231%2F2',
          sk: 'EVENT',
          gsi1pk: 'TYPE#alice#com.example.order%20placed',
          gsi1sk: '2026-01-02T01:04:05.000Z#urn%3Ashop%23eu#id%231%2F2',
          tenant: 'alice',
          source: 'urn:shop#eu',
          id: 'id#1/2',
          type: 'com.example.order placed',
          time: '2026-01-02T01:04:05.000Z',
          event: serialized,
          jobId: 'J1',
          idx: 7,
          ingestedAt: '2026-02-01T00:00:00.000Z',
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (jobId = :jobId AND idx = :idx)',
        ExpressionAttributeValues: { ':jobId': 'J1', ':idx': 7 },
      },
    ]);
  });

  it('indexes an event without time by its ingestion time', async () => {
    ddb.on(PutCommand).resolves({});
    const { time: _time, ...untimed } = cloudEvent;
    await put(untimed as CloudEvent);
    expect(sent(PutCommand)[0]!.Item).toMatchObject({
      time: '2026-02-01T00:00:00.000Z',
      gsi1sk: expect.stringMatching(/^2026-02-01T00:00:00\.000Z#/),
    });
  });

  it('reports a failed condition as a duplicate and lets other errors through', async () => {
    ddb.on(PutCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    expect(await put()).toBe('duplicate');
    const throttled = Object.assign(new Error('throttled'), {
      name: 'ProvisionedThroughputExceededException',
    });
    ddb.reset();
    ddb.on(PutCommand).rejects(throttled);
    await expect(put()).rejects.toBe(throttled);
  });
});

describe('eventStore.get', () => {
  it('returns the event as stored, read consistently by its key', async () => {
    ddb.on(GetCommand).resolves({ Item: { event: serialized } });
    expect(await events.get('alice', 'urn:shop#eu', 'id#1/2')).toEqual(cloudEvent);
    expect(sent(GetCommand)[0]).toEqual({
      TableName: 'sluice',
      Key: { pk: 'EVENT#alice#urn%3Ashop%23eu#id%231%2F2', sk: 'EVENT' },
      ConsistentRead: true,
    });
  });

  it('returns undefined for an unknown event', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await events.get('alice', 'urn:x', 'nope')).toBeUndefined();
  });
});

describe('eventStore.queryByType', () => {
  it('queries the type index newest first, asking one more item than the page to know if another follows', async () => {
    const items = [
      item('2026-01-03T00:00:00.000Z', 'c'),
      item('2026-01-02T00:00:00.000Z', 'b'),
      item('2026-01-01T00:00:00.000Z', 'a'),
    ];
    ddb
      .on(QueryCommand)
      .resolves({ Items: items, LastEvaluatedKey: { pk: 'x', sk: 'y', gsi1pk: 'z', gsi1sk: 'w' } });
    const page = await events.queryByType('alice', 'com.example.order placed', { limit: 2 });
    expect(sent(QueryCommand)[0]).toEqual({
      TableName: 'sluice',
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': 'TYPE#alice#com.example.order%20placed' },
      ScanIndexForward: false,
      Limit: 3,
      ExclusiveStartKey: undefined,
    });
    expect(page.items.map((e) => (e as CloudEvent).id)).toEqual(['c', 'b']);
    const { event: _event, ...lastKey } = items[1]!;
    expect(page.nextCursor).toBe(encodeCursor(lastKey));
  });

  it('has no cursor on the last page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item('2026-01-01T00:00:00.000Z', 'a')] });
    expect(
      (await events.queryByType('alice', 'com.example.order placed', { limit: 2 })).nextCursor,
    ).toBeNull();
  });

  it('continues from DynamoDB’s own key when a page stopped short (1 MB)', async () => {
    const lastEvaluated = { pk: 'p', sk: 'EVENT', gsi1pk: 'TYPE#alice#t', gsi1sk: 's' };
    ddb
      .on(QueryCommand)
      .resolves({ Items: [item('2026-01-01T00:00:00.000Z', 'a')], LastEvaluatedKey: lastEvaluated });
    expect((await events.queryByType('alice', 't', { limit: 5 })).nextCursor).toBe(
      encodeCursor(lastEvaluated),
    );
  });

  it('bounds the index sort key by time, both ends inclusive', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const since = '2026-01-01T00:00:00.000Z';
    const until = '2026-01-02T00:00:00.000Z';
    await events.queryByType('alice', 't', { limit: 5, since, until });
    await events.queryByType('alice', 't', { limit: 5, since });
    await events.queryByType('alice', 't', { limit: 5, until });
    expect(sent(QueryCommand).map((q) => [q.KeyConditionExpression, q.ExpressionAttributeValues])).toEqual([
      [
        'gsi1pk = :pk AND gsi1sk BETWEEN :since AND :until',
        { ':pk': 'TYPE#alice#t', ':since': since, ':until': `${until}$` },
      ],
      ['gsi1pk = :pk AND gsi1sk >= :since', { ':pk': 'TYPE#alice#t', ':since': since }],
      ['gsi1pk = :pk AND gsi1sk <= :until', { ':pk': 'TYPE#alice#t', ':until': `${until}$` }],
    ]);
    // Every key at exactly `until` sorts below the bound: '#' < '$'.
    expect(`${until}#urn%3Ax#a` <= `${until}$`).toBe(true);
  });

  it('answers reversed bounds with an empty page without asking DynamoDB', async () => {
    const page = await events.queryByType('alice', 't', {
      limit: 5,
      since: '2026-02-01T00:00:00.000Z',
      until: '2026-01-01T00:00:00.000Z',
    });
    expect(page).toEqual({ items: [], nextCursor: null });
    expect(sent(QueryCommand)).toHaveLength(0);
  });

  it('resumes from a cursor of the same type index and refuses any other', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const key = {
      pk: 'EVENT#alice#urn%3Ax#a',
      sk: 'EVENT',
      gsi1pk: 'TYPE#alice#t',
      gsi1sk: '2026-01-01T00:00:00.000Z#urn%3Ax#a',
    };
    await events.queryByType('alice', 't', { limit: 5, cursor: encodeCursor(key) });
    expect(sent(QueryCommand)[0]!.ExclusiveStartKey).toEqual(key);
    const othersCursor = encodeCursor({ ...key, gsi1pk: 'TYPE#bob#t' });
    await expect(events.queryByType('alice', 't', { limit: 5, cursor: othersCursor })).rejects.toMatchObject({
      status: 400,
      code: 'InvalidCursor',
    });
    await expect(events.queryByType('alice', 't', { limit: 5, cursor: 'garbage!' })).rejects.toMatchObject({
      code: 'InvalidCursor',
    });
  });

  it.each([
    ['a sort key of another kind', { gsi1sk: 'SCHEMA#x' }],
    ['a number', { gsi1sk: 12 }],
    ['a sort key over 1,024 bytes', { gsi1sk: `2026-01-01T00:00:00.000Z#urn%3Ax#${'a'.repeat(1_000)}` }],
    ['a partition key of another kind', { pk: 'TENANT#alice' }],
    ['another table sort key', { sk: 'JOB#01J0000000000000000000000B' }],
    ['a lone surrogate', { pk: 'EVENT#alice#urn%3Ax#\ud800' }],
    ['a key outside since/until', { gsi1sk: '2025-01-01T00:00:00.000Z#urn%3Ax#a' }],
  ])('refuses a cursor with %s with 400 InvalidCursor before DynamoDB sees it', async (_label, change) => {
    const key = {
      pk: 'EVENT#alice#urn%3Ax#a',
      sk: 'EVENT',
      gsi1pk: 'TYPE#alice#t',
      gsi1sk: '2026-01-01T00:00:00.000Z#urn%3Ax#a',
    };
    const cursor = encodeCursor({ ...key, ...change });
    await expect(
      events.queryByType('alice', 't', { limit: 5, cursor, since: '2025-06-01T00:00:00.000Z' }),
    ).rejects.toMatchObject({ status: 400, code: 'InvalidCursor' });
    expect(sent(QueryCommand)).toEqual([]);
  });
});
