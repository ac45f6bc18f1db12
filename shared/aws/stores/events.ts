/**
 * Stored CloudEvents in the one table (docs/design.md): one item per (tenant, source, id), the event kept as the
 * JSON string it was accepted as, indexed by type and time on gsi1, the type index sharded `typeShards` ways by
 * (source, id). Events indexed before sharding sit under the unsharded `TYPE#<tenant>#<type>` and are still read.
 */
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../clients';
import {
  decodeKeyCursor,
  encodeCursor,
  MAX_PARTITION_KEY_BYTES,
  MAX_SORT_KEY_BYTES,
} from '../../http/request';
import { KEY_BUDGETS, eventKey, identityKeyPart, sortTime, tenantKeyPart } from '../../cloudevents/envelope';
import { keyPart } from '../../cloudevents/limits';
import type { CloudEvent } from '../../cloudevents/types';
import { ApiError } from '../../http/errors';
import { isConditionFailure } from './jobs';
import { descendingBy, readMergedPage, type StreamRead } from '../../paging/merge';
import { escapedBytes, MAX_LISTED_BYTES } from '../../http/responses';
import { checkShards, shardCounts, shardNumbers, shardOf } from './shards';

export interface NewEvent {
  tenant: string;
  event: CloudEvent;
  /** The event exactly as accepted; what the API returns. */
  serialized: string;
  jobId: string;
  /** The event's index in its job's submission. */
  idx: number;
  ingestedAt: string;
}

export interface TypeQuery {
  /** Inclusive bounds on the indexed time, normalized UTC ISO (parseTimeParam). */
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

export interface EventStore {
  putIfAbsent(e: NewEvent): Promise<'stored' | 'duplicate'>;
  get(tenant: string, source: string, id: string): Promise<unknown | undefined>;
  queryByType(
    tenant: string,
    type: string,
    opts: TypeQuery,
  ): Promise<{ items: unknown[]; nextCursor: string | null }>;
}

const INDEX = 'gsi1';
const INDEX_KEYS = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];
// gsi1sk is `<time>#…`: '$' sorts right after '#', so `<until>$` is above every key with that time.
const AFTER_TIME = '$';

/**
 * The unsharded type partition (every event's before sharding; what a GET /events cursor is pinned to). Key
 * parts go through keyPart (KEY_BUDGETS): every key stays under DynamoDB's limits, on gsi1 too.
 */
export const typePartition = (tenant: string, type: string): string =>
  `TYPE#${tenantKeyPart(tenant)}#${keyPart(type, KEY_BUDGETS.type)}`;

/** Shard k of a type partition (k < MAX_SHARDS: at most 3 more characters, gsi1pk ≤ 1,993 bytes). */
const typeShardPartition = (legacy: string, k: number): string => `${legacy}#${k}`;

/** The type-index shard of an event: a stable hash of its identity (source, id). */
export const typeShardOf = (source: string, id: string, typeShards: number): number =>
  shardOf(JSON.stringify([source, id]), typeShards);

/** gsi1sk: the sort time first, so the type partition reads in time order. */
export const typeSortKey = (time: string, source: string, id: string): string =>
  `${time}#${identityKeyPart(source, id)}`;

