import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { eventStore } from '../../shared/aws/stores/events';
import { encodeCursor } from '../../shared/http/request';
import type { CloudEvent } from '../../shared/cloudevents/types';

const ddb = mockClient(DynamoDBDocumentClient);
const sent = <C extends Parameters<typeof ddb.commandCalls>[0]>(command: C) =>
  ddb.commandCalls(command).map((call) => call.args[0].input);
const SHARDS = 16;
const events = eventStore(
  'sluice',
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  SHARDS,
);
/** The type-index shard as docs/design.md defines it: SHA-256 of JSON [source, id], first 4 bytes, mod the count. */
const shardFor = (source: string, id: string) =>
  createHash('sha256')
    .update(JSON.stringify([source, id]), 'utf8')
    .digest()
    .readUInt32BE(0) % SHARDS;
const LEGACY = 'TYPE#alice#com.example.order%20placed';
const partitions = (legacy: string) => [
  ...Array.from({ length: SHARDS }, (_, k) => `${legacy}#${k}`),
  legacy,
];

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

const item = (time: string, id: string, gsi1pk = `${LEGACY}#${shardFor(cloudEvent.source, id)}`) => {
  const e = { ...cloudEvent, id, time };
  return {
    pk: `EVENT#alice#urn%3Ashop%23eu#${id}`,
    sk: 'EVENT',
    gsi1pk,
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
          gsi1pk: `TYPE#alice#com.example.order%20placed#${shardFor('urn:shop#eu', 'id#1/2')}`,
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
  /** Each partition's Query answers its own items, newest first, LastEvaluatedKey when the Limit is reached. */
  const serve = (items: ReturnType<typeof item>[]) => {
    ddb
      .on(QueryCommand)
      .callsFake(
        (input: {
          ExpressionAttributeValues: { ':pk': string };
          Limit: number;
          ExclusiveStartKey?: { gsi1sk: string };
        }) => {
          const after = input.ExclusiveStartKey?.gsi1sk;
          const mine = items
            .filter((i) => i.gsi1pk === input.ExpressionAttributeValues[':pk'])
            .filter((i) => after === undefined || i.gsi1sk < after)
            .sort((a, b) => (a.gsi1sk < b.gsi1sk ? 1 : -1));
          const Items = mine.slice(0, input.Limit);
          return { Items, LastEvaluatedKey: mine.length >= input.Limit ? { pk: 'x' } : undefined };
        },
      );
  };

  it('queries every type shard and the legacy partition, one more item than the page, merged latest first', async () => {
    const items = [
      item('2026-01-05T00:00:00.000Z', 'e'),
      item('2026-01-04T00:00:00.000Z', 'd', LEGACY),
      item('2026-01-03T00:00:00.000Z', 'c'),
      item('2026-01-02T00:00:00.000Z', 'b'),
      item('2026-01-01T00:00:00.000Z', 'a', LEGACY),
    ];
    serve(items);
    const page = await events.queryByType('alice', 'com.example.order placed', { limit: 3 });
    const queries = sent(QueryCommand);
    expect(queries.map((q) => q.ExpressionAttributeValues![':pk'])).toEqual(partitions(LEGACY));
    for (const q of queries) {
      expect(q).toMatchObject({
        TableName: 'sluice',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ScanIndexForward: false,
        Limit: 4,
        ExclusiveStartKey: undefined,
      });
    }
    expect(page.items.map((e) => (e as CloudEvent).id)).toEqual(['e', 'd', 'c']);
    // The page's last key, pinned to the legacy partition of the tenant and type.
    const { event: _event, ...lastKey } = items[2]!;
    expect(page.nextCursor).toBe(encodeCursor({ ...lastKey, gsi1pk: LEGACY }));

    ddb.reset();
    serve(items);
    const second = await events.queryByType('alice', 'com.example.order placed', {
      limit: 3,
      cursor: page.nextCursor!,
    });
    expect(second).toEqual({
      items: [JSON.parse(items[3]!.event), JSON.parse(items[4]!.event)],
      nextCursor: null,
    });
    // Every shard resumes from the same position: just after the last event served.
    expect(sent(QueryCommand).map((q) => q.ExclusiveStartKey)).toEqual(
      partitions(LEGACY).map((gsi1pk) => ({ ...lastKey, gsi1pk })),
    );
  });

  it('has no cursor on the last page, even a full one', async () => {
    serve([item('2026-01-02T00:00:00.000Z', 'b'), item('2026-01-01T00:00:00.000Z', 'a')]);
    expect(
      (await events.queryByType('alice', 'com.example.order placed', { limit: 2 })).nextCursor,
    ).toBeNull();
  });

  it('stops at the last event read from a shard whose page stopped short (1 MB)', async () => {
    const shortShard = `${LEGACY}#${shardFor(cloudEvent.source, 'c')}`;
    const others = [
      item('2026-01-05T00:00:00.000Z', 'x', LEGACY),
      item('2026-01-01T00:00:00.000Z', 'a', LEGACY),
    ];
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': LEGACY } })
      .resolves({ Items: others })
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': shortShard } })
      .resolves({ Items: [item('2026-01-03T00:00:00.000Z', 'c')], LastEvaluatedKey: { pk: 'p' } });
    const page = await events.queryByType('alice', 'com.example.order placed', { limit: 5 });
    // 'a' may be preceded by events of the short shard not read yet: it waits for the next page.
    expect(page.items.map((e) => (e as CloudEvent).id)).toEqual(['x', 'c']);
    const { event: _event, ...lastKey } = item('2026-01-03T00:00:00.000Z', 'c');
    expect(page.nextCursor).toBe(encodeCursor({ ...lastKey, gsi1pk: LEGACY }));
  });

  it('bounds the index sort key by time, both ends inclusive', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const since = '2026-01-01T00:00:00.000Z';
    const until = '2026-01-02T00:00:00.000Z';
    await events.queryByType('alice', 't', { limit: 5, since, until });
    await events.queryByType('alice', 't', { limit: 5, since });
    await events.queryByType('alice', 't', { limit: 5, until });
    const legacyQueries = sent(QueryCommand).filter(
      (q) => q.ExpressionAttributeValues![':pk'] === 'TYPE#alice#t',
    );
    expect(sent(QueryCommand)).toHaveLength(3 * (SHARDS + 1));
    expect(legacyQueries.map((q) => [q.KeyConditionExpression, q.ExpressionAttributeValues])).toEqual([
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
    expect(sent(QueryCommand).map((q) => q.ExclusiveStartKey)).toEqual(
      partitions('TYPE#alice#t').map((gsi1pk) => ({ ...key, gsi1pk })),
    );
    ddb.resetHistory();
    for (const change of [
      { gsi1pk: 'TYPE#bob#t' },
      { gsi1pk: 'TYPE#alice#t#3' }, // a shard's key: cursors name the legacy partition only
      { gsi1pk: 'TYPE#alice#u' },
      { pk: 'EVENT#bob#urn%3Ax#a' },
    ]) {
      await expect(
        events.queryByType('alice', 't', { limit: 5, cursor: encodeCursor({ ...key, ...change }) }),
      ).rejects.toMatchObject({ status: 400, code: 'InvalidCursor' });
    }
    expect(sent(QueryCommand)).toEqual([]);
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