/** A GET /events cursor: an event's table key and its gsi1 key (`<sortTime>#<source>#<id>` parts). */
const EVENT_CURSOR = {
  pk: { pattern: /^EVENT#[^#]+#[^#]+#[^#]+$/, maxBytes: MAX_PARTITION_KEY_BYTES },
  sk: 'EVENT',
  gsi1sk: {
    // toISOString writes years outside 0000–9999 as ±YYYYYY (a time of year 0000 with an offset).
    pattern: /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[^#]+#[^#]+$/,
    maxBytes: MAX_SORT_KEY_BYTES,
  },
};

/** A cursor's event key must be one of this tenant's. */
const tenantEventKey = (tenant: string): RegExp => {
  const part = tenantKeyPart(tenant).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^EVENT#${part}#[^#]+#[^#]+$`);
};

/** DynamoDB refuses an ExclusiveStartKey outside the key condition (a ValidationException). */
const withinRange = (gsi1sk: string, since: string | undefined, until: string | undefined) =>
  (since === undefined || gsi1sk >= since) && (until === undefined || gsi1sk <= until + AFTER_TIME);

/** The gsi1sk range condition for the optional time bounds. */
function timeRange(since: string | undefined, until: string | undefined) {
  if (since !== undefined && until !== undefined) {
    return {
      condition: ' AND gsi1sk BETWEEN :since AND :until',
      values: { ':since': since, ':until': until + AFTER_TIME },
    };
  }
  if (since !== undefined) return { condition: ' AND gsi1sk >= :since', values: { ':since': since } };
  if (until !== undefined)
    return { condition: ' AND gsi1sk <= :until', values: { ':until': until + AFTER_TIME } };
  return { condition: '', values: {} };
}

const pickKey = (item: Record<string, unknown>) =>
  Object.fromEntries(INDEX_KEYS.map((name) => [name, item[name]]));

/**
 * The item one stored event is (also what the benchmarks' floors write, so they compare like with like).
 * `typeShards`: the count the function was deployed with (TYPE_SHARDS).
 */
export function eventItem(
  { tenant, event, serialized, jobId, idx, ingestedAt }: NewEvent,
  typeShards = shardCounts().typeShards,
) {
  const time = sortTime(event, ingestedAt);
  return {
    ...eventKey(tenant, event.source, event.id),
    gsi1pk: typeShardPartition(
      typePartition(tenant, event.type),
      typeShardOf(event.source, event.id, typeShards),
    ),
    gsi1sk: typeSortKey(time, event.source, event.id),
    tenant,
    source: event.source,
    id: event.id,
    type: event.type,
    time,
    event: serialized,
    jobId,
    idx,
    ingestedAt,
  };
}

/** First write wins; a retried chunk may re-write its own item (same job, same index). */
export const firstWriteWins = (jobId: string, idx: number) => ({
  ConditionExpression: 'attribute_not_exists(pk) OR (jobId = :jobId AND idx = :idx)',
  ExpressionAttributeValues: { ':jobId': jobId, ':idx': idx },
});

const latestFirst = descendingBy<Record<string, unknown>>(
  (item) => item.gsi1sk as string,
  (item) => item.pk as string,
);

/** `typeShards`: the count events are indexed with (TYPE_SHARDS); it may grow, never shrink (README). */
export function eventStore(
  tableName: string,
  db = dynamoDb(),
  typeShards = shardCounts().typeShards,
): EventStore {
  checkShards(typeShards);
  return {
    async putIfAbsent(newEvent) {
      try {
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: eventItem(newEvent, typeShards),
            ...firstWriteWins(newEvent.jobId, newEvent.idx),
          }),
        );
        return 'stored';
      } catch (error) {
        if (isConditionFailure(error)) return 'duplicate';
        throw error;
      }
    },

    async get(tenant, source, id) {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: eventKey(tenant, source, id), ConsistentRead: true }),
      );
      return Item ? JSON.parse(Item.event as string) : undefined;
    },

    /**
     * Every shard of the type and its legacy partition, each read from the cursor's position (one Query each),
     * merged latest first (readMergedPage). The cursor is the
     * page's last key, pinned to the legacy partition (tenant and type): every shard's position, since the merge
     * took every event above it from every shard. Cursors from before sharding have the same form.
     */
    async queryByType(tenant, type, { since, until, limit, cursor }) {
      const legacy = typePartition(tenant, type);
      const after = decodeKeyCursor(cursor, {
        ...EVENT_CURSOR,
        pk: { ...EVENT_CURSOR.pk, pattern: tenantEventKey(tenant) },
        gsi1pk: legacy,
      });
      if (after && !withinRange(after.gsi1sk!, since, until)) {
        throw new ApiError(400, 'InvalidCursor', 'cursor is not valid for this request', [
          { parameter: 'cursor', reason: 'outside the since/until range of this request' },
        ]);
      }
      // DynamoDB refuses a BETWEEN whose bounds are reversed; nothing can match anyway.
      if (since !== undefined && until !== undefined && since > until) return { items: [], nextCursor: null };
      const range = timeRange(since, until);
      const partitions = [...shardNumbers(typeShards).map((k) => typeShardPartition(legacy, k)), legacy];
      const page = await readMergedPage(
        partitions.length,
        limit,
        async (i, Limit): Promise<StreamRead<Record<string, unknown>>> => {
          const gsi1pk = partitions[i]!;
          const { Items = [], LastEvaluatedKey } = await db.send(
            new QueryCommand({
              TableName: tableName,
              IndexName: INDEX,
              KeyConditionExpression: `gsi1pk = :pk${range.condition}`,
              ExpressionAttributeValues: { ':pk': gsi1pk, ...range.values },
              ScanIndexForward: false,
              Limit,
              // The position in this shard: just after the last event returned, whichever shard held it.
              ExclusiveStartKey: after && { ...after, gsi1pk },
            }),
          );
          return { items: Items, more: LastEvaluatedKey !== undefined };
        },
        latestFirst,
        { maxBytes: MAX_LISTED_BYTES, sizeOf: (item) => escapedBytes(item.event as string) },
      );
      const last = page.items[page.items.length - 1];
      return {
        items: page.items.map((item) => JSON.parse(item.event as string)),
        nextCursor: last && page.more ? encodeCursor({ ...pickKey(last), gsi1pk: legacy }) : null,
      };
    },
  };
}
